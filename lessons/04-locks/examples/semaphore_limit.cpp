// Python:
//   from multiprocessing import Process, Semaphore, Value
//   import time
//   def worker(slots, inside, most):
//       with slots:                              # at most 2 workers in here at once
//           with inside.get_lock():
//               inside.value += 1
//               most.value = max(most.value, inside.value)
//           time.sleep(0.05)                     # "downloading"
//           with inside.get_lock():
//               inside.value -= 1
//   if __name__ == '__main__':
//       slots, inside, most = Semaphore(2), Value('i', 0), Value('i', 0)
//       ps = [Process(target=worker, args=(slots, inside, most)) for _ in range(6)]
//       for p in ps: p.start()
//       for p in ps: p.join()
//       print('6 workers, Semaphore(2): at most', most.value, 'inside at once')
#include <algorithm>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include <mp/process.hpp>
#include <mp/semaphore.hpp>
#include <mp/value.hpp>

using namespace std::chrono_literals;

void worker(mp::Semaphore slots, mp::Value<int> inside, mp::Value<int> most) {
  std::lock_guard slot(slots);  // at most 2 workers in here at once
  {
    std::lock_guard guard(inside.get_lock());
    inside.get_obj() += 1;
    most.set_value(std::max(most.value(), inside.get_obj()));
  }
  std::this_thread::sleep_for(50ms);  // "downloading"
  std::lock_guard guard(inside.get_lock());
  inside.get_obj() -= 1;
}

int main() {
  mp::Semaphore slots(2);
  mp::Value<int> inside(0);
  mp::Value<int> most(0);
  std::vector<mp::Process> procs;
  for (int i = 0; i < 6; ++i) procs.emplace_back(worker, slots, inside, most).start();
  for (auto& p : procs) p.join();
  std::cout << "6 workers, Semaphore(2): at most " << most.value() << " inside at once\n";
}
