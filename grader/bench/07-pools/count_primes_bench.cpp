// Lesson 07, exercise 1: the pool's count_primes against the serial one. The
// grader's speed-up is BM_CountPrimesSerial / BM_CountPrimes. Trusted-parent style:
// BM_CountPrimes runs the student's count_primes in a child that loaded it
// (time_in_student); BM_CountPrimesSerial runs the contract's serial version in a
// child that did not, so the student's code cannot slow the baseline down. Both are
// timed, and the counts checked, by this program. BM_CountPrimes uses
// min(usable cores, 4) workers.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <vector>

#include <benchmark/benchmark.h>
#include <sched.h>

#include "count_primes.hpp"
#include "student_code.hpp"

namespace {

// Large enough numbers that one chunk is real work, and the chunks of larger numbers
// cost more than the first ones (about 0.2 s serially on the course machine).
constexpr std::uint64_t lo = 100'000'000, hi = lo + 200'000;

// The right answer, computed here only after the child has ended.
std::uint64_t expected_count() {
  static const std::uint64_t count = lesson07::count_primes_serial(lo, hi);
  return count;
}

// The cores this process may run on (taskset, cgroups), not the machine's.
int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

template <class InChild, class Count>
void time_counts(benchmark::State& state, InChild in_child, Count count) {
  const auto rounds = static_cast<int>(state.max_iterations);
  try {
    const auto [seconds, counts] = in_child([&] {
      std::vector<std::uint64_t> all;
      for (int r = 0; r < rounds; ++r) all.push_back(count());
      return all;
    });
    if (std::count(counts.begin(), counts.end(), expected_count()) != rounds) {
      state.SkipWithError("the counts are wrong");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / rounds);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * (hi - lo)));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_CountPrimesSerial(benchmark::State& state) {
  time_counts(
      state, [](auto&& fn) { return mp::testing::time_in_trusted_child(fn); },
      [] { return lesson07::count_primes_serial(lo, hi); });
}
BENCHMARK(BM_CountPrimesSerial)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_CountPrimes(benchmark::State& state) {
  const int workers = std::min(usable_cores(), 4);
  time_counts(
      state, [](auto&& fn) { return mp::testing::time_in_student(fn); },
      [workers] { return lesson07::count_primes(lo, hi, workers); });
  state.counters["workers"] = workers;
}
BENCHMARK(BM_CountPrimes)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
