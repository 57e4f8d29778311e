// Python:
//   import multiprocessing, os, signal, time
//   from concurrent.futures import ProcessPoolExecutor
//   from concurrent.futures.process import BrokenProcessPool
//   go = multiprocessing.Event()                # made before the workers: they inherit it (fork)
//   def die():
//       go.wait(10)                             # until every task is submitted
//       os.kill(os.getpid(), signal.SIGKILL)    # a worker killed in the middle of a task
//   def slow(i):
//       time.sleep(1)
//       return i
//   if __name__ == '__main__':
//       with ProcessPoolExecutor(2) as ex:
//           fs = [ex.submit(die)] + [ex.submit(slow, i) for i in range(4)]
//           go.set()
//           for i, f in enumerate(fs):
//               try:
//                   print(f'task {i}:', f.result(timeout=10))
//               except BrokenProcessPool:
//                   print(f'task {i}: BrokenProcessPool')
//           try:
//               ex.submit(slow, 9)
//           except BrokenProcessPool as e:
//               print('submit: BrokenProcessPool:', e)
#include <chrono>
#include <csignal>
#include <cstddef>
#include <iostream>
#include <thread>
#include <vector>

#include <mp/event.hpp>
#include <mp/executor.hpp>

#include <unistd.h>

using namespace std::chrono_literals;

mp::Event go;  // made before the workers (a global): they inherit it

int die() {
  (void)go.wait(10s);           // until every task is submitted
  ::kill(::getpid(), SIGKILL);  // a worker killed in the middle of a task
  return 0;
}
int slow(int i) {
  std::this_thread::sleep_for(1s);
  return i;
}

int main() {
  mp::ProcessPoolExecutor ex(2);
  std::vector<mp::Future<int>> fs = {ex.submit(die)};  // one worker dies, the other runs slow(0)
  for (int i = 0; i < 4; ++i) fs.push_back(ex.submit(slow, i));
  go.set();
  for (std::size_t i = 0; i < fs.size(); ++i) {
    try {
      const int r = fs[i].result(10s);
      std::cout << "task " << i << ": " << r << '\n';
    } catch (const mp::BrokenProcessPool&) {
      std::cout << "task " << i << ": mp::BrokenProcessPool\n";
    }
  }
  try {
    (void)ex.submit(slow, 9);
  } catch (const mp::BrokenProcessPool& e) {
    std::cout << "submit: mp::BrokenProcessPool: " << e.what() << '\n';
  }
}
