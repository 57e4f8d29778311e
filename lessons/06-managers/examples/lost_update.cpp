// Python:
//   from multiprocessing import Event, Manager, Process, Semaphore
//   N = 1000
//   def racer(v, lock, ready, go, locked):
//       ready.release()                      # at the start line
//       go.wait()                            # start together
//       for _ in range(N):
//           if locked:
//               with lock:
//                   v.value = v.value + 1
//           else:
//               v.value = v.value + 1        # a read, then a write: two round trips, a gap between
//   if __name__ == '__main__':
//       with Manager() as m:
//           for locked in (False, True):
//               v, lock, ready, go = m.Value('q', 0), m.Lock(), Semaphore(0), Event()
//               ps = [Process(target=racer, args=(v, lock, ready, go, locked)) for _ in range(2)]
//               for p in ps: p.start()
//               for p in ps: ready.acquire()     # both racers are waiting on go
//               go.set()
//               for p in ps: p.join()
//               print('with' if locked else 'without', 'the lock:', 2 * N - v.value, 'of', 2 * N,
//                     'increments lost')
#include <cstdint>
#include <iostream>
#include <mutex>
#include <vector>

#include <mp/event.hpp>
#include <mp/manager.hpp>
#include <mp/process.hpp>
#include <mp/semaphore.hpp>

constexpr int n = 1000;

void racer(mp::ValueProxy<std::int64_t> v, mp::LockProxy lock, mp::Semaphore ready, mp::Event go,
           bool locked) {
  ready.release();  // at the start line
  go.wait();        // start together
  for (int i = 0; i < n; ++i) {
    if (locked) {
      std::lock_guard guard(lock);
      v.set(v.get() + 1);
    } else {
      v.set(v.get() + 1);  // a read, then a write: two round trips, a gap between
    }
  }
}

int main() {
  mp::Manager m;
  for (bool locked : {false, true}) {
    const auto v = m.value<std::int64_t>(0);
    const auto lock = m.lock();
    mp::Semaphore ready(0);
    mp::Event go;
    std::vector<mp::Process> ps;
    for (int i = 0; i < 2; ++i) ps.emplace_back(racer, v, lock, ready, go, locked);
    for (auto& p : ps) p.start();
    for (int i = 0; i < 2; ++i) ready.acquire();  // both racers are waiting on go
    go.set();
    for (auto& p : ps) p.join();
    std::cout << (locked ? "with" : "without") << " the lock: " << 2 * n - v.get() << " of " << 2 * n
              << " increments lost\n";
  }
}
