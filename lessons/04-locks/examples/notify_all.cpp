// Python:
//   from multiprocessing import Process, Condition, Value
//   import time
//   def waiter(cond, tickets, passed):
//       with cond:
//           if cond.wait_for(lambda: tickets.value > 0, timeout=2):
//               tickets.value -= 1
//               passed.value += 1
//   def run(wake_all):
//       cond = Condition()
//       tickets, passed = Value('i', 0, lock=False), Value('i', 0, lock=False)
//       ps = [Process(target=waiter, args=(cond, tickets, passed)) for _ in range(3)]
//       for p in ps: p.start()
//       time.sleep(0.2)                              # (let them all wait)
//       start = time.monotonic()
//       with cond:
//           tickets.value = 3                        # three tickets at once...
//           cond.notify_all() if wake_all else cond.notify()   # ...and one wake-up, or all
//       for p in ps: p.join()
//       print('notify_all():' if wake_all else 'notify():', passed.value, 'of 3 passed after',
//             round(time.monotonic() - start, 1), 's')
//   if __name__ == '__main__':
//       run(True)     # notify_all(): 3 of 3 passed after 0.0 s
//       run(False)    # notify():     3 of 3 passed after 1.8 s -- two slept until their timeout
#include <chrono>
#include <iostream>
#include <mutex>
#include <vector>

#include <mp/condition.hpp>
#include <mp/process.hpp>
#include <mp/value.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

void waiter(mp::Condition cond, mp::RawValue<int> tickets, mp::RawValue<int> passed,
            mp::RawValue<int> waiting) {
  std::unique_lock guard(cond);
  waiting.get_obj() += 1;
  cond.notify_all();  // (tells the parent one more waits)
  if (cond.wait_for([&] { return tickets.value() > 0; }, 2s)) {
    tickets.get_obj() -= 1;
    passed.get_obj() += 1;
  }
}

void run(bool wake_all) {
  mp::Condition cond;
  mp::RawValue<int> tickets(0);
  mp::RawValue<int> passed(0);
  mp::RawValue<int> waiting(0);
  std::vector<mp::Process> procs;
  for (int i = 0; i < 3; ++i) procs.emplace_back(waiter, cond, tickets, passed, waiting).start();
  Clock::time_point start;
  {
    std::unique_lock guard(cond);
    cond.wait_for([&] { return waiting.value() == 3; });  // all three wait now
    start = Clock::now();
    tickets.set_value(3);  // three tickets at once...
    if (wake_all) {
      cond.notify_all();  // ...and every waiter woken
    } else {
      cond.notify();  // ...and one wake-up: the mistake
    }
  }
  for (auto& p : procs) p.join();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  std::cout << (wake_all ? "notify_all(): " : "notify():     ") << passed.value() << " of 3 passed after "
            << ms << " ms\n";
}

int main() {
  run(true);
  run(false);
}
