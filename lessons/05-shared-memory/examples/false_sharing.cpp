// Python:
//   # Python's interpreter spends ~50 ns per `+=`, which hides the effect; the C++ shows it.
//   import time
//   from multiprocessing import Process
//   from multiprocessing.sharedctypes import RawArray
//   N = 2_000_000
//   def bump(counters, i):
//       for _ in range(N): counters[i] += 1     # each process its own element: no race
//   def timed(counters, a, b):
//       ps = [Process(target=bump, args=(counters, i)) for i in (a, b)]
//       start = time.monotonic()
//       for p in ps: p.start()
//       for p in ps: p.join()
//       return time.monotonic() - start
//   if __name__ == '__main__':
//       c = RawArray('q', 16)                    # 16 * 8 bytes: two cache lines
//       same, apart = timed(c, 0, 1), timed(c, 0, 8)
//       print(f'one cache line: {same / apart:.0f}x slower than 64 bytes apart')
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <vector>

#include <mp/array.hpp>
#include <mp/process.hpp>

using Clock = std::chrono::steady_clock;
constexpr std::int64_t adds = 20'000'000;

// Adds 1, `adds` times, to counters[i]: each process its own element, so no
// race. The atomic add makes every addition a real read-modify-write of
// memory, as a shared counter's must be (a plain `+=` in a loop would stay in
// a register until the end).
void bump(mp::RawArray<std::int64_t> counters, std::size_t i) {
  std::atomic_ref<std::int64_t> mine(counters[i]);
  for (std::int64_t k = 0; k < adds; ++k) mine.fetch_add(1, std::memory_order_relaxed);
}

double timed(mp::RawArray<std::int64_t> counters, std::size_t a, std::size_t b) {
  std::vector<mp::Process> ps;
  ps.emplace_back(bump, counters, a);
  ps.emplace_back(bump, counters, b);
  const auto start = Clock::now();
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int main() {
  mp::RawArray<std::int64_t> counters(16);     // 16 * 8 bytes: two cache lines of 64 bytes
  const double same = timed(counters, 0, 1);   // 8 bytes apart: one cache line
  const double apart = timed(counters, 0, 8);  // 64 bytes apart: a line each
  std::cout << "one cache line: " << std::lround(same / apart) << "x slower than 64 bytes apart\n";
  std::cout << "counts: " << counters[0] << ' ' << counters[1] << ' ' << counters[8] << '\n';
}
