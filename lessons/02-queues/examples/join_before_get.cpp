// Python (the "joining processes that use queues" pitfall of the docs):
//   from multiprocessing import Process, Queue
//   def f(q):
//       q.put('X' * 1000000)      # larger than the pipe behind the queue
//   if __name__ == '__main__':
//       q = Queue()
//       p = Process(target=f, args=(q,))
//       p.start()
//       p.join()                  # DEADLOCK: the child cannot finish its put
//       obj = q.get()             # ...until someone gets: swap these two lines
#include <chrono>
#include <iostream>
#include <string>

#include <mp/process.hpp>
#include <mp/queue.hpp>

using namespace std::chrono_literals;

void f(mp::Queue<std::string> q) { q.put(std::string(1 << 20, 'X')); }  // 1 MiB

int main() {
  mp::Queue<std::string> q(0, mp::QueueOptions{64 * 1024});  // a 64 KiB ring: the item does not fit
  mp::Process p(f, q);
  p.start();

  // join() first would wait forever; join(timeout) shows the deadlock instead.
  if (!p.join(200ms))
    std::cout << "join(200ms) before get(): timed out, the child is alive: " << std::boolalpha << p.is_alive()
              << " (stuck in put)\n";

  const std::string item = q.get();  // the fix: get first...
  std::cout << "get(): " << item.size() << " bytes\n";
  p.join();  // ...then join
  std::cout << "join() after get(): exitcode " << *p.exitcode() << '\n';
}
