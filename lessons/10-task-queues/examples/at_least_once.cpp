// Python:
//   app.conf.task_acks_late = True
//   app.conf.broker_transport_options = {"visibility_timeout": 1}
//   @app.task
//   def pay(order):
//       n = r.incr("runs")
//       r.incrby("balance", 10)                # not idempotent: a second run pays twice
//       r.set(f"paid:{order}", 10, nx=True)    # idempotent: a second run changes nothing
//       if n == 1:
//           time.sleep(3600)                   # the first worker is killed (kill -9) here
//       return n
//   pay.delay("A-17").get(timeout=20)          # a second worker runs it again
#include <chrono>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>

#include <mp/process.hpp>
#include <mp/tasks.hpp>

using namespace std::chrono_literals;

std::string broker;

//! [pay]
long long pay(std::string order) {
  mp::tasks::Redis r(broker);
  const long long n = r.command({"INCR", "runs"}).integer;
  r.command({"INCRBY", "balance", "10"});             // not idempotent: a second run pays twice
  r.command({"SET", "paid:" + order, "10", "NX"});    // idempotent: a second run changes nothing
  while (n == 1) std::this_thread::sleep_for(100ms);  // the first worker is killed here
  return n;
}
//! [pay]

void worker_main() {
  mp::tasks::Worker w(broker, {.concurrency = 1, .visibility_timeout = 1s, .log = [](std::string_view) {}});
  w.register_task("tasks.pay", pay);
  w.run();
}

int main() {
  mp::tasks::LocalRedis redis;
  broker = redis.url();
  mp::tasks::Redis r(broker);
  mp::tasks::App app(broker);

  mp::Process first(worker_main);
  first.start();
  auto result = app.task<long long(std::string)>("tasks.pay").delay("A-17");
  while (r.command({"GET", "runs"}).is_nil()) std::this_thread::sleep_for(1ms);  // it started
  first.kill();  // kill -9 in the middle of the task: no result, no acknowledgement
  first.join();
  std::cout << "first worker killed while running the task; state " << mp::tasks::to_string(result.state())
            << '\n';

  mp::Process second(worker_main);  // its message is older than the visibility timeout:
  second.start();                   // the second worker puts it back on the queue and runs it
  std::cout << "second worker: the task returned run number " << result.get(20s) << '\n';
  std::cout << "balance (INCRBY, not idempotent): " << r.command({"GET", "balance"}).str << " (paid twice)\n";
  std::cout << "paid:A-17 (SET NX, idempotent): " << r.command({"GET", "paid:A-17"}).str << '\n';
  second.terminate();
  second.join();
}
