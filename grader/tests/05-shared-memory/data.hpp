#pragma once
// Deterministic pseudo-random values for the parallel_histogram tests and
// benchmark: the same seed gives the same values in the trusted parent (the
// expected histogram) and in the child that runs the student's code.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lesson05::testing {

/// `n` values from xorshift64* with `seed`, each below `limit` (>= 1).
inline std::vector<std::uint32_t> values(std::size_t n, std::uint64_t seed,
                                         std::uint64_t limit = 1ull << 32) {
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  std::vector<std::uint32_t> out(n);
  for (auto& v : out) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    v = static_cast<std::uint32_t>(((state * 0x2545F4914F6CDD1Dull) >> 32) % limit);
  }
  return out;
}

}  // namespace lesson05::testing
