// Lesson 03, exercise 1: the parallel grep_count against the serial one. The
// grader's speed-up is BM_GrepCountSerial / BM_GrepCount. Trusted-parent style:
// BM_GrepCount runs the student's grep_count in a child that loaded it
// (time_in_student); BM_GrepCountSerial runs the contract's serial version in a
// child that did not, so the student's code cannot slow the baseline down. Both
// are timed, and the counts checked, by this program. BM_GrepCount uses
// min(usable cores, 4) workers.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <sched.h>

#include "../../tests/03-pipes/log_lines.hpp"
#include "grep_count.hpp"
#include "student_code.hpp"

namespace {

// 400,000 log lines (about 10 MiB), made once, before any child is forked. The
// needle "a" matches most of them: the workers send real traffic back.
const std::vector<std::string>& log() {
  static const std::vector<std::string> lines = lesson03::testing::LogLines(7).lines(400'000, 50);
  return lines;
}
const std::string needle = "a";

// The right answer, made here only after the child has ended.
const lesson03::LineCounts& expected_counts() {
  static const lesson03::LineCounts counts = lesson03::grep_count_serial(log(), needle);
  return counts;
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
  const auto& lines = log();
  try {
    const auto [seconds, counts] = in_child([&] {
      std::vector<lesson03::LineCounts> all;
      for (int r = 0; r < rounds; ++r) all.push_back(count(lines));
      return all;
    });
    if (std::count(counts.begin(), counts.end(), expected_counts()) != rounds) {
      state.SkipWithError("the counts are wrong");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / rounds);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * lines.size()));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_GrepCountSerial(benchmark::State& state) {
  time_counts(
      state, [](auto&& fn) { return mp::testing::time_in_trusted_child(fn); },
      [](const std::vector<std::string>& lines) { return lesson03::grep_count_serial(lines, needle); });
}
BENCHMARK(BM_GrepCountSerial)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_GrepCount(benchmark::State& state) {
  const int workers = std::min(usable_cores(), 4);
  time_counts(
      state, [](auto&& fn) { return mp::testing::time_in_student(fn); },
      [workers](const std::vector<std::string>& lines) {
        return lesson03::grep_count(lines, needle, workers);
      });
  state.counters["workers"] = workers;
}
BENCHMARK(BM_GrepCount)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
