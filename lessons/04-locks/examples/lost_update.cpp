// Python:
//   from multiprocessing import Process, Value
//   def add(counter, n, locked):
//       for _ in range(n):
//           if locked:
//               with counter.get_lock():
//                   counter.value += 1
//           else:
//               counter.value += 1           # read, add, write: three steps
//   if __name__ == '__main__':
//       for locked in (False, True):
//           counter = Value('i', 0)
//           ps = [Process(target=add, args=(counter, 20000, locked)) for _ in range(4)]
//           for p in ps: p.start()
//           for p in ps: p.join()
//           print('with the lock:' if locked else 'without the lock:', counter.value, '(expected 80000)')
#include <iostream>
#include <mutex>
#include <vector>

#include <mp/process.hpp>
#include <mp/value.hpp>

void add(mp::Value<int> counter, int n, bool locked) {
  for (int i = 0; i < n; ++i) {
    if (locked) {
      std::lock_guard guard(counter.get_lock());
      counter.get_obj() += 1;  // read, add, write: nobody in between
    } else {
      counter.set_value(counter.value() + 1);  // read, add, write: three steps
    }
  }
}

int main() {
  for (bool locked : {false, true}) {
    mp::Value<int> counter(0);
    std::vector<mp::Process> procs;
    for (int i = 0; i < 4; ++i) procs.emplace_back(add, counter, 20000, locked).start();
    for (auto& p : procs) p.join();
    std::cout << (locked ? "with the lock: " : "without the lock: ") << counter.value()
              << " (expected 80000)\n";
  }
}
