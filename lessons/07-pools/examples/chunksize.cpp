// Python:
//   import time
//   from multiprocessing import Pool
//   def f(x):
//       return x + 1
//   if __name__ == '__main__':
//       items = list(range(100_000))
//       with Pool(2) as pool:
//           for chunksize in (1, 10, 100, None):         # None: Python's default, 12500 here
//               start = time.monotonic()
//               pool.map(f, items, chunksize)
//               print(f'chunksize {chunksize}: {round((time.monotonic() - start) * 1000)} ms')
#include <chrono>
#include <cstddef>
#include <iostream>
#include <numeric>
#include <vector>

#include <mp/pool.hpp>

using Clock = std::chrono::steady_clock;

int f(int x) { return x + 1; }

int main() {
  std::vector<int> items(100'000);
  std::iota(items.begin(), items.end(), 0);
  mp::Pool pool(2);
  for (const std::size_t chunksize : {1, 10, 100, 0}) {  // 0: Python's default, 12500 here
    const auto start = Clock::now();
    const std::vector<int> out = pool.map(f, items, chunksize);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    const std::size_t size = chunksize ? chunksize : (items.size() + 7) / 8;
    std::cout << "chunksize " << size << ": " << (items.size() + size - 1) / size << " tasks, " << ms
              << " ms, sum " << std::accumulate(out.begin(), out.end(), 0LL) << '\n';
  }
}
