// Python:
//   from multiprocessing import Process, Lock
//   def f(l, i):
//       l.acquire()
//       try:
//           print('hello world', i)
//       finally:
//           l.release()
//   if __name__ == '__main__':
//       lock = Lock()
//       for num in range(10):
//           Process(target=f, args=(lock, num)).start()
#include <iostream>
#include <mutex>
#include <vector>

#include <mp/lock.hpp>
#include <mp/process.hpp>

void f(mp::Lock l, int i) {
  std::lock_guard guard(l);  // Python's `with l:`; acquire/release also exist
  std::cout << "hello world " << i << std::endl;
}

int main() {
  mp::Lock lock;
  std::vector<mp::Process> procs;
  for (int num = 0; num < 10; ++num) procs.emplace_back(f, lock, num).start();
  for (auto& p : procs) p.join();
}
