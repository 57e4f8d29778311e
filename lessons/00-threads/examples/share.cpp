// Python:
//   import threading
//   from multiprocessing import Process
//   result = 0
//   def set_result(value):
//       global result
//       result = value
//   t = threading.Thread(target=set_result, args=(42,)); t.start(); t.join()
//   print('after the thread: ', result)     # 42: the thread wrote our variable
//   if __name__ == '__main__':
//       p = Process(target=set_result, args=(7,)); p.start(); p.join()
//       print('after the process:', result)  # still 42: it wrote its own copy
#include <iostream>
#include <thread>

#include <mp/process.hpp>

int result = 0;

void set_result(int value) { result = value; }

int main() {
  std::jthread t(set_result, 42);
  t.join();
  std::cout << "after the thread:  " << result << '\n';  // 42: the thread wrote our variable

  mp::Process p(set_result, 7);
  p.start();
  p.join();
  std::cout << "after the process: " << result << '\n';  // still 42: it wrote its own copy
}
