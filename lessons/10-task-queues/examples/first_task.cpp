// Python:
//   # tasks.py, on every machine
//   from celery import Celery
//   app = Celery("tasks", broker=URL, backend=URL)
//   @app.task
//   def add(x, y):
//       return x + y
//   # on the worker machines:   celery -A tasks worker --concurrency 2
//   # on the producer:
//   from tasks import add
//   r = add.delay(2, 3)
//   print(f"add.delay(2, 3) -> a task id of {len(r.id)} characters")
//   print(f"r.get(timeout=10) = {r.get(timeout=10)}, state {r.state}")
//   results = [add.delay(i, i) for i in range(10)]
//   print("sum of add(i, i) for i < 10 =", sum(r.get(timeout=10) for r in results))
#include <chrono>
#include <iostream>
#include <string_view>
#include <vector>

#include <mp/process.hpp>
#include <mp/tasks.hpp>

using namespace std::chrono_literals;

//! [task]
int add(int x, int y) { return x + y; }

void worker_main(std::string url) {  // `celery -A tasks worker --concurrency 2`
  mp::tasks::Worker worker(url, {.concurrency = 2, .log = [](std::string_view) {}});
  worker.register_task("tasks.add", add);
  worker.run();  // until SIGTERM
}
//! [task]

int main() {
  mp::tasks::LocalRedis redis;  // the broker and the result backend
  mp::Process worker(worker_main, redis.url());
  worker.start();

  //! [producer]
  mp::tasks::App app(redis.url());
  auto add = app.task<int(int, int)>("tasks.add");
  auto r = add.delay(2, 3);
  std::cout << "add.delay(2, 3) -> a task id of " << r.id().size() << " characters\n";
  std::cout << "r.get(10s) = " << r.get(10s) << ", state " << mp::tasks::to_string(r.state()) << '\n';
  std::vector<mp::tasks::AsyncResult<int>> results;
  for (int i = 0; i < 10; ++i) results.push_back(add.delay(i, i));
  int sum = 0;
  for (auto& each : results) sum += each.get(10s);
  std::cout << "sum of add(i, i) for i < 10 = " << sum << '\n';
  //! [producer]

  worker.terminate();  // SIGTERM: a warm shutdown
  worker.join();
  std::cout << "worker exit code " << worker.exitcode().value_or(-1) << '\n';
}
