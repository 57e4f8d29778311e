// Lesson 00, exercise 1: parallel_count against the serial count. The grader's
// speed-up is BM_CountSerial / BM_ParallelCount.
// Trusted-parent style: BM_ParallelCount runs the student's parallel_count in a
// child that loaded it (time_in_student); BM_CountSerial runs the contract's
// count_serial in a child that did not (time_in_trusted_child), so the
// student's code cannot slow the baseline down. Both count the primes of the
// same range with the same is_prime; the counts are checked here.
// BM_ParallelCount uses min(usable cores, 4) threads.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <vector>

#include <benchmark/benchmark.h>
#include <sched.h>

#include "parallel_count.hpp"
#include "student_code.hpp"

namespace {

constexpr std::uint64_t first = 0;
constexpr std::uint64_t last = 1'500'000;

// The right answer, computed here (not in a child).
std::uint64_t expected_count() {
  static const std::uint64_t count = lesson00::count_serial(first, last, lesson00::is_prime);
  return count;
}

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

template <class InChild, class Count>
void time_counts(benchmark::State& state, InChild in_child, Count count) {
  const auto rounds = static_cast<int>(state.max_iterations);
  const std::uint64_t want = expected_count();
  try {
    const auto [seconds, counts] = in_child([&] {
      std::vector<std::uint64_t> all;
      for (int r = 0; r < rounds; ++r) all.push_back(count());
      return all;
    });
    if (std::count(counts.begin(), counts.end(), want) != rounds) {
      state.SkipWithError("the count is wrong");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / rounds);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * (last - first)));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_CountSerial(benchmark::State& state) {
  time_counts(
      state, [](auto&& fn) { return mp::testing::time_in_trusted_child(fn); },
      [] { return lesson00::count_serial(first, last, lesson00::is_prime); });
}
BENCHMARK(BM_CountSerial)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(2);

void BM_ParallelCount(benchmark::State& state) {
  const int threads = std::min(usable_cores(), 4);
  time_counts(
      state, [](auto&& fn) { return mp::testing::time_in_student(fn); },
      [threads] { return lesson00::parallel_count(first, last, threads, lesson00::is_prime); });
  state.counters["threads"] = threads;
}
BENCHMARK(BM_ParallelCount)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
