// Python:
//   from multiprocessing import Pool, TimeoutError
//   import time, os
//   def f(x):
//       return x*x
//   if __name__ == '__main__':
//       with Pool(processes=4) as pool:
//           print(pool.map(f, range(10)))
//           for i in pool.imap_unordered(f, range(10)):
//               print(i)
//           res = pool.apply_async(f, (20,))
//           print(res.get(timeout=1))
//           res = pool.apply_async(os.getpid, ())
//           print(res.get(timeout=1))
//           multiple_results = [pool.apply_async(os.getpid, ()) for i in range(4)]
//           print([res.get(timeout=1) for res in multiple_results])
//           res = pool.apply_async(time.sleep, (10,))
//           try:
//               print(res.get(timeout=1))
//           except TimeoutError:
//               print("We lacked patience and got a multiprocessing.TimeoutError")
//       print("For the moment, the pool remains available for more work")
//   print("Now the pool is closed and no longer available")
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <iostream>
#include <numeric>
#include <thread>
#include <vector>

#include <mp/pool.hpp>

#include <unistd.h>

using namespace std::chrono_literals;

int f(int x) { return x * x; }
int getpid_task() { return static_cast<int>(::getpid()); }
int sleep_task(int seconds) {
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  return seconds;
}

void print(const std::vector<int>& v) {
  std::cout << '[';
  for (std::size_t i = 0; i < v.size(); ++i) std::cout << (i ? ", " : "") << v[i];
  std::cout << "]\n";
}

int main() {
  {
    mp::Pool pool(4);
    std::vector<int> xs(10);
    std::iota(xs.begin(), xs.end(), 0);  // range(10)
    print(pool.map(f, xs));

    std::vector<int> any_order;  // in the order the workers finish: sorted here, to print
    for (int i : pool.imap_unordered(f, xs)) any_order.push_back(i);
    std::sort(any_order.begin(), any_order.end());
    print(any_order);

    mp::AsyncResult<int> res = pool.apply_async(f, 20);
    std::cout << res.get(1s) << '\n';

    mp::AsyncResult<int> pid = pool.apply_async(getpid_task);
    std::cout << "worker pid " << pid.get(1s) << " (main pid " << ::getpid() << ")\n";

    std::vector<mp::AsyncResult<int>> multiple_results;
    for (int i = 0; i < 4; ++i) multiple_results.push_back(pool.apply_async(getpid_task));
    std::cout << '[';
    for (std::size_t i = 0; i < multiple_results.size(); ++i)
      std::cout << (i ? ", " : "") << multiple_results[i].get(1s);
    std::cout << "]\n";

    mp::AsyncResult<int> slow = pool.apply_async(sleep_task, 10);
    try {
      std::cout << slow.get(1s) << '\n';
    } catch (const mp::TimeoutError&) {
      std::cout << "We lacked patience and got a multiprocessing.TimeoutError\n";
    }
    std::cout << "For the moment, the pool remains available for more work\n";
  }  // the destructor terminates the pool: the sleeping worker is killed, not waited for
  std::cout << "Now the pool is closed and no longer available\n";
}
