// Python:
//   import threading
//   from concurrent.futures import ThreadPoolExecutor
//   lines, lock = [], threading.Lock()
//   def report(f):
//       where = 'main' if threading.current_thread() is threading.main_thread() else 'worker'
//       with lock:
//           lines.append(f'done: {f.result()} ({where} thread)')
//   with ThreadPoolExecutor(2) as ex:
//       fs = [ex.submit(lambda v: v * v, x) for x in (3, 4)]
//       for f in fs:
//           f.result()                   # done: report() runs at once, in this thread
//           f.add_done_callback(report)
//       go = threading.Event()
//       later = ex.submit(lambda: 25 if go.wait(5) else -1)
//       later.add_done_callback(report)  # not done yet: the worker runs report() when it is
//       go.set()
//   print('\n'.join(sorted(lines)))
#include <algorithm>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <mp/event.hpp>
#include <mp/executor.hpp>

using namespace std::chrono_literals;

int main() {
  const auto main_thread = std::this_thread::get_id();
  std::mutex m;
  std::vector<std::string> lines;
  auto report = [&](const mp::Future<int>& f) {
    const bool in_main = std::this_thread::get_id() == main_thread;
    std::lock_guard lock(m);
    lines.push_back("done: " + std::to_string(f.result()) +
                    (in_main ? " (main thread)" : " (worker thread)"));
  };
  mp::Event go;  // made before the executor: it outlives the tasks that wait for it
  {
    mp::ThreadPoolExecutor ex(2);
    std::vector<mp::Future<int>> fs;
    for (int x : {3, 4}) fs.push_back(ex.submit([](int v) { return v * v; }, x));
    for (auto& f : fs) {
      (void)f.result();  // done: report() runs at once, in this thread
      f.add_done_callback(report);
    }
    mp::Future<int> later = ex.submit([&go] { return go.wait(5s) ? 25 : -1; });
    later.add_done_callback(report);  // not done yet: the worker runs report() when it is
    go.set();
  }  // the executor waits for its tasks, and their callbacks
  std::sort(lines.begin(), lines.end());
  for (const auto& l : lines) std::cout << l << '\n';
}
