// Lesson 00, exercise 2: Latch under contention: rounds of "4 threads count a
// Latch(4 * 25 000) down once at a time while the caller waits". The grader
// compares BM_Latch on the student's code with the reference's, interleaved.
// Context, without the student's code (time_in_trusted_child): the same
// rounds on C++20's std::latch (BM_StdLatch).
#include <chrono>
#include <cstdint>
#include <exception>
#include <latch>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "latch.hpp"
#include "student_code.hpp"

namespace {

constexpr int threads = 4;
constexpr int rounds_per_iteration = 4;
constexpr int downs = 25'000;  // per thread and round

// `rounds` rounds; returns how many rounds found the latch open after wait().
template <class MakeAndRun>
std::int64_t run_rounds(std::int64_t rounds, MakeAndRun round) {
  std::int64_t opened = 0;
  for (std::int64_t r = 0; r < rounds; ++r)
    if (round()) ++opened;
  return opened;
}

template <class InChild, class Round>
void time_rounds(benchmark::State& state, InChild in_child, Round round) {
  const auto iterations = static_cast<std::int64_t>(state.max_iterations);
  const std::int64_t rounds = iterations * rounds_per_iteration;
  try {
    const auto [seconds, opened] = in_child([&] { return run_rounds(rounds, round); });
    if (opened != rounds) {
      state.SkipWithError("a wait() returned false");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / static_cast<double>(iterations));
    state.SetItemsProcessed(state.iterations() * rounds_per_iteration);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_Latch(benchmark::State& state) {
  time_rounds(
      state, [](auto&& fn) { return mp::testing::time_in_student(fn); },
      [] {
        lesson00::Latch done(std::int64_t{threads} * downs);
        std::vector<std::jthread> ts;
        ts.reserve(threads);
        for (int t = 0; t < threads; ++t)
          ts.emplace_back([&done] {
            for (int i = 0; i < downs; ++i) done.count_down();
          });
        return done.wait(std::chrono::seconds(10));
      });
}
BENCHMARK(BM_Latch)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_StdLatch(benchmark::State& state) {
  time_rounds(
      state, [](auto&& fn) { return mp::testing::time_in_trusted_child(fn); },
      [] {
        std::latch done(std::int64_t{threads} * downs);
        std::vector<std::jthread> ts;
        ts.reserve(threads);
        for (int t = 0; t < threads; ++t)
          ts.emplace_back([&done] {
            for (int i = 0; i < downs; ++i) done.count_down();
          });
        done.wait();
        return true;
      });
}
BENCHMARK(BM_StdLatch)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
