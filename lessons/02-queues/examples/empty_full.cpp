// Python:
//   import queue, time
//   from multiprocessing import Queue
//   if __name__ == '__main__':
//       q = Queue(maxsize=2)
//       try: q.get_nowait()
//       except queue.Empty: print('get_nowait() on an empty queue: queue.Empty')
//       q.put('a'); q.put('b')
//       start = time.monotonic()
//       try: q.put('c', timeout=0.2)
//       except queue.Full: print('put(timeout=0.2) on a full queue: queue.Full after',
//                                round(time.monotonic() - start, 1), 's')
//       print('get() ->', q.get(), q.get())
#include <chrono>
#include <cmath>
#include <iostream>
#include <string>

#include <mp/error.hpp>
#include <mp/queue.hpp>

using namespace std::chrono_literals;

int main() {
  mp::Queue<std::string> q(2);  // at most 2 items (Python's maxsize)
  try {
    (void)q.get_nowait();
  } catch (const mp::Empty&) {
    std::cout << "get_nowait() on an empty queue: mp::Empty\n";
  }

  q.put("a");
  q.put("b");
  const auto start = std::chrono::steady_clock::now();
  try {
    q.put("c", 200ms);
  } catch (const mp::Full&) {
    const std::chrono::duration<double> waited = std::chrono::steady_clock::now() - start;
    std::cout << "put(x, 200ms) on a full queue: mp::Full after " << std::round(waited.count() * 10) / 10
              << " s\n";
  }
  const std::string first = q.get();
  const std::string second = q.get();
  std::cout << "get() -> " << first << ' ' << second << '\n';
}
