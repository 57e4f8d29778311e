// Python:
//   # three machines each run:   celery -A tasks worker --concurrency 1 --prefetch-multiplier 1
//   @app.task
//   def meet(n):                       # returns once n calls of meet are running at once
//       r.incr("arrived")
//       while int(r.get("arrived")) < n:
//           time.sleep(0.001)
//       return os.getpid()
//   pids = [meet.delay(3) for _ in range(3)]
//   print(len({p.get(timeout=10) for p in pids}), "different worker processes")
#include <chrono>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

#include <mp/process.hpp>
#include <mp/tasks.hpp>
#include <mp/trace.hpp>

using namespace std::chrono_literals;

std::string broker;  // set before the workers are forked

//! [meet]
long long meet(int n) {  // returns once n calls of meet are running at once
  mp::tasks::Redis r(broker);
  r.command({"INCR", "arrived"});
  while (std::stoi(r.command({"GET", "arrived"}).str) < n) std::this_thread::sleep_for(1ms);
  return ::getpid();
}
//! [meet]

int main() {
  mp::tasks::LocalRedis redis;
  broker = redis.url();
  std::vector<std::unique_ptr<mp::Process>> workers;  // three "machines"
  for (int i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<mp::Process>([] {
      mp::tasks::Worker w(broker,
                          {.concurrency = 1, .prefetch_multiplier = 1, .log = [](std::string_view) {}});
      w.register_task("tasks.meet", meet);
      w.run();
    }));
    workers.back()->start();
  }

  const std::int64_t sent = mp::trace::now_ns();  // a labelled band in ./course trace's timeline
  //! [send]
  mp::tasks::App app(broker);
  auto task = app.task<long long(int)>("tasks.meet");
  std::vector<mp::tasks::AsyncResult<long long>> calls;
  for (int i = 0; i < 3; ++i) calls.push_back(task.delay(3));
  std::set<long long> pids;
  for (auto& c : calls) pids.insert(c.get(10s));
  std::cout << "3 calls of meet(3) returned: they ran at the same time\n";
  std::cout << pids.size() << " different worker processes\n";
  //! [send]
  mp::trace::complete("3 calls of meet(3), each on its own worker", "phase", sent, mp::trace::now_ns());

  for (auto& w : workers) w->terminate();
  for (auto& w : workers) w->join();
}
