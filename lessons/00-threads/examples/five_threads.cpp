// Python:
//   import threading, time
//   started = threading.Barrier(5)           # every worker has said "iniciada"
//   def worker(n):
//       print(f'Thread {n} iniciada')
//       started.wait()
//       time.sleep(0.1)                      # the work
//       print(f'Thread {n} terminada')
//   threads = [threading.Thread(target=worker, args=(n,)) for n in range(5)]
//   for t in threads: t.start()
//   for t in threads: t.join()
//   print('all done')
#include <chrono>
#include <iostream>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

std::mutex out;         // one line at a time on std::cout
std::latch started(5);  // every worker has said "iniciada" (Python's Barrier(5))

void say(const std::string& line) {
  std::lock_guard guard(out);
  std::cout << line << std::endl;
}

void worker(int n) {
  say("Thread " + std::to_string(n) + " iniciada");
  started.arrive_and_wait();
  std::this_thread::sleep_for(100ms);  // the work
  say("Thread " + std::to_string(n) + " terminada");
}

int main() {
  {
    std::vector<std::jthread> threads;
    for (int n = 0; n < 5; ++n) threads.emplace_back(worker, n);
  }  // joined here
  std::cout << "all done\n";
}
