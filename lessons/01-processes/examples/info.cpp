// Python:
//   import os
//   from multiprocessing import Process
//   def info(title):
//       print(title)
//       print('module name:', __name__)
//       print('parent process:', os.getppid())
//       print('process id:', os.getpid())
//   def f(name):
//       info('function f')
//       print('hello', name)
//   if __name__ == '__main__':
//       info('main line')
//       p = Process(target=f, args=('bob',))
//       p.start()
//       p.join()
#include <iostream>
#include <string>

#include <mp/process.hpp>

// C++ has no module name (__name__): we print the process's name instead,
// Python's current_process().name.
void info(const std::string& title) {
  std::cout << title << '\n'
            << "process name: " << mp::current_process().name << '\n'
            << "parent process: " << mp::parent_pid() << '\n'
            << "process id: " << mp::current_process().pid << '\n';
}

void f(const std::string& name) {
  info("function f");
  std::cout << "hello " << name << '\n';
}

int main() {
  info("main line");
  mp::Process p(f, std::string("bob"));
  p.start();
  p.join();
}
