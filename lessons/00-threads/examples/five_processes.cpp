// Python:
//   import time
//   from multiprocessing import Barrier, Process
//   def worker(n, started):
//       print(f'Thread {n} iniciada', flush=True)
//       started.wait()
//       time.sleep(0.1)
//       print(f'Thread {n} terminada', flush=True)
//   if __name__ == '__main__':
//       started = Barrier(5)
//       ps = [Process(target=worker, args=(n, started)) for n in range(5)]
//       for p in ps: p.start()
//       for p in ps: p.join()
//       print('all done')
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <mp/barrier.hpp>
#include <mp/process.hpp>

using namespace std::chrono_literals;

void worker(int n, mp::Barrier started) {
  std::cout << "Thread " << n << " iniciada" << std::endl;  // endl: written now, not at exit
  (void)started.wait();
  std::this_thread::sleep_for(100ms);
  std::cout << "Thread " << n << " terminada" << std::endl;
}

int main() {
  mp::Barrier started(5);
  std::vector<mp::Process> ps;
  for (int n = 0; n < 5; ++n) ps.emplace_back(worker, n, started);
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  std::cout << "all done\n";
}
