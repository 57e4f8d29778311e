// Python:
//   import os, signal, time
//   from multiprocessing import Pool, TimeoutError
//   def die(x):
//       os.kill(os.getpid(), signal.SIGKILL)     # the worker dies in the middle of a task
//   if __name__ == '__main__':
//       with Pool(2) as pool:
//           res = pool.apply_async(die, (1,))
//           start = time.monotonic()
//           try:
//               res.get(timeout=5)
//           except TimeoutError:
//               print(f'TimeoutError after {round(time.monotonic() - start)} s: '
//                     'the result of a dead worker never comes (without a timeout: a hang)')
//           print(pool.apply(abs, (-7,)))         # a new worker took the dead one's place
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <mp/pool.hpp>

#include <unistd.h>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int die(int /*x*/) {
  ::kill(::getpid(), SIGKILL);  // the worker dies in the middle of a task
  return 0;
}
int absolute(int x) { return std::abs(x); }

int main() {
  mp::Pool pool(2);
  mp::AsyncResult<int> res = pool.apply_async(die, 1);
  const auto start = Clock::now();
  try {
    (void)res.get(5s);
  } catch (const mp::WorkerLost& e) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    std::cout << "mp::WorkerLost after " << (ms < 1000 ? "less than a second" : "a second or more")
              << ": exit code " << e.exitcode() << "\n  " << e.what() << '\n';
  }
  std::cout << pool.apply(absolute, -7) << '\n';  // a new worker took the dead one's place
}
