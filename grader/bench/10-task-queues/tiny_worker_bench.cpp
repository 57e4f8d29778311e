// Lesson 10, exercise 2: the tiny worker runs 500 messages (a trivial handler), 3 rounds
// per sample. The grader compares BM_TinyWorker on the student's code with the
// reference's, interleaved. BM_MpTasksWorker (information only, not graded) runs 500
// trivial tasks through mp::tasks (Celery's protocol, results in their own keys) with
// one worker process, for the comparison the lesson page makes. Trusted-parent style:
// Redis is started inside the timed child (redis_fixture.hpp); the results are checked
// here.
#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <mp/tasks.hpp>

#include "redis_fixture.hpp"
#include "student_code.hpp"
#include "tiny_worker.hpp"

namespace {

constexpr int messages = 500;

void BM_TinyWorker(benchmark::State& state) {
  const auto rounds = static_cast<int>(state.max_iterations);
  try {
    const auto [seconds, counts] = mp::testing::time_in_student([&] {
      lesson10_testing::RedisHere redis;
      mp::tasks::Redis r(redis.url());
      std::vector<std::int64_t> out;
      for (int round = 0; round < rounds; ++round) {
        const lesson10::TinyQueueKeys keys{.queue = "q" + std::to_string(round),
                                           .processing = "p" + std::to_string(round),
                                           .results = "r" + std::to_string(round)};
        for (int i = 0; i < messages; ++i) r.command({"LPUSH", keys.queue, std::to_string(i)});
        (void)lesson10::run_tiny_worker(
            redis.url(), keys, [](const std::string& m) { return m + "!"; }, std::chrono::milliseconds(20));
        std::int64_t right = 0;
        for (int i = 0; i < messages; ++i) {
          const auto v = r.command({"HGET", keys.results, std::to_string(i)});
          if (!v.is_nil() && v.str == std::to_string(i) + "!") ++right;
        }
        out.push_back(right);
      }
      return out;
    });
    for (const auto c : counts) {
      if (c != messages) {
        state.SkipWithError("missing or wrong results");
        return;
      }
    }
    for (auto _ : state) state.SetIterationTime(seconds / rounds);
    state.SetItemsProcessed(state.iterations() * messages);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
BENCHMARK(BM_TinyWorker)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

std::string bang(std::string m) { return m + "!"; }

void BM_MpTasksWorker(benchmark::State& state) {
  const auto rounds = static_cast<int>(state.max_iterations);
  try {
    const auto [seconds, counts] = mp::testing::time_in_trusted_child([&] {
      lesson10_testing::RedisHere redis;
      lesson10_testing::WorkerHere worker(redis.url(), {.concurrency = 1},
                                          [](mp::tasks::Worker& w) { w.register_task("bang", bang); });
      mp::tasks::App app(redis.url());
      const auto task = app.task<std::string(std::string)>("bang");
      std::vector<std::int64_t> out;
      for (int round = 0; round < rounds; ++round) {
        std::vector<mp::tasks::AsyncResult<std::string>> results;
        for (int i = 0; i < messages; ++i) results.push_back(task.delay(std::to_string(i)));
        std::int64_t right = 0;
        for (int i = 0; i < messages; ++i)
          if (results[static_cast<std::size_t>(i)].get(std::chrono::seconds(60)) == std::to_string(i) + "!")
            ++right;
        out.push_back(right);
      }
      return out;
    });
    for (const auto c : counts) {
      if (c != messages) {
        state.SkipWithError("missing or wrong results");
        return;
      }
    }
    for (auto _ : state) state.SetIterationTime(seconds / rounds);
    state.SetItemsProcessed(state.iterations() * messages);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
BENCHMARK(BM_MpTasksWorker)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
