// Lesson 07, exercise 2: MiniPool, 2 000 tasks submitted at once over two workers,
// then 500 round trips (apply_async + get, one at a time). The grader compares
// BM_MiniPool on the student's code with the reference's, interleaved; the sum of
// the results is checked here. BM_MpPool (the runtime's mp::Pool, same traffic) is
// context. Trusted-parent style: both run in a child (time_in_student), timed here.
#include <cstdint>
#include <exception>
#include <vector>

#include <benchmark/benchmark.h>

#include <mp/pool.hpp>

#include "mini_pool.hpp"
#include "student_code.hpp"

namespace {

constexpr std::int64_t batch = 2000, trips = 500;

std::int64_t triple(std::int64_t x) { return 3 * x; }

std::int64_t expected_sum() {
  std::int64_t s = 0;
  for (std::int64_t i = 0; i < batch; ++i) s += 3 * i;
  for (std::int64_t i = 0; i < trips; ++i) s += 3 * i;
  return s;
}

template <class Run>
void time_pool(benchmark::State& state, Run run) {
  const auto rounds = static_cast<std::int64_t>(state.max_iterations);
  try {
    const auto [seconds, sum] = mp::testing::time_in_student([&] {
      std::int64_t total = 0;
      for (std::int64_t r = 0; r < rounds; ++r) total += run();
      return total;
    });
    if (sum != rounds * expected_sum()) {
      state.SkipWithError("wrong results");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / static_cast<double>(rounds));
    state.SetItemsProcessed(state.iterations() * (batch + trips));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_MiniPool(benchmark::State& state) {
  time_pool(state, [] {
    lesson07::MiniPool pool(2);
    std::vector<std::uint64_t> tickets;
    for (std::int64_t i = 0; i < batch; ++i) tickets.push_back(pool.apply_async(triple, i));
    std::int64_t sum = 0;
    for (auto t : tickets) sum += pool.get(t);
    for (std::int64_t i = 0; i < trips; ++i) sum += pool.get(pool.apply_async(triple, i));
    return sum;
  });
}
BENCHMARK(BM_MiniPool)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_MpPool(benchmark::State& state) {
  time_pool(state, [] {
    mp::Pool pool(2);
    std::vector<mp::AsyncResult<std::int64_t>> results;
    for (std::int64_t i = 0; i < batch; ++i) results.push_back(pool.apply_async(triple, i));
    std::int64_t sum = 0;
    for (auto& r : results) sum += r.get();
    for (std::int64_t i = 0; i < trips; ++i) sum += pool.apply_async(triple, i).get();
    return sum;
  });
}
BENCHMARK(BM_MpPool)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
