// Python:
//   import threading, time
//   from multiprocessing import Process
//   def spin(n):
//       while n: n -= 1                       # pure Python: holds the GIL
//   N = 10_000_000
//   def timed(workers):
//       start = time.perf_counter()
//       for w in workers: w.start()
//       for w in workers: w.join()
//       return time.perf_counter() - start
//   if __name__ == '__main__':
//       start = time.perf_counter(); spin(N); spin(N)
//       serial = time.perf_counter() - start
//       threads = timed([threading.Thread(target=spin, args=(N,)) for _ in range(2)])
//       procs = timed([Process(target=spin, args=(N,)) for _ in range(2)])
//       print(f'2 threads:   {serial / threads:.1f}x the speed of one')
//       print(f'2 processes: {serial / procs:.1f}x the speed of one')
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t steps = 100'000'000;  // one job: about 0.1 s here
constexpr std::uint64_t slice = 10'000;       // steps run between two releases of the lock

std::mutex gil;              // a simulated global interpreter lock
std::atomic<int> inside{0};  // threads running a slice right now
std::atomic<int> most{0};    // the most that ever did at once

// A CPU-bound job: `steps` steps of a pseudo-random sequence. With `locked`,
// each slice of it runs while holding `gil`, as CPython runs bytecode only
// while holding the GIL, releasing it now and then for another thread.
std::uint64_t spin(bool locked) {
  std::uint64_t x = 88172645463325252ull;
  for (std::uint64_t done = 0; done < steps; done += slice) {
    std::unique_lock guard(gil, std::defer_lock);
    if (locked) guard.lock();
    const int now = ++inside;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    for (std::uint64_t i = 0; i < slice; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
    --inside;
  }
  return x;
}

// Runs two jobs, on one thread or on two, and returns the seconds it took.
double seconds(bool threads, bool locked) {
  std::vector<std::uint64_t> results(2);
  most = 0;
  const auto start = Clock::now();
  if (threads) {
    std::jthread a([&] { results[0] = spin(locked); });
    std::jthread b([&] { results[1] = spin(locked); });
  } else {
    results[0] = spin(false);
    results[1] = spin(false);
  }
  const std::chrono::duration<double> took = Clock::now() - start;
  if (results[0] != results[1]) std::cerr << "the jobs disagree\n";
  return took.count();
}

int main() {
  const double serial = seconds(false, false);
  std::cout << std::fixed << std::setprecision(1);
  const double with_lock = seconds(true, true);
  std::cout << "2 threads, one global lock: at most " << most << " running at once, speed-up "
            << serial / with_lock << "x\n";
  const double without = seconds(true, false);
  std::cout << "2 threads, no global lock:  at most " << most << " running at once, speed-up "
            << serial / without << "x\n";
}
