// Python:
//   # worker A:  celery -A tasks worker -c 1 --prefetch-multiplier 4   (then 1, with -O fair)
//   @app.task
//   def step(i):                   # a long task: waits for the key "go"
//       r.incr("started")
//       while not r.exists("go"):
//           time.sleep(0.001)
//       return os.getppid()        # which worker ran it
//   for i in range(4):
//       step.delay(i)
//   # while A runs the first: how many wait in Redis? start worker B: does it get any?
#include <chrono>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

#include <mp/process.hpp>
#include <mp/tasks.hpp>

using namespace std::chrono_literals;

std::string broker;

long long step(int) {
  mp::tasks::Redis r(broker);
  r.command({"INCR", "started"});
  while (r.command({"EXISTS", "go"}).integer == 0) std::this_thread::sleep_for(1ms);
  return ::getppid();  // the worker process that runs this pool process
}

long long started(mp::tasks::Redis& r) {
  const auto v = r.command({"GET", "started"});
  return v.is_nil() ? 0 : std::stoll(v.str);
}

//! [run]
void run(int multiplier) {
  mp::tasks::LocalRedis redis;
  broker = redis.url();
  auto worker = [multiplier] {
    mp::tasks::Worker w(
        broker, {.concurrency = 1, .prefetch_multiplier = multiplier, .log = [](std::string_view) {}});
    w.register_task("tasks.step", step);
    w.run();
  };
  mp::Process a(worker);
  a.start();
  mp::tasks::App app(broker);
  mp::tasks::Redis r(broker);
  std::vector<mp::tasks::AsyncResult<long long>> calls;
  for (int i = 0; i < 4; ++i) calls.push_back(app.task<long long(int)>("tasks.step").delay(i));
  const std::size_t expected_in_redis = multiplier == 1 ? 3 : 0;
  while (started(r) < 1 || app.queue_length() != expected_in_redis) std::this_thread::sleep_for(1ms);
  std::cout << "prefetch_multiplier " << multiplier << ": A runs 1 task, " << app.queue_length()
            << " wait in Redis, " << 3 - app.queue_length() << " wait inside A\n";

  mp::Process b(worker);  // a second worker, idle
  b.start();
  if (multiplier == 1) {
    while (started(r) < 2) std::this_thread::sleep_for(1ms);  // B takes one at once
  }
  r.command({"SET", "go", "1"});
  int by_a = 0;
  for (auto& c : calls) by_a += c.get(10s) == *a.pid() ? 1 : 0;
  std::cout << "  worker B ran " << (by_a == 4 ? "none" : "some") << " of the 4 tasks\n";
  a.terminate();
  b.terminate();
  a.join();
  b.join();
}
//! [run]

int main() {
  run(4);
  run(1);
}
