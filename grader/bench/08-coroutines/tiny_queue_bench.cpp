// Lesson 08, exercise 2: TinyQueue, 3 consumer tasks and one producer that puts 300 000
// items in bursts of 10 (a yield between bursts): most gets find an item, many wait on
// a future. The grader compares BM_TinyQueue on the student's code with the
// reference's, interleaved; BM_AioQueue (the runtime's mp::aio::Queue, same traffic)
// is context. Trusted-parent style: both run in a child (time_in_student), the sum of
// the items got is checked here.
#include <chrono>
#include <cstdint>
#include <exception>
#include <vector>

#include <benchmark/benchmark.h>

#include <mp/aio.hpp>

#include "student_code.hpp"
#include "tiny_queue.hpp"

namespace {

namespace aio = mp::aio;
constexpr std::int64_t items = 300000, burst = 10, consumers = 3;

constexpr std::int64_t expected_sum() { return items * (items + 1) / 2; }

template <class Queue>
aio::Task<std::int64_t> traffic() {
  Queue q;
  std::int64_t sum = 0;
  const auto consumer = [&]() -> aio::Task<void> {
    for (;;) {
      const std::int64_t x = co_await q.get();
      if (x < 0) co_return;
      sum += x;
    }
  };
  std::vector<aio::Future<void>> cs;
  for (std::int64_t i = 0; i < consumers; ++i) cs.push_back(aio::create_task(consumer()));
  for (std::int64_t i = 1; i <= items; ++i) {
    q.put_nowait(i);
    if (i % burst == 0) co_await aio::sleep(std::chrono::milliseconds(0));
  }
  for (std::int64_t i = 0; i < consumers; ++i) q.put_nowait(-1);
  for (auto& c : cs) co_await c;
  co_return sum;
}

template <class Queue>
void time_queue(benchmark::State& state) {
  const auto rounds = static_cast<std::int64_t>(state.max_iterations);
  try {
    const auto [seconds, sum] = mp::testing::time_in_student([&] {
      std::int64_t total = 0;
      for (std::int64_t r = 0; r < rounds; ++r) total += aio::run(traffic<Queue>());
      return total;
    });
    if (sum != rounds * expected_sum()) {
      state.SkipWithError("wrong items");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / static_cast<double>(rounds));
    state.SetItemsProcessed(state.iterations() * items);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_TinyQueue(benchmark::State& state) { time_queue<lesson08::TinyQueue>(state); }
BENCHMARK(BM_TinyQueue)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_AioQueue(benchmark::State& state) { time_queue<aio::Queue<std::int64_t>>(state); }
BENCHMARK(BM_AioQueue)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
