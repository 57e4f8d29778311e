// Lesson 07, exercise 1: count_primes (see count_primes.hpp for the contract).
// Reference solution: 8 chunks per worker, submitted at once with starmap_async,
// one get() with the caller's timeout; the pool's destructor ends the workers.
#include "count_primes.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include <mp/error.hpp>
#include <mp/pool.hpp>

namespace lesson07 {

std::uint64_t count_primes(std::uint64_t lo, std::uint64_t hi, int workers, mp::Timeout timeout) {
  if (workers < 1)
    throw mp::ValueError("count_primes: workers must be at least 1, not " + std::to_string(workers));
  if (hi <= lo) return 0;
  // More chunks than workers: a chunk of large numbers costs more than one of small
  // ones, and a worker that is done early takes the next chunk.
  const std::uint64_t chunks = 8 * static_cast<std::uint64_t>(workers);
  const std::uint64_t step = std::max<std::uint64_t>(1, (hi - lo + chunks - 1) / chunks);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (std::uint64_t a = lo; a < hi; a += std::min(step, hi - a))
    ranges.emplace_back(a, std::min(a + step, hi));

  mp::Pool pool(workers);
  // Every chunk is submitted before we wait for any; chunksize 1: one chunk per task.
  const std::vector<std::uint64_t> counts = pool.starmap_async(count_primes_serial, ranges, 1).get(timeout);
  return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
}  // the pool's destructor terminates the workers (at once, also after a timeout)

}  // namespace lesson07
