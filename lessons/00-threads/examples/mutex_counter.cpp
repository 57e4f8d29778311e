// Python:
//   import threading
//   N = 1_000_000
//   counter, lock = 0, threading.Lock()
//   def work():
//       global counter
//       for _ in range(N):
//           with lock:                        # one thread at a time in here
//               counter += 1
//   ts = [threading.Thread(target=work) for _ in range(2)]
//   for t in ts: t.start()
//   for t in ts: t.join()
//   print('counter:', counter)
#include <iostream>
#include <mutex>
#include <thread>

constexpr long n = 1'000'000;
long counter = 0;
std::mutex lock;

void work() {
  for (long i = 0; i < n; ++i) {
    std::lock_guard guard(lock);  // one thread at a time in here
    ++counter;
  }
}

int main() {
  { std::jthread a(work), b(work); }
  std::cout << "counter: " << counter << '\n';
}
