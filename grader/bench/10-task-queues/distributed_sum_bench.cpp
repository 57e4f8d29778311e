// Lesson 10, exercise 1: distributed_sum, 2 000 numbers in 40 chunks over a worker of 2
// processes, 5 rounds per sample. The grader compares BM_DistributedSum on the student's
// code with the reference's, interleaved. Trusted-parent style: Redis and the worker are
// started inside the timed child (redis_fixture.hpp), the same for both codes; the totals
// are checked here against a factor drawn here.
#include <chrono>
#include <cstdint>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <mp/tasks.hpp>

#include "distributed_sum.hpp"
#include "redis_fixture.hpp"
#include "student_code.hpp"

namespace {

std::int64_t factor = 1;

std::int64_t weigh(std::vector<std::int64_t> xs) {
  std::int64_t w = 0;
  for (const auto x : xs) w += x * factor + (x % 7);
  return w;
}

void BM_DistributedSum(benchmark::State& state) {
  const auto rounds = static_cast<int>(state.max_iterations);
  try {
    std::random_device rd;
    factor = 1000 + static_cast<std::int64_t>(rd() % 100000);
    std::vector<std::int64_t> numbers;
    for (std::int64_t i = 1; i <= 2000; ++i) numbers.push_back(i);
    const std::int64_t expected = weigh(numbers);
    const auto [seconds, totals] = mp::testing::time_in_student([&] {
      lesson10_testing::RedisHere redis;
      lesson10_testing::WorkerHere worker(
          redis.url(), {.concurrency = 2, .prefetch_multiplier = 4},
          [](mp::tasks::Worker& w) { w.register_task("lesson10.weigh", weigh); });
      std::vector<std::int64_t> out;
      for (int r = 0; r < rounds; ++r)
        out.push_back(lesson10::distributed_sum(redis.url(), numbers, 50, 3, std::chrono::seconds(60)));
      if (mp::tasks::App(redis.url()).queue_length() != 0) out.clear();  // (links the App's code in)
      return out;
    });
    if (totals.size() != static_cast<std::size_t>(rounds)) {
      state.SkipWithError("missing rounds");
      return;
    }
    for (const auto t : totals) {
      if (t != expected) {
        state.SkipWithError("wrong total");
        return;
      }
    }
    for (auto _ : state) state.SetIterationTime(seconds / rounds);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
BENCHMARK(BM_DistributedSum)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
