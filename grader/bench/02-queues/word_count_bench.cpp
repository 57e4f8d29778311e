// Lesson 02, exercise 1: the parallel word count against the serial one. The
// grader's speed-up is BM_WordCountSerial / BM_WordCount. Trusted-parent style:
// BM_WordCount runs the student's word_count in a child that loaded it
// (time_in_student); BM_WordCountSerial runs the contract's serial version in a
// child that did not, so the student's code cannot slow the baseline down. Both
// are timed, and the counts checked, by this program. BM_WordCount uses
// min(usable cores, 4) workers.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <sched.h>

#include "../../tests/02-queues/corpus.hpp"
#include "student_code.hpp"
#include "word_count.hpp"

namespace {

// About 4 MiB of text in 256 documents, made once, before any child is forked.
const std::vector<std::string>& corpus() {
  static const std::vector<std::string> docs = lesson02::testing::Corpus(7).documents(256, 16 * 1024);
  return docs;
}

// The right answer, made here only after the child has ended: never in memory
// that the student's code could read the answer from.
const lesson02::WordCounts& expected_counts() {
  static const lesson02::WordCounts counts = lesson02::word_count_serial(corpus());
  return counts;
}

std::size_t total_bytes() {
  std::size_t n = 0;
  for (const auto& d : corpus()) n += d.size();
  return n;
}

// The cores this process may run on (taskset, cgroups), not the machine's:
// more workers than usable cores only adds switching.
int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

// Runs `count` `rounds` times, in the child `in_child` makes, and sets the
// benchmark's time from it; fails the benchmark when a count is wrong.
template <class InChild, class Count>
void time_counts(benchmark::State& state, InChild in_child, Count count) {
  const auto rounds = static_cast<int>(state.max_iterations);
  const auto& docs = corpus();
  try {
    const auto [seconds, counts] = in_child([&] {
      std::vector<lesson02::WordCounts> all;
      for (int r = 0; r < rounds; ++r) all.push_back(count(docs));
      return all;
    });
    if (std::count(counts.begin(), counts.end(), expected_counts()) != rounds) {
      state.SkipWithError("the word counts are wrong");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / rounds);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes()));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_WordCountSerial(benchmark::State& state) {
  time_counts(
      state, [](auto&& fn) { return mp::testing::time_in_trusted_child(fn); },
      [](const std::vector<std::string>& docs) { return lesson02::word_count_serial(docs); });
}
BENCHMARK(BM_WordCountSerial)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_WordCount(benchmark::State& state) {
  const int workers = std::min(usable_cores(), 4);
  time_counts(
      state, [](auto&& fn) { return mp::testing::time_in_student(fn); },
      [workers](const std::vector<std::string>& docs) { return lesson02::word_count(docs, workers); });
  state.counters["workers"] = workers;
}
BENCHMARK(BM_WordCount)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
