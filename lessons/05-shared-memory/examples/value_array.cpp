// Python:
//   from multiprocessing import Process, Value, Array
//   def f(n, a):
//       n.value = 3.1415927
//       for i in range(len(a)):
//           a[i] = -a[i]
//   if __name__ == '__main__':
//       num = Value('d', 0.0)
//       arr = Array('i', range(10))
//       p = Process(target=f, args=(num, arr))
//       p.start()
//       p.join()
//       print(num.value)
//       print(arr[:])
#include <iostream>
#include <numeric>
#include <vector>

#include <mp/array.hpp>
#include <mp/process.hpp>
#include <mp/value.hpp>

void f(mp::Value<double> n, mp::Array<int> a) {
  n.set_value(3.1415927);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = -a[i];
}

int main() {
  mp::Value<double> num(0.0);
  std::vector<int> init(10);
  std::iota(init.begin(), init.end(), 0);
  mp::Array<int> arr(init.begin(), init.end());
  mp::Process p(f, num, arr);
  p.start();
  p.join();
  std::cout.precision(8);
  std::cout << num.value() << '\n';
  const char* sep = "[";
  for (int x : arr) {
    std::cout << sep << x;
    sep = ", ";
  }
  std::cout << "]\n";
}
