// mp::tasks against Python's Celery (scripts/bench_celery.py), end to end on a
// redis-server of the benchmark's own: one delay() -> get() round trip, and
// the rate of trivial tasks through 1 and 2 worker processes (send them all,
// then wait for every result).

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "mp/process.hpp"
#include "mp/tasks.hpp"

namespace {

int add(int x, int y) { return x + y; }

mp::Process worker(const std::string& url, int processes) {
  mp::Process p([url, processes] {
    mp::tasks::Worker w(url, {.concurrency = processes, .log = [](std::string_view) {}});
    w.register_task("bench.add", add);
    w.run();
  });
  p.start();
  return p;
}

// One delay() -> get() round trip (Celery: several ms).
void BM_tasks_delay_get_roundtrip(benchmark::State& state) {
  mp::tasks::LocalRedis redis;
  auto w = worker(redis.url(), 1);
  mp::tasks::App app(redis.url());
  auto task = app.task<int(int, int)>("bench.add");
  (void)task.delay(1, 1).get();  // the worker is up
  for (auto _ : state) benchmark::DoNotOptimize(task.delay(1, 2).get());
  w.terminate();
  (void)w.join(std::chrono::seconds(10));
}

// Trivial tasks per second end to end, through `processes` pool processes.
void tasks_rate(benchmark::State& state, int processes) {
  mp::tasks::LocalRedis redis;
  auto w = worker(redis.url(), processes);
  mp::tasks::App app(redis.url());
  auto task = app.task<int(int, int)>("bench.add");
  (void)task.delay(1, 1).get();
  constexpr int n = 2000;
  for (auto _ : state) {
    std::vector<mp::tasks::AsyncResult<int>> rs;
    rs.reserve(n);
    for (int i = 0; i < n; ++i) rs.push_back(task.delay(i, 1));
    for (auto& r : rs) benchmark::DoNotOptimize(r.get());
  }
  state.SetItemsProcessed(state.iterations() * n);
  w.terminate();
  (void)w.join(std::chrono::seconds(10));
}
void BM_tasks_rate_1_process(benchmark::State& state) { tasks_rate(state, 1); }
void BM_tasks_rate_2_processes(benchmark::State& state) { tasks_rate(state, 2); }

BENCHMARK(BM_tasks_delay_get_roundtrip)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_tasks_rate_1_process)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_tasks_rate_2_processes)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
