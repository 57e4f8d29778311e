// Python:
//   from multiprocessing import Process
//   import sys, time
//   def f(i):
//       for ch in f'hello world {i}\n':   # a line written in pieces, as a slow
//           sys.stdout.write(ch)          # terminal or a long print would
//           sys.stdout.flush()
//           time.sleep(0.001)
//   if __name__ == '__main__':
//       ps = [Process(target=f, args=(num,)) for num in range(4)]
//       for p in ps: p.start()
//       for p in ps: p.join()
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <mp/process.hpp>

using namespace std::chrono_literals;

void f(int i) {
  for (char ch : "hello world " + std::to_string(i) + "\n") {  // no lock: the pieces interleave
    std::cout << ch << std::flush;
    std::this_thread::sleep_for(1ms);
  }
}

int main() {
  std::vector<mp::Process> procs;
  for (int num = 0; num < 4; ++num) procs.emplace_back(f, num).start();
  for (auto& p : procs) p.join();
}
