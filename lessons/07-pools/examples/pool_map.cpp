// Python:
//   from multiprocessing import Pool
//   def f(x):
//       return x * x
//   if __name__ == '__main__':
//       with Pool(5) as p:
//           print(p.map(f, range(1, 11)))
#include <cstddef>
#include <iostream>
#include <vector>

#include <mp/pool.hpp>

int f(int x) { return x * x; }

int main() {
  mp::Pool p(5);  // five worker processes, forked here
  const std::vector<int> squares = p.map(f, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  std::cout << '[';
  for (std::size_t i = 0; i < squares.size(); ++i) std::cout << (i ? ", " : "") << squares[i];
  std::cout << "]\n";
}  // p's destructor terminates the workers, as leaving Python's `with` block does
