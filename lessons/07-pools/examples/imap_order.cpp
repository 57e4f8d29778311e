// Python:
//   import time
//   from multiprocessing import Pool
//   UNIT = 0.1
//   def slow(x):
//       time.sleep((4 - x) * UNIT)     # item 0 is the slowest, item 3 the fastest
//       return x
//   if __name__ == '__main__':
//       with Pool(4) as pool:
//           for name, it in (('imap', pool.imap), ('imap_unordered', pool.imap_unordered)):
//               start = time.monotonic()
//               print(name + ':', ', '.join(f'{x} at {round((time.monotonic() - start) / UNIT)}'
//                                           for x in it(slow, range(4))))
#include <chrono>
#include <cmath>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <mp/pool.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto unit = 100ms;

int slow(int x) {
  std::this_thread::sleep_for((4 - x) * unit);  // item 0 is the slowest, item 3 the fastest
  return x;
}

template <class It>
void show(const std::string& name, It results) {
  const auto start = Clock::now();
  std::cout << name << ':';
  const char* sep = " ";
  for (int x : results) {
    std::cout << sep << x << " at " << std::lround((Clock::now() - start) / unit);
    sep = ", ";
  }
  std::cout << '\n';
}

int main() {
  mp::Pool pool(4);
  const std::vector<int> items{0, 1, 2, 3};
  show("imap", pool.imap(slow, items));
  show("imap_unordered", pool.imap_unordered(slow, items));
}
