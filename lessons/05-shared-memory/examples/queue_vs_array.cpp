// Python:
//   import time
//   from multiprocessing import Process, Queue, Array
//   N = 4_000_000                                 # 4M doubles: 32 MB of results
//   def by_queue(q):
//       q.put([i * 0.5 for i in range(N)])        # pickled, sent through a pipe, unpickled
//   def in_place(a):
//       for i in range(N): a[i] = i * 0.5         # written where the parent reads them
//   if __name__ == '__main__':
//       q = Queue(); start = time.monotonic()
//       p = Process(target=by_queue, args=(q,)); p.start(); got = q.get(); p.join()
//       queue_s = time.monotonic() - start
//       a = Array('d', N, lock=False); start = time.monotonic()
//       p = Process(target=in_place, args=(a,)); p.start(); p.join()
//       array_s = time.monotonic() - start
//       print(f'shared array: {queue_s / array_s:.0f}x faster than the queue')
#include <chrono>
#include <cmath>
#include <cstddef>
#include <iostream>
#include <vector>

#include <mp/array.hpp>
#include <mp/process.hpp>
#include <mp/queue.hpp>

using Clock = std::chrono::steady_clock;
constexpr std::size_t count = 4'000'000;  // 4M doubles: 32 MiB of results

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int main() {
  // A queue: the child's vector is serialized, copied through the queue's ring, rebuilt here.
  mp::Queue<std::vector<double>> q;
  auto start = Clock::now();
  mp::Process by_queue([q]() mutable {
    std::vector<double> v(count);
    for (std::size_t i = 0; i < count; ++i) v[i] = static_cast<double>(i) * 0.5;
    q.put(v);
  });
  by_queue.start();
  const std::vector<double> got = q.get();
  by_queue.join();
  const double queue_s = seconds_since(start);

  // Shared memory: the child writes the results where the parent reads them. No copy.
  mp::RawArray<double> a(count);
  start = Clock::now();
  mp::Process in_place([a]() mutable {
    for (std::size_t i = 0; i < count; ++i) a[i] = static_cast<double>(i) * 0.5;
  });
  in_place.start();
  in_place.join();
  const double array_s = seconds_since(start);

  std::cout << "same results: " << std::boolalpha << (got == a.to_vector()) << '\n';
  std::cout << "shared array: " << std::lround(queue_s / array_s) << "x faster than the queue\n";
}
