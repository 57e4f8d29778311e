// Python:
//   import time
//   from concurrent.futures import (ThreadPoolExecutor, wait, FIRST_COMPLETED,
//                                   FIRST_EXCEPTION, ALL_COMPLETED)
//   UNIT = 0.1
//   def task(name, units, fail=False):
//       time.sleep(units * UNIT)
//       if fail:
//           raise ValueError(name + ' failed')
//       return name
//   start = time.monotonic()
//   with ThreadPoolExecutor(3) as ex:
//       fs = [ex.submit(task, 'fast', 1), ex.submit(task, 'failing', 2, True), ex.submit(task, 'slow', 4)]
//       names = {f: n for f, n in zip(fs, ('fast', 'failing', 'slow'))}
//       for mode in (FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED):
//           done, not_done = wait(fs, timeout=10, return_when=mode)
//           print(f'{mode} at {round((time.monotonic() - start) / UNIT)}:',
//                 'done', sorted(names[f] for f in done), 'not done', sorted(names[f] for f in not_done))
#include <chrono>
#include <cmath>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <mp/executor.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 100ms;

std::string task(std::string name, int units, bool fail) {
  std::this_thread::sleep_for(units * unit);
  if (fail) throw std::invalid_argument(name + " failed");
  return name;
}

int main() {
  const auto start = Clock::now();
  mp::ThreadPoolExecutor ex(3);
  const std::vector<mp::Future<std::string>> fs = {ex.submit(task, "fast", 1, false),
                                                   ex.submit(task, "failing", 2, true),
                                                   ex.submit(task, "slow", 4, false)};
  const std::vector<std::string> names = {"fast", "failing", "slow"};
  auto name_of = [&](const mp::Future<std::string>& f) {
    for (std::size_t i = 0; i < fs.size(); ++i)
      if (fs[i] == f) return names[i];
    return std::string("?");
  };
  const std::pair<mp::ReturnWhen, const char*> modes[] = {{mp::FIRST_COMPLETED, "FIRST_COMPLETED"},
                                                          {mp::FIRST_EXCEPTION, "FIRST_EXCEPTION"},
                                                          {mp::ALL_COMPLETED, "ALL_COMPLETED"}};
  for (const auto& [mode, label] : modes) {
    const auto [done, not_done] = mp::wait(fs, 10s, mode);
    std::cout << label << " at " << std::lround((Clock::now() - start) / unit) << ": done [";
    for (std::size_t i = 0; i < done.size(); ++i) std::cout << (i ? ", " : "") << name_of(done[i]);
    std::cout << "] not done [";
    for (std::size_t i = 0; i < not_done.size(); ++i) std::cout << (i ? ", " : "") << name_of(not_done[i]);
    std::cout << "]\n";
  }
}
