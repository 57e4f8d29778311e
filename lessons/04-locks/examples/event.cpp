// Python:
//   import queue
//   from multiprocessing import Process, Event, Queue
//   def worker(i, go, out):
//       go.wait()                       # every worker waits for the same signal
//       out.put(i * i)
//   if __name__ == '__main__':
//       go, out = Event(), Queue()
//       ps = [Process(target=worker, args=(i, go, out)) for i in range(4)]
//       for p in ps: p.start()
//       try: out.get(timeout=0.1)
//       except queue.Empty: print('before set(): no result; is_set() =', go.is_set())
//       go.set()                        # wakes all four, and stays set
//       print('after set():', sorted(out.get() for _ in ps))
//       for p in ps: p.join()
//       print('a late wait() returns at once:', go.wait(timeout=0))
#include <algorithm>
#include <chrono>
#include <iostream>
#include <vector>

#include <mp/error.hpp>
#include <mp/event.hpp>
#include <mp/process.hpp>
#include <mp/queue.hpp>

using namespace std::chrono_literals;

void worker(int i, mp::Event go, mp::Queue<int> out) {
  go.wait();  // every worker waits for the same signal
  out.put(i * i);
}

int main() {
  mp::Event go;
  mp::Queue<int> out;
  std::vector<mp::Process> procs;
  for (int i = 0; i < 4; ++i) procs.emplace_back(worker, i, go, out).start();
  try {
    (void)out.get(100ms);
  } catch (const mp::Empty&) {
    std::cout << "before set(): no result; is_set() = " << std::boolalpha << go.is_set() << '\n';
  }
  go.set();  // wakes all four, and stays set
  std::vector<int> results;
  for (std::size_t i = 0; i < procs.size(); ++i) results.push_back(out.get());
  std::sort(results.begin(), results.end());
  std::cout << "after set():";
  for (int r : results) std::cout << ' ' << r;
  std::cout << '\n';
  for (auto& p : procs) p.join();
  std::cout << "a late wait() returns at once: " << go.wait(0ms) << '\n';
}
