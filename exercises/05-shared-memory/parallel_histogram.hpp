// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in parallel_histogram.cpp (the function parallel_histogram
//  declared here).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 05, exercise 1 ("use it"): a histogram of a large array in
/// shared memory, counted by worker processes that each count a slice and
/// leave their counts in shared memory for the caller to add up.
///
/// Python counterpart:
/// @code{.py}
/// def worker(data, first, last, bins, counts, row):
///     mine = [0] * bins                       # private counts: no lock, no lost update
///     for x in data[first:last]:
///         mine[x % bins] += 1
///     counts[row * bins:(row + 1) * bins] = mine   # one write of the row at the end
///
/// def parallel_histogram(data, bins, workers):    # data: a RawArray('I', ...)
///     counts = RawArray('q', workers * bins)      # one row per worker
///     step = -(-len(data) // workers)
///     procs = [Process(target=worker, args=(data, w * step, min(len(data), (w + 1) * step),
///                                           bins, counts, w)) for w in range(workers)]
///     for p in procs: p.start()
///     for p in procs: p.join()
///     return [sum(counts[w * bins + b] for w in range(workers)) for b in range(bins)]
/// @endcode
///
/// Lesson: lessons/05-shared-memory/README.md, "Exercise 1: parallel_histogram".
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <mp/array.hpp>
#include <mp/timeout.hpp>

namespace lesson05 {

/// The number of values in each bin: `histogram[b]` counts the values `x`
/// with bin_of(x, bins) == b.
using Histogram = std::vector<std::int64_t>;

/// The bin of `value` among `bins` bins (`bins` >= 1): its remainder. Given:
/// use it in your workers.
[[nodiscard]] inline std::size_t bin_of(std::uint32_t value, std::size_t bins) { return value % bins; }

/// The serial histogram: the answer parallel_histogram() must give, and the
/// baseline of its speed-up. Given. @pre `bins` >= 1.
[[nodiscard]] inline Histogram histogram_serial(std::span<const std::uint32_t> data, std::size_t bins) {
  Histogram counts(bins, 0);
  for (const std::uint32_t x : data) ++counts[bin_of(x, bins)];
  return counts;
}

/// Counts the values of `data` into `bins` bins (as histogram_serial() does)
/// with `workers` worker processes, and returns the same histogram.
///
/// **How.** `data` is in shared memory already (and the workers, forked
/// after it exists, see it anyway): split it into `workers` slices, one per
/// mp::Process. Each worker counts its slice into counts of its own and
/// leaves them in shared memory made before the workers start (an
/// mp::RawArray with one row of `bins` counts per worker is the simplest);
/// the caller joins the workers and adds the rows up. Never let two
/// processes add to the same shared count without a lock (the increments
/// are lost), and never take a lock per value (the workers then take turns,
/// and the speed-up is gone): count privately, publish once.
///
/// **Blocking.** Until every worker has ended, or `timeout` (one deadline
/// for the whole call) expires.
///
/// **Guarantees.** On return or throw, every worker it started has ended and
/// been reaped (kill the ones still running on an error path). `data` is
/// not modified.
///
/// @param data    the values; may be empty; read only.
/// @param bins    the number of bins, >= 1.
/// @param workers the number of worker processes, >= 1 (more workers than
///                values is fine: a worker may get an empty slice).
/// @param timeout how long the whole count may take; default: forever.
/// @throws mp::ValueError when `bins` is 0 or `workers` < 1.
/// @throws mp::TimeoutError when the workers have not all ended within `timeout`.
/// @throws mp::ProcessError when a worker ends with a non-zero exit code (it
///         was killed, or crashed: its counts are missing); the message names the code.
///
/// @code
/// mp::RawArray<std::uint32_t> data{1, 2, 3, 4, 5, 6, 7};
/// auto h = lesson05::parallel_histogram(data, 3, 2);   // h == {2, 3, 2}
/// @endcode
[[nodiscard]] Histogram parallel_histogram(const mp::RawArray<std::uint32_t>& data, std::size_t bins,
                                           int workers, mp::Timeout timeout = mp::Timeout());

}  // namespace lesson05
