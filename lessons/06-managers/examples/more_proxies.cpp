// Python:
//   from multiprocessing import Process
//   from multiprocessing.managers import SyncManager
//
//   class Counter:
//       def __init__(self):
//           self.n = 0
//       def add(self, k):
//           self.n += k
//           return self.n
//       def get(self):
//           return self.n
//
//   SyncManager.register('Counter', Counter)
//
//   def worker(q, done, c):
//       for i in range(3):
//           q.put(f'job {i}')
//       c.add(3)
//       done.set()
//
//   if __name__ == '__main__':
//       with SyncManager() as m:
//           q, done, c = m.Queue(), m.Event(), m.Counter()
//           p = Process(target=worker, args=(q, done, c))
//           p.start()
//           done.wait(5)
//           print([q.get() for _ in range(3)])
//           print(c.get())
//           p.join()
#include <chrono>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include <mp/manager.hpp>
#include <mp/process.hpp>
#include <mp/repr.hpp>

using namespace std::chrono_literals;

struct Counter {
  int n = 0;
  int add(int k) { return n += k; }
  [[nodiscard]] int get() const { return n; }
};

// What proxies may call, by name (Python's register() finds the methods itself).
template <>
struct mp::Methods<Counter> {
  static constexpr auto list =
      std::make_tuple(mp::method<&Counter::add>("add"), mp::method<&Counter::get>("get"));
};

int main() {
  mp::Manager m;
  const auto q = m.queue<std::string>();
  const auto done = m.event();
  const auto c = m.object<Counter>();
  mp::Process p([q, done, c] {
    for (int i = 0; i < 3; ++i) q.put("job " + std::to_string(i));
    (void)c.call<&Counter::add>(3);
    done.set();
  });
  p.start();
  (void)done.wait(5s);
  std::vector<std::string> jobs;
  for (int i = 0; i < 3; ++i) jobs.push_back(q.get());
  std::cout << mp::repr(jobs) << '\n';
  std::cout << c.call<&Counter::get>() << '\n';
  p.join();
}
