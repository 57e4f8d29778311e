// Lesson 00, exercise 1: parallel_count (see parallel_count.hpp for the contract).
// Reference solution.
#include "parallel_count.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <mp/error.hpp>

namespace lesson00 {

std::uint64_t parallel_count(std::uint64_t first, std::uint64_t last, int threads, const Predicate& pred) {
  if (threads < 1)
    throw mp::ValueError("parallel_count: threads must be at least 1, not " + std::to_string(threads));
  if (first > last) throw mp::ValueError("parallel_count: first must not be greater than last");
  const auto n = static_cast<std::uint64_t>(threads);
  const std::uint64_t size = last - first;
  constexpr std::uint64_t chunk = 1024;

  // One slot per worker, written once by its worker and read by the caller
  // after join(): no lock needed, and no counter that two threads write.
  std::vector<std::uint64_t> counts(n, 0);
  {
    std::vector<std::jthread> workers;
    workers.reserve(n);
    for (std::uint64_t w = 0; w < n; ++w) {
      // Interleaved in chunks: worker w tests chunks w, w + n, w + 2n, ... of
      // `chunk` numbers, so that each gets its share of the small (cheap) and
      // large (costly) numbers. Chunks, not single numbers: with n = 2, worker
      // 0 would get every even number (not prime, answered at once) and
      // worker 1 all the work.
      workers.emplace_back([&counts, &pred, first, size, n, w] {
        std::uint64_t mine = 0;
        for (std::uint64_t start = w * chunk; start < size; start += n * chunk) {
          const std::uint64_t end = std::min(size, start + chunk);
          for (std::uint64_t k = start; k < end; ++k)
            if (pred(first + k)) ++mine;
        }
        counts[w] = mine;  // publish once
      });
    }
  }  // every std::jthread joins here, in its destructor

  std::uint64_t total = 0;
  for (const std::uint64_t c : counts) total += c;
  return total;
}

}  // namespace lesson00
