// Python:
//   from multiprocessing import Pool
//   def f(x):
//       if x == 3:
//           raise ValueError('three')
//       return x * x
//   if __name__ == '__main__':
//       results, errors = [], []
//       with Pool(2) as pool:
//           pending = [pool.apply_async(f, (i,), callback=results.append,
//                                       error_callback=lambda e: errors.append(repr(e)))
//                      for i in range(6)]
//           for r in pending:
//               r.wait()                     # once it is ready, its callback has run
//       print(sorted(results), errors)
#include <algorithm>
#include <cstddef>
#include <exception>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <mp/pool.hpp>

int f(int x) {
  if (x == 3) throw std::invalid_argument("three");
  return x * x;
}

int main() {
  std::mutex m;  // the callbacks run in the pool's handler thread, not in main
  std::vector<int> results;
  std::vector<std::string> errors;
  {
    mp::Pool pool(2);
    std::vector<mp::AsyncResult<int>> pending;
    for (int i = 0; i < 6; ++i) {
      pending.push_back(pool.apply_async(f, i, mp::callback([&](int r) {
                                           const std::lock_guard lock(m);
                                           results.push_back(r);
                                         }),
                                         mp::error_callback([&](const std::exception& e) {
                                           const std::lock_guard lock(m);
                                           errors.push_back(std::string("invalid_argument('") + e.what() +
                                                            "')");
                                         })));
    }
    for (auto& r : pending) r.wait();  // once it is ready, its callback has run
  }
  const std::lock_guard lock(m);
  std::sort(results.begin(), results.end());
  std::cout << '[';
  for (std::size_t i = 0; i < results.size(); ++i) std::cout << (i ? ", " : "") << results[i];
  std::cout << "] [" << errors.at(0) << "]\n";
}
