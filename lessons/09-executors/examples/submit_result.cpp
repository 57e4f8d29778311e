// Python:
//   import time
//   from concurrent.futures import ThreadPoolExecutor, TimeoutError
//   def power(x, y):
//       return x ** y
//   def nap(seconds):
//       time.sleep(seconds)
//       return seconds
//   with ThreadPoolExecutor(max_workers=2) as ex:
//       f = ex.submit(power, 2, 10)
//       print(f.result())
//       slow = ex.submit(nap, 0.5)
//       try:
//           slow.result(timeout=0.1)
//       except TimeoutError:
//           print('TimeoutError; running:', slow.running(), 'done:', slow.done())
//       print(slow.result(), 'done:', slow.done())
#include <chrono>
#include <iostream>
#include <thread>

#include <mp/executor.hpp>

using namespace std::chrono_literals;

long power(long x, int y) {
  long r = 1;
  while (y-- > 0) r *= x;
  return r;
}
double nap(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return seconds;
}

int main() {
  std::cout << std::boolalpha;
  mp::ThreadPoolExecutor ex(2);
  mp::Future<long> f = ex.submit(power, 2L, 10);
  std::cout << f.result() << '\n';
  mp::Future<double> slow = ex.submit(nap, 0.5);
  try {
    (void)slow.result(100ms);
  } catch (const mp::TimeoutError&) {
    std::cout << "TimeoutError; running: " << slow.running() << " done: " << slow.done() << '\n';
  }
  std::cout << slow.result() << " done: " << slow.done() << '\n';
}
