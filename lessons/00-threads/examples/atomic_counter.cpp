// Python:
//   # Python has no atomic integer: a Lock (above) is the way. The closest is
//   # itertools.count(), whose next() is one C call that the GIL makes indivisible.
//   import itertools, threading
//   N = 1_000_000
//   ticket = itertools.count(1)
//   def work():
//       for _ in range(N):
//           next(ticket)
//   ts = [threading.Thread(target=work) for _ in range(2)]
//   for t in ts: t.start()
//   for t in ts: t.join()
//   print('counter:', next(ticket) - 1)
#include <atomic>
#include <iostream>
#include <thread>

constexpr long n = 1'000'000;
std::atomic<long> counter{0};

void work() {
  for (long i = 0; i < n; ++i) counter.fetch_add(1, std::memory_order_relaxed);  // one indivisible step
}

int main() {
  { std::jthread a(work), b(work); }
  std::cout << "counter: " << counter << '\n';
}
