// Python:
//   import time
//   import parallel                      # pip install python-parallel
//   UNIT = 0.1
//   @parallel.decorate(ex=parallel.PROCESS)
//   def slow_square(n):
//       time.sleep(n * UNIT)             # input n takes n units
//       return n * n
//   if __name__ == '__main__':
//       items = [1, 2, 1, 30]            # the last one is too slow
//       try:
//           slow_square.map(items, timeout=5 * UNIT)
//       except Exception as e:           # the package's TimeoutException
//           print('map:', type(e).__name__)
//       results = slow_square.map(items, timeout=5 * UNIT, silent=True)
//       print('failures:', results.failures, 'succeeded:', results.succeeded)
//       print('failed:', [type(f.ex).__name__ for f in results.failed])
//       print('replace_failed(-1):', results.replace_failed(-1))
#include <chrono>
#include <cstddef>
#include <iostream>
#include <thread>
#include <vector>

#include <mp/parallel.hpp>

using namespace std::chrono_literals;

constexpr auto unit = 100ms;

int slow_square_one(int n) {
  std::this_thread::sleep_for(n * unit);  // input n takes n units
  return n * n;
}

void print(const char* title, const std::vector<int>& v) {
  std::cout << title << " [";
  for (std::size_t i = 0; i < v.size(); ++i) std::cout << (i ? ", " : "") << v[i];
  std::cout << "]\n";
}

int main() {
  // process(): the calls run in worker processes, which are killed at the timeout
  const auto slow_square = mp::parallel::decorate(slow_square_one).process();
  const std::vector<int> items = {1, 2, 1, 30};  // the last one is too slow
  try {
    (void)slow_square.map(items, {.timeout = 5 * unit});
  } catch (const mp::TimeoutError&) {
    std::cout << "map: mp::TimeoutError\n";
  }
  const auto results = slow_square.map(items, {.timeout = 5 * unit, .silent = true});
  std::cout << "failures: " << std::boolalpha << results.failures();
  print(", succeeded:", results.succeeded());
  for (const mp::parallel::FailedTask& f : results.failed()) std::cout << "failed: " << f.type() << '\n';
  print("replace_failed(-1):", results.replace_failed(-1));
}
