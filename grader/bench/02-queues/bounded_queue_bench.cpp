// Lesson 02, exercise 2: BoundedQueue throughput, one producer process to the
// calling process. The grader compares BM_BoundedQueue of the student's build
// with the reference solution's, interleaved. BM_MpQueueInt64 (the runtime's
// mp::Queue, same traffic) is context: a lock-free byte ring versus
// semaphores and a lock.
#include <cstdint>
#include <exception>

#include <benchmark/benchmark.h>

#include <mp/process.hpp>
#include <mp/queue.hpp>

#include "bounded_queue.hpp"

namespace {

constexpr std::int64_t items = 10000;
constexpr std::size_t capacity = 64;

template <class Queue>
void pump(benchmark::State& state, Queue q) {
  for (auto _ : state) {
    mp::Process producer([q]() mutable {
      for (std::int64_t i = 0; i < items; ++i) q.put(i);
    });
    producer.start();
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < items; ++i) sum += q.get();
    producer.join();
    if (sum != items * (items - 1) / 2 || producer.exitcode() != 0) {
      state.SkipWithError("items lost or producer failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * items);
}

void BM_BoundedQueue(benchmark::State& state) {
  try {
    pump(state, lesson02::BoundedQueue(capacity));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
BENCHMARK(BM_BoundedQueue)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_MpQueueInt64(benchmark::State& state) { pump(state, mp::Queue<std::int64_t>(capacity)); }
BENCHMARK(BM_MpQueueInt64)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
