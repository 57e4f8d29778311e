// Python:
//   from multiprocessing import Process, Manager
//   def f(d, l):
//       d[1] = '1'
//       d['2'] = 2
//       d[0.25] = None
//       l.reverse()
//   if __name__ == '__main__':
//       with Manager() as manager:
//           d = manager.dict()
//           l = manager.list(range(10))
//           p = Process(target=f, args=(d, l))
//           p.start()
//           p.join()
//           print(d)
//           print(l)
#include <iostream>

#include <mp/manager.hpp>
#include <mp/process.hpp>
#include <mp/repr.hpp>

using Dict = mp::DictProxy<mp::Scalar, mp::Scalar>;  // Python's mixed keys and values
using List = mp::ListProxy<int>;

void f(Dict d, List l) {
  d[1] = "1";
  d["2"] = 2;
  d[0.25] = mp::None{};
  l.reverse();
}

int main() {
  mp::Manager manager;  // starts the server process; its destructor shuts it down
  Dict d = manager.dict<mp::Scalar, mp::Scalar>();
  List l = manager.list<int>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  mp::Process p(f, d, l);  // the proxies are copied into the child: address, key, object id
  p.start();
  p.join();
  std::cout << d << '\n';
  std::cout << l << '\n';
}
