// Python:
//   @app.task(autoretry_for=(Exception,), max_retries=3, retry_backoff=0.02)
//   def flaky(key):                                # fails twice, then works
//       n = r.incr(key)
//       if n <= 2:
//           raise ConnectionError(f"failure {n}")
//       return f"ok after {n - 1} failures"
//   @app.task(autoretry_for=(Exception,), max_retries=2, retry_backoff=0.02)
//   def poison(x):                                 # fails every time
//       raise ValueError(f"cannot parse {x!r}")
//   @app.task(soft_time_limit=0.2)
//   def slow(): ...                                # SoftTimeLimitExceeded raised inside
//   @app.task(time_limit=0.3)
//   def stuck(): ...                               # the pool process is killed
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include <mp/process.hpp>
#include <mp/tasks.hpp>

using namespace std::chrono_literals;

std::string broker;

//! [tasks]
std::string flaky(std::string key) {  // fails twice, then works
  mp::tasks::Redis r(broker);
  const long long n = r.command({"INCR", key}).integer;
  if (n <= 2) throw std::runtime_error("failure " + std::to_string(n));
  return "ok after " + std::to_string(n - 1) + " failures";
}
int poison(std::string x) { throw std::invalid_argument("cannot parse '" + x + "'"); }
int slow() {  // loops; checkpoint() throws once the soft limit has passed
  for (;;) {
    mp::tasks::checkpoint();
    std::this_thread::sleep_for(1ms);
  }
}
int stuck() {  // never calls checkpoint(): only the hard limit stops it
  for (;;) std::this_thread::sleep_for(1s);
}
//! [tasks]

void show(const char* what, const mp::tasks::AsyncResult<>& r) {
  try {
    const auto value = r.get(20s);
    std::cout << what << ": SUCCESS " << value << '\n';
  } catch (const mp::tasks::TaskError& e) {
    std::cout << what << ": " << mp::tasks::to_string(r.state()) << " " << e.type_name() << '\n';
  }
}

int main() {
  mp::tasks::LocalRedis redis;
  broker = redis.url();
  mp::Process worker([] {
    //! [register]
    mp::tasks::Worker w(broker, {.concurrency = 2, .log = [](std::string_view) {}});
    const mp::tasks::TaskOptions retry3{.max_retries = 3, .autoretry = true, .retry_backoff = 20ms};
    w.register_task("tasks.flaky", flaky, retry3)
        .register_task("tasks.poison", poison, {.max_retries = 2, .autoretry = true, .retry_backoff = 20ms})
        .register_task("tasks.slow", slow, {.soft_time_limit = 0.2})
        .register_task("tasks.stuck", stuck, {.time_limit = 0.3});
    w.run();
    //! [register]
  });
  worker.start();

  mp::tasks::App app(broker);
  show("flaky ", app.send_task("tasks.flaky", {"flaky-key"}));
  show("poison", app.send_task("tasks.poison", {"7x"}));
  show("slow  ", app.send_task("tasks.slow"));
  show("stuck ", app.send_task("tasks.stuck"));
  show("flaky again", app.send_task("tasks.flaky", {"flaky-key"}));  // the pool replaced the killed process
  worker.terminate();
  worker.join();
}
