// Lesson 05, exercise 1: the parallel histogram against the serial one. The
// grader's speed-up is BM_HistogramSerial / BM_ParallelHistogram.
// Trusted-parent style: BM_ParallelHistogram runs the student's
// parallel_histogram in a child that loaded it (time_in_student);
// BM_HistogramSerial runs the contract's serial version in a child that did
// not (time_in_trusted_child), so the student's code cannot slow the baseline
// down. Both are timed, and the histograms checked, by this program, against
// a private copy of the data that the student's code cannot change.
// BM_ParallelHistogram uses min(usable cores, 4) workers.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <vector>

#include <benchmark/benchmark.h>
#include <sched.h>

#include <mp/array.hpp>

#include "../../tests/05-shared-memory/data.hpp"
#include "parallel_histogram.hpp"
#include "student_code.hpp"

namespace {

constexpr std::size_t values = 16'000'000;  // 64 MiB of uint32
constexpr std::size_t bins = 1000;
// The baseline reads `bins` from here, so that the compiler cannot turn its
// `% bins` into a multiplication by a constant, which the student's code, given
// bins at run time, cannot do either.
volatile std::size_t opaque_bins = bins;

// The values, private to this process (a child's writes cannot reach them).
const std::vector<std::uint32_t>& pristine() {
  static const std::vector<std::uint32_t> v = lesson05::testing::values(values, 17);
  return v;
}

// The same values in shared memory, made once, before any child is forked.
const mp::RawArray<std::uint32_t>& shared_data() {
  static const mp::RawArray<std::uint32_t> data(pristine());
  return data;
}

// The right answer, made here only after the child has ended, from the private copy.
const lesson05::Histogram& expected_counts() {
  static const lesson05::Histogram counts = lesson05::histogram_serial(pristine(), bins);
  return counts;
}

// The cores this process may run on (taskset, cgroups), not the machine's.
int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

// Runs `count` `rounds` times, in the child `in_child` makes, and sets the
// benchmark's time from it; fails the benchmark when a histogram is wrong.
template <class InChild, class Count>
void time_counts(benchmark::State& state, InChild in_child, Count count) {
  const auto rounds = static_cast<int>(state.max_iterations);
  const auto& data = shared_data();
  try {
    const auto [seconds, histograms] = in_child([&] {
      std::vector<lesson05::Histogram> all;
      for (int r = 0; r < rounds; ++r) all.push_back(count(data));
      return all;
    });
    if (std::count(histograms.begin(), histograms.end(), expected_counts()) != rounds) {
      state.SkipWithError("the histogram is wrong");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / rounds);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_HistogramSerial(benchmark::State& state) {
  time_counts(
      state, [](auto&& fn) { return mp::testing::time_in_trusted_child(fn); },
      [](const mp::RawArray<std::uint32_t>& data) {
        return lesson05::histogram_serial(data.span(), opaque_bins);
      });
}
BENCHMARK(BM_HistogramSerial)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ParallelHistogram(benchmark::State& state) {
  const int workers = std::min(usable_cores(), 4);
  time_counts(
      state, [](auto&& fn) { return mp::testing::time_in_student(fn); },
      [workers](const mp::RawArray<std::uint32_t>& data) {
        return lesson05::parallel_histogram(data, bins, workers);
      });
  state.counters["workers"] = workers;
}
BENCHMARK(BM_ParallelHistogram)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
