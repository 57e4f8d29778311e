// Lesson 05, exercise 1: parallel_histogram (see parallel_histogram.hpp for the contract).
// Reference solution.
#include "parallel_histogram.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <mp/array.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>

namespace lesson05 {

namespace {

// Counts data[first, last) privately, then publishes the counts into row
// `row` of `counts` with one pass: nobody else writes that row, so no lock,
// and the parent reads it only after join().
void worker(const mp::RawArray<std::uint32_t>& data, std::size_t first, std::size_t last, std::size_t bins,
            mp::RawArray<std::int64_t> counts, std::size_t row) {
  Histogram mine(bins, 0);
  for (std::size_t i = first; i < last; ++i) ++mine[bin_of(data[i], bins)];
  std::copy(mine.begin(), mine.end(), counts.begin() + static_cast<std::ptrdiff_t>(row * bins));
}

// Owns the workers: kills and reaps the ones still running when it goes out
// of scope on an error path (mp::Process's destructor would wait for them).
struct Workers {
  std::vector<mp::Process> processes;
  ~Workers() {
    for (auto& p : processes)
      if (p.is_alive()) p.kill();
  }
};

}  // namespace

Histogram parallel_histogram(const mp::RawArray<std::uint32_t>& data, std::size_t bins, int workers,
                             mp::Timeout timeout) {
  if (bins == 0) throw mp::ValueError("parallel_histogram: bins must be at least 1");
  if (workers < 1)
    throw mp::ValueError("parallel_histogram: workers must be at least 1, not " + std::to_string(workers));
  const mp::Deadline deadline(timeout);
  const auto n = static_cast<std::size_t>(workers);
  mp::RawArray<std::int64_t> counts(n * bins);  // one row per worker, zeros; before any start()

  Workers pool;
  pool.processes.reserve(n);
  const std::size_t step = (data.size() + n - 1) / n;
  for (std::size_t w = 0; w < n; ++w) {
    const std::size_t first = std::min(data.size(), w * step);
    const std::size_t last = std::min(data.size(), first + step);
    pool.processes.emplace_back(worker, std::cref(data), first, last, bins, counts, w);
  }
  for (auto& p : pool.processes) p.start();  // all of them first...

  for (auto& p : pool.processes) {  // ...then join them, within one deadline
    if (deadline.is_forever()) {
      p.join();
    } else if (!p.join(deadline.remaining())) {
      throw mp::TimeoutError(
          "parallel_histogram: the workers did not finish in time");  // ~Workers kills them
    }
    if (const int code = p.exitcode().value(); code != 0)
      throw mp::ProcessError("parallel_histogram: worker " + p.name() + " ended with exit code " +
                             std::to_string(code) + ": its counts are missing");
  }

  Histogram total(bins, 0);
  for (std::size_t w = 0; w < n; ++w)
    for (std::size_t b = 0; b < bins; ++b) total[b] += counts[w * bins + b];
  return total;
}

}  // namespace lesson05
