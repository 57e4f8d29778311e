// Python:
//   import time
//   from multiprocessing import Manager, Value
//   N = 2000
//   def per_increment(v, lock):
//       start = time.perf_counter()
//       for _ in range(N):
//           with lock:
//               v.value += 1
//       return (time.perf_counter() - start) / N
//   if __name__ == '__main__':
//       with Manager() as m:
//           mv = m.Value('q', 0)
//           start = time.perf_counter()
//           for _ in range(N):
//               mv.value
//           trip = (time.perf_counter() - start) / N
//           t_manager = per_increment(mv, m.Lock())
//           print('manager:       ', N, 'increments, value', mv.value)
//       sv = Value('q', 0)
//       t_shm = per_increment(sv, sv.get_lock())
//       print('shared memory: ', N, 'increments, value', sv.value)
//       print(f'one round trip to the manager: {trip * 1e6:.1f} µs')
//       print(f'an increment: {t_manager * 1e6:.1f} µs through the manager, '
//             f'{t_shm * 1e9:.0f} ns in shared memory: {t_manager / t_shm:.0f} times as slow')
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <mutex>

#include <mp/manager.hpp>
#include <mp/value.hpp>

using Clock = std::chrono::steady_clock;
constexpr int n = 2000;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int main() {
  mp::Manager manager;
  const mp::ValueProxy<std::int64_t> mv = manager.value<std::int64_t>(0);
  mp::LockProxy lock = manager.lock();
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) (void)mv.get();  // one round trip each
  const double trip = seconds_since(start) / n;
  start = Clock::now();
  for (int i = 0; i < n; ++i) {
    std::lock_guard guard(lock);  // acquire, get, set, release: four round trips
    mv.set(mv.get() + 1);
  }
  const double t_manager = seconds_since(start) / n;
  std::cout << "manager:       " << n << " increments, value " << mv.get() << '\n';

  mp::Value<std::int64_t> sv(0);  // lesson 05: the value itself is in shared memory
  start = Clock::now();
  for (int i = 0; i < n; ++i) {
    std::lock_guard guard(sv.get_lock());  // a futex in shared memory: no system call when free
    sv.get_obj() += 1;
  }
  const double t_shm = seconds_since(start) / n;
  std::cout << "shared memory: " << n << " increments, value " << sv.value() << '\n';
  std::cout << std::fixed << std::setprecision(1);
  std::cout << "one round trip to the manager: " << trip * 1e6 << " µs\n";
  std::cout << "an increment: " << t_manager * 1e6 << " µs through the manager, " << std::lround(t_shm * 1e9)
            << " ns in shared memory: " << std::lround(t_manager / t_shm) << " times as slow\n";
}
