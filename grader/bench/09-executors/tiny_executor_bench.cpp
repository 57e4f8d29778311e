// Lesson 09, exercise 2: TinyExecutor, 2 000 tasks submitted at once to two worker
// threads and their results got, then 2 000 round trips (submit, then result(), one
// at a time: each a hand-over to a worker and back). The grader compares
// BM_TinyExecutor on the student's code with the reference's, interleaved; the sum of
// the results is checked here. BM_MpThreadPoolExecutor (the runtime's
// mp::ThreadPoolExecutor, same traffic) is context. Trusted-parent style: both run
// in a child (time_in_student), timed here.
#include <cstdint>
#include <exception>
#include <vector>

#include <benchmark/benchmark.h>

#include <mp/executor.hpp>

#include "student_code.hpp"
#include "tiny_executor.hpp"

namespace {

constexpr std::int64_t batch = 2000, trips = 2000;

std::int64_t expected_sum() {
  std::int64_t s = 0;
  for (std::int64_t i = 0; i < batch; ++i) s += 3 * i;
  for (std::int64_t i = 0; i < trips; ++i) s += 3 * i;
  return s;
}

template <class Run>
void time_executor(benchmark::State& state, Run run) {
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

void BM_TinyExecutor(benchmark::State& state) {
  time_executor(state, [] {
    lesson09::TinyExecutor ex(2);
    std::vector<lesson09::TinyFuture<std::int64_t>> fs;
    for (std::int64_t i = 0; i < batch; ++i) fs.push_back(ex.submit([i] { return 3 * i; }));
    std::int64_t sum = 0;
    for (auto& f : fs) sum += f.result();
    for (std::int64_t i = 0; i < trips; ++i) sum += ex.submit([i] { return 3 * i; }).result();
    return sum;
  });
}
BENCHMARK(BM_TinyExecutor)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_MpThreadPoolExecutor(benchmark::State& state) {
  time_executor(state, [] {
    mp::ThreadPoolExecutor ex(2);
    std::vector<mp::Future<std::int64_t>> fs;
    for (std::int64_t i = 0; i < batch; ++i) fs.push_back(ex.submit([i] { return 3 * i; }));
    std::int64_t sum = 0;
    for (auto& f : fs) sum += f.result();
    for (std::int64_t i = 0; i < trips; ++i) sum += ex.submit([i] { return 3 * i; }).result();
    return sum;
  });
}
BENCHMARK(BM_MpThreadPoolExecutor)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
