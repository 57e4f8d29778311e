// Python:
//   from multiprocessing import Pool
//   from multiprocessing.pool import ThreadPool
//   def scale(x, factor):
//       return x * factor
//   if __name__ == '__main__':
//       factor = 3
//       with Pool(2) as pool:
//           try:
//               pool.map(lambda x: x * factor, [1, 2, 3])
//           except Exception as e:
//               print(type(e).__name__ + ':', e)      # Can't pickle <function <lambda> ...>
//           print(pool.starmap(scale, [(x, factor) for x in [1, 2, 3]]))
//       with ThreadPool(2) as pool:                  # threads: nothing is pickled
//           print(pool.map(lambda x: x * factor, [1, 2, 3]))
#include <cstddef>
#include <iostream>
#include <utility>
#include <vector>

#include <mp/pool.hpp>

int scale(int x, int factor) { return x * factor; }

void print(const std::vector<int>& v) {
  std::cout << '[';
  for (std::size_t i = 0; i < v.size(); ++i) std::cout << (i ? ", " : "") << v[i];
  std::cout << "]\n";
}

int main() {
  int factor = 3;  // state of the caller, known only at run time
  {
    mp::Pool pool(2);
    // pool.map([factor](int x) { return x * factor; }, ...) does not compile: see the page.
    std::vector<std::pair<int, int>> args;
    for (int x : {1, 2, 3}) args.emplace_back(x, factor);  // the state travels as arguments
    print(pool.starmap(scale, args));
    print(pool.map([](int x) { return x * 3; }, {1, 2, 3}));  // no capture: a plain function
  }
  mp::ThreadPool threads(2);  // threads: nothing is sent, any lambda will do
  print(threads.map([factor](int x) { return x * factor; }, {1, 2, 3}));
}
