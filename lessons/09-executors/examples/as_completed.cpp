// Python:
//   import time
//   from concurrent.futures import ThreadPoolExecutor, as_completed
//   UNIT = 0.1
//   def task(name, units):
//       time.sleep(units * UNIT)
//       return name
//   start = time.monotonic()
//   with ThreadPoolExecutor(4) as ex:
//       futures = [ex.submit(task, n, u) for n, u in (('slow', 3), ('fast', 1), ('medium', 2))]
//       for f in as_completed(futures, timeout=10):
//           print(f'{f.result()} at {round((time.monotonic() - start) / UNIT)}')
#include <chrono>
#include <cmath>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <mp/executor.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 100ms;

std::string task(std::string name, int units) {
  std::this_thread::sleep_for(units * unit);
  return name;
}

int main() {
  const auto start = Clock::now();
  mp::ThreadPoolExecutor ex(4);
  std::vector<mp::Future<std::string>> futures = {ex.submit(task, "slow", 3), ex.submit(task, "fast", 1),
                                                  ex.submit(task, "medium", 2)};
  for (mp::Future<std::string>& f : mp::as_completed(futures, 10s))
    std::cout << f.result() << " at " << std::lround((Clock::now() - start) / unit) << '\n';
}
