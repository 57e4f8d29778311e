// Python:
//   import threading, time
//   from concurrent.futures import ThreadPoolExecutor
//   started = threading.Event()
//   def task(i):
//       started.set()
//       time.sleep(0.2)
//       return i
//   ex = ThreadPoolExecutor(max_workers=1)
//   fs = [ex.submit(task, i) for i in range(5)]
//   started.wait()                     # task 0 runs; 1 to 4 are pending
//   ex.shutdown(wait=True, cancel_futures=True)
//   for i, f in enumerate(fs):
//       print(f'task {i}:', 'cancelled' if f.cancelled() else f'result {f.result()}')
//   try:
//       ex.submit(task, 5)
//   except RuntimeError as e:
//       print('RuntimeError:', e)
#include <chrono>
#include <cstddef>
#include <iostream>
#include <thread>
#include <vector>

#include <mp/event.hpp>
#include <mp/executor.hpp>

using namespace std::chrono_literals;

int main() {
  mp::Event started;
  auto task = [&started](int i) {
    started.set();
    std::this_thread::sleep_for(200ms);
    return i;
  };
  mp::ThreadPoolExecutor ex(1);
  std::vector<mp::Future<int>> fs;
  for (int i = 0; i < 5; ++i) fs.push_back(ex.submit(task, i));
  started.wait(5s);  // task 0 runs; 1 to 4 are pending
  ex.shutdown(true, true);
  for (std::size_t i = 0; i < fs.size(); ++i) {
    std::cout << "task " << i << ": ";
    if (fs[i].cancelled())
      std::cout << "cancelled\n";
    else
      std::cout << "result " << fs[i].result() << '\n';
  }
  try {
    (void)ex.submit(task, 5);
  } catch (const mp::ValueError& e) {
    std::cout << "mp::ValueError: " << e.what() << '\n';
  }
}
