// Python:
//   from multiprocessing import Process
//   def f(name):
//       print('hello', name)
//   if __name__ == '__main__':
//       p = Process(target=f, args=('bob',))
//       p.start()
//       p.join()
#include <iostream>
#include <string>

#include <mp/process.hpp>

void f(const std::string& name) { std::cout << "hello " << name << '\n'; }

int main() {
  mp::Process p(f, std::string("bob"));
  p.start();
  p.join();
}
