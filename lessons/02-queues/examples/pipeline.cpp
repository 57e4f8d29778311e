// Python:
//   from multiprocessing import Process, Queue
//   STOP = None                                 # the sentinel: "no more work"
//   def producer(tasks, first, last):
//       for n in range(first, last): tasks.put(n)
//   def consumer(tasks, results):
//       total = count = 0
//       for n in iter(tasks.get, STOP):         # get until the sentinel
//           total += n * n; count += 1
//       results.put((count, total))
//   if __name__ == '__main__':
//       tasks, results = Queue(), Queue()
//       producers = [Process(target=producer, args=(tasks, i * 500, (i + 1) * 500)) for i in range(2)]
//       consumers = [Process(target=consumer, args=(tasks, results)) for _ in range(3)]
//       for p in producers + consumers: p.start()
//       for p in producers: p.join()            # all the work is in the queue...
//       for _ in consumers: tasks.put(STOP)     # ...so now: one sentinel per consumer
//       parts = [results.get() for _ in consumers]
//       for c in consumers: c.join()
//       print('items:', sum(c for c, _ in parts), 'sum of squares:', sum(t for _, t in parts))
#include <cstdint>
#include <iostream>
#include <utility>
#include <vector>

#include <mp/process.hpp>
#include <mp/queue.hpp>

constexpr std::int64_t stop = -1;  // the sentinel: "no more work" (real items are >= 0)

void producer(mp::Queue<std::int64_t> tasks, std::int64_t first, std::int64_t last) {
  for (std::int64_t n = first; n < last; ++n) tasks.put(n);
}

void consumer(mp::Queue<std::int64_t> tasks, mp::Queue<std::pair<std::int64_t, std::int64_t>> results) {
  std::int64_t total = 0;
  std::int64_t count = 0;
  for (std::int64_t n = tasks.get(); n != stop; n = tasks.get()) {
    total += n * n;
    ++count;
  }
  results.put({count, total});
}

int main() {
  mp::Queue<std::int64_t> tasks;
  mp::Queue<std::pair<std::int64_t, std::int64_t>> results;
  std::vector<mp::Process> producers;
  std::vector<mp::Process> consumers;
  for (std::int64_t i = 0; i < 2; ++i) producers.emplace_back(producer, tasks, i * 500, (i + 1) * 500);
  for (int i = 0; i < 3; ++i) consumers.emplace_back(consumer, tasks, results);
  for (auto& p : producers) p.start();
  for (auto& c : consumers) c.start();

  for (auto& p : producers) p.join();  // all the work is in the queue...
  for (std::size_t i = 0; i < consumers.size(); ++i) {
    tasks.put(stop);  // ...one sentinel per consumer
  }

  std::int64_t items = 0;
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < consumers.size(); ++i) {  // get the results BEFORE joining
    const auto [count, total] = results.get();
    items += count;
    sum += total;
  }
  for (auto& c : consumers) c.join();
  std::cout << "items: " << items << " sum of squares: " << sum << '\n';
}
