// Python:
//   from multiprocessing import Barrier, Manager, Process
//   N = 1000
//   def racer(v, lock, both, locked):
//       for _ in range(N):
//           if locked:
//               with lock:
//                   v.value = v.value + 1
//           else:
//               old = v.value                # a read ...
//               both.wait()                  # ... both racers have read the same value ...
//               v.value = old + 1            # ... then both write it back, plus one
//           both.wait()                      # the next round starts together
//   if __name__ == '__main__':
//       with Manager() as m:
//           for locked in (False, True):
//               v, lock, both = m.Value('q', 0), m.Lock(), Barrier(2)
//               ps = [Process(target=racer, args=(v, lock, both, locked)) for _ in range(2)]
//               for p in ps: p.start()
//               for p in ps: p.join()
//               print('with' if locked else 'without', 'the lock:', 2 * N - v.value, 'of', 2 * N,
//                     'increments lost')
#include <cstdint>
#include <iostream>
#include <mutex>
#include <vector>

#include <mp/barrier.hpp>
#include <mp/manager.hpp>
#include <mp/process.hpp>

constexpr int n = 1000;

void racer(mp::ValueProxy<std::int64_t> v, mp::LockProxy lock, mp::Barrier both, bool locked) {
  for (int i = 0; i < n; ++i) {
    if (locked) {
      std::lock_guard guard(lock);
      v.set(v.get() + 1);
    } else {
      const auto old = v.get();  // a read ...
      both.wait();               // ... both racers have read the same value ...
      v.set(old + 1);            // ... then both write it back, plus one
    }
    both.wait();  // the next round starts together
  }
}

int main() {
  mp::Manager m;
  for (bool locked : {false, true}) {
    const auto v = m.value<std::int64_t>(0);
    const auto lock = m.lock();
    mp::Barrier both(2);
    std::vector<mp::Process> ps;
    for (int i = 0; i < 2; ++i) ps.emplace_back(racer, v, lock, both, locked);
    for (auto& p : ps) p.start();
    for (auto& p : ps) p.join();
    std::cout << (locked ? "with" : "without") << " the lock: " << 2 * n - v.get() << " of " << 2 * n
              << " increments lost\n";
  }
}
