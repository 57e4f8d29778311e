// Python:
//   from multiprocessing import Process, JoinableQueue
//   def worker(q, done):
//       while True:
//           n = q.get()
//           done.put(n * 10)
//           q.task_done()                 # one call per item taken
//   if __name__ == '__main__':
//       q, done = JoinableQueue(), JoinableQueue()
//       for _ in range(2):
//           Process(target=worker, args=(q, done), daemon=True).start()
//       for n in range(10): q.put(n)
//       q.join()                          # blocks until every item had its task_done()
//       print('all 10 tasks done, results:', sorted(done.get() for _ in range(10)))
//       # the daemon workers are killed when the main process exits
#include <algorithm>
#include <cstdint>
#include <iostream>
#include <vector>

#include <mp/process.hpp>
#include <mp/queue.hpp>

void worker(mp::JoinableQueue<std::int64_t> q, mp::Queue<std::int64_t> done) {
  for (;;) {
    const std::int64_t n = q.get();
    done.put(n * 10);
    q.task_done();  // one call per item taken, after the work on it
  }
}

int main() {
  mp::JoinableQueue<std::int64_t> q;
  mp::Queue<std::int64_t> done;
  std::vector<mp::Process> workers;
  for (int i = 0; i < 2; ++i) {
    workers.emplace_back(worker, q, done);
    workers.back().set_daemon(true);  // killed when main ends: they loop forever
  }
  for (auto& w : workers) w.start();

  for (std::int64_t n = 0; n < 10; ++n) q.put(n);
  q.join();  // blocks until every item put has had its task_done()

  std::vector<std::int64_t> results;
  for (int i = 0; i < 10; ++i) results.push_back(done.get_nowait());  // all there: join() said so
  std::sort(results.begin(), results.end());
  std::cout << "all 10 tasks done, results:";
  for (auto r : results) std::cout << ' ' << r;
  std::cout << '\n';
}
