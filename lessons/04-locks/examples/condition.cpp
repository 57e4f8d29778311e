// Python:
//   from multiprocessing import Process, Condition, Value
//   def consumer(cond, items, taken):
//       with cond:
//           cond.wait_for(lambda: items.value > 0)   # sleeps until there is an item
//           items.value -= 1
//           taken.value += 1
//   if __name__ == '__main__':
//       cond = Condition()
//       items, taken = Value('i', 0, lock=False), Value('i', 0, lock=False)  # guarded by cond
//       ps = [Process(target=consumer, args=(cond, items, taken)) for _ in range(3)]
//       for p in ps: p.start()
//       for _ in range(3):
//           with cond:
//               items.value += 1
//               cond.notify()                        # wakes one consumer
//       for p in ps: p.join()
//       print('taken:', taken.value, 'left:', items.value)
//       with cond:
//           print('wait_for(items > 0, timeout=0.1):', cond.wait_for(lambda: items.value > 0, 0.1))
#include <chrono>
#include <iostream>
#include <mutex>
#include <vector>

#include <mp/condition.hpp>
#include <mp/process.hpp>
#include <mp/value.hpp>

using namespace std::chrono_literals;

// Both counters are guarded by the condition's lock: plain shared memory is enough.
void consumer(mp::Condition cond, mp::RawValue<int> items, mp::RawValue<int> taken) {
  std::unique_lock guard(cond);
  cond.wait_for([&] { return items.value() > 0; });  // sleeps until there is an item
  items.get_obj() -= 1;
  taken.get_obj() += 1;
}

int main() {
  mp::Condition cond;
  mp::RawValue<int> items(0);
  mp::RawValue<int> taken(0);
  std::vector<mp::Process> procs;
  for (int i = 0; i < 3; ++i) procs.emplace_back(consumer, cond, items, taken).start();
  for (int i = 0; i < 3; ++i) {
    std::lock_guard guard(cond);
    items.get_obj() += 1;
    cond.notify();  // wakes one consumer
  }
  for (auto& p : procs) p.join();
  std::cout << "taken: " << taken.value() << " left: " << items.value() << '\n';
  std::lock_guard guard(cond);
  std::cout << "wait_for(items > 0, 100ms): " << std::boolalpha
            << cond.wait_for([&] { return items.value() > 0; }, 100ms) << '\n';
}
