// Lesson 02, exercise 1: the parallel word count against the serial one.
// The grader's speed-up is BM_WordCountSerial / BM_WordCount, both measured
// in the student's build; BM_WordCount uses min(usable cores, 4) workers.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <sched.h>

#include "../../tests/02-queues/corpus.hpp"
#include "word_count.hpp"

namespace {

// About 4 MiB of text in 256 documents, made once, before any benchmark forks.
const std::vector<std::string>& corpus() {
  static const std::vector<std::string> docs = lesson02::testing::Corpus(7).documents(256, 16 * 1024);
  return docs;
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

void BM_WordCountSerial(benchmark::State& state) {
  const auto& docs = corpus();
  for (auto _ : state) benchmark::DoNotOptimize(lesson02::word_count_serial(docs));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes()));
}
BENCHMARK(BM_WordCountSerial)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_WordCount(benchmark::State& state) {
  const auto& docs = corpus();
  const int workers = std::min(usable_cores(), 4);
  try {
    for (auto _ : state) benchmark::DoNotOptimize(lesson02::word_count(docs, workers));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes()));
  state.counters["workers"] = workers;
}
BENCHMARK(BM_WordCount)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
