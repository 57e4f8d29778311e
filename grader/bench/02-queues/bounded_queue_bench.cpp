// Lesson 02, exercise 2: BoundedQueue throughput, one producer process to the
// calling process. The grader compares BM_BoundedQueue on the student's code
// with the reference's, interleaved; the items are summed and checked here.
// BM_MpQueueInt64 (the runtime's mp::Queue, same traffic) is context: a
// lock-free byte ring versus semaphores and a lock. Trusted-parent style: both
// run in a child (time_in_student), timed by this program.
#include <cstdint>
#include <exception>

#include <benchmark/benchmark.h>

#include <mp/process.hpp>
#include <mp/queue.hpp>

#include "bounded_queue.hpp"
#include "student_code.hpp"

namespace {

constexpr std::int64_t items = 10000;
constexpr std::size_t capacity = 64;

// `rounds` times: a producer process puts `items` numbers, the caller gets them.
// The sum of everything received, or -1 when a producer failed.
template <class Queue>
std::int64_t pump(Queue q, std::int64_t rounds) {
  std::int64_t sum = 0;
  for (std::int64_t r = 0; r < rounds; ++r) {
    mp::Process producer([q]() mutable {
      for (std::int64_t i = 0; i < items; ++i) q.put(i);
    });
    producer.start();
    for (std::int64_t i = 0; i < items; ++i) sum += q.get();
    producer.join();
    if (producer.exitcode() != 0) return -1;
  }
  return sum;
}

template <class MakeQueue>
void time_pump(benchmark::State& state, MakeQueue make) {
  const auto rounds = static_cast<std::int64_t>(state.max_iterations);
  try {
    const auto [seconds, sum] = mp::testing::time_in_student([&] { return pump(make(), rounds); });
    if (sum != rounds * (items * (items - 1) / 2)) {
      state.SkipWithError("items lost or producer failed");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / static_cast<double>(rounds));
    state.SetItemsProcessed(state.iterations() * items);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_BoundedQueue(benchmark::State& state) {
  time_pump(state, [] { return lesson02::BoundedQueue(capacity); });
}
BENCHMARK(BM_BoundedQueue)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_MpQueueInt64(benchmark::State& state) {
  time_pump(state, [] { return mp::Queue<std::int64_t>(capacity); });
}
BENCHMARK(BM_MpQueueInt64)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
