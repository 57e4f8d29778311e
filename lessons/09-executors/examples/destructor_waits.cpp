// Python:
//   import time
//   from multiprocessing import Pool
//   from concurrent.futures import ProcessPoolExecutor
//   UNIT = 0.1
//   def nap(units):
//       time.sleep(units * UNIT)
//       return units
//   if __name__ == '__main__':
//       start = time.monotonic()
//       with ProcessPoolExecutor(1) as ex:
//           ex.submit(nap, 3)
//       print(f'ProcessPoolExecutor: destroyed after {round((time.monotonic() - start) / UNIT)} units')
//       start = time.monotonic()
//       with Pool(1) as pool:
//           pool.apply_async(nap, (3,))
//       print(f'Pool: destroyed after {round((time.monotonic() - start) / UNIT)} units')
#include <chrono>
#include <cmath>
#include <iostream>
#include <thread>

#include <mp/executor.hpp>
#include <mp/pool.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 100ms;

int nap(int units) {
  std::this_thread::sleep_for(units * unit);
  return units;
}

int main() {
  auto start = Clock::now();
  {
    mp::ProcessPoolExecutor ex(1);
    (void)ex.submit(nap, 3);
  }  // shutdown(wait = true): waits for the task
  std::cout << "ProcessPoolExecutor: destroyed after " << std::lround((Clock::now() - start) / unit)
            << " units\n";
  start = Clock::now();
  {
    mp::Pool pool(1);
    (void)pool.apply_async(nap, 3);
  }  // terminate(): kills the worker, the task with it
  std::cout << "Pool: destroyed after " << std::lround((Clock::now() - start) / unit) << " units\n";
}
