// Python:
//   import threading
//   N = 1_000_000
//   counter = 0
//   def work():
//       global counter
//       for _ in range(N):
//           counter += 1                      # a read, an add, a write
//   ts = [threading.Thread(target=work) for _ in range(2)]
//   for t in ts: t.start()
//   for t in ts: t.join()
//   print('counter:', counter, 'expected:', 2 * N)
#include <iostream>
#include <latch>
#include <thread>

constexpr long n = 1'000'000;

// volatile only stops the compiler from turning the loop into one "+= n": each
// `counter = counter + 1` stays a load, an add and a store, as in Python. It
// does NOT make them atomic (unlike `volatile` in Java).
volatile long counter = 0;

int main() {
  // The race is likely, not certain, in any single run: try up to 20 times.
  long got = 2 * n;
  for (int attempt = 0; attempt < 20 && got == 2 * n; ++attempt) {
    counter = 0;
    std::latch go(2);  // both threads start counting at the same moment
    {
      auto work = [&go] {
        go.arrive_and_wait();
        for (long i = 0; i < n; ++i) counter = counter + 1;  // a read, an add, a write
      };
      std::jthread a(work), b(work);
    }
    got = counter;
  }
  std::cerr << "counter: " << got << " expected: " << 2 * n << '\n';
  std::cout << "increments lost: " << (got < 2 * n ? "yes" : "no") << '\n';
}
