// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in count_primes.cpp (the function count_primes declared here).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 07, exercise 1 ("use it"): count the primes in a range of numbers
/// with an mp::Pool of worker processes — the range cut into chunks, the chunks
/// submitted at once, the partial counts summed.
///
/// Python counterpart:
/// @code{.py}
/// def count_primes(lo, hi, workers, timeout=None):
///     if workers < 1:
///         raise ValueError('workers must be at least 1')
///     step = max(1, (hi - lo) // (8 * workers))        # more chunks than workers
///     chunks = [(a, min(a + step, hi)) for a in range(lo, hi, step)]
///     with Pool(workers) as pool:
///         return sum(pool.starmap_async(count_primes_serial, chunks).get(timeout))
/// @endcode
///
/// Lesson: lessons/07-pools/README.md, "Exercise 1: count_primes".
#include <cstdint>

#include <mp/timeout.hpp>

namespace lesson07 {

/// Whether `n` is prime, by trial division by the odd numbers up to its square root.
/// Given. Its cost grows with the square root of `n`: a chunk of large numbers takes
/// longer than a chunk of small ones.
[[nodiscard]] inline bool is_prime(std::uint64_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (std::uint64_t d = 3; d * d <= n; d += 2)
    if (n % d == 0) return false;
  return true;
}

/// The serial answer: how many numbers of [lo, hi) are prime (0 when hi <= lo).
/// Given: the answer count_primes() must give, the baseline of its speed-up, and a
/// plain function that a pool can run (`pool.apply_async(count_primes_serial, a, b)`).
[[nodiscard]] inline std::uint64_t count_primes_serial(std::uint64_t lo, std::uint64_t hi) {
  std::uint64_t count = 0;
  for (std::uint64_t n = lo; n < hi; ++n) count += is_prime(n) ? 1 : 0;
  return count;
}

/// Counts the primes of [lo, hi) with an mp::Pool of `workers` processes, and returns
/// the same count as count_primes_serial(lo, hi) (0 when hi <= lo).
///
/// **How.** Make an mp::Pool(workers), cut [lo, hi) into chunks — more chunks than
/// workers, since the chunks of large numbers cost more — and submit them all before
/// waiting for any (map, starmap, map_async or apply_async: not apply in a loop, which
/// waits for each chunk before it submits the next). Sum the partial counts.
///
/// **Blocking.** Until every chunk is counted, or `timeout` (one deadline for the whole
/// call) expires. The pool goes when count_primes returns or throws (its destructor
/// terminates the workers: wait for your results before that).
///
/// **Guarantees.** On return or throw, every worker process has ended and been reaped
/// (mp::Pool's destructor does it).
///
/// @param lo, hi   the range, lo included, hi excluded; up to tens of millions of numbers.
/// @param workers  number of worker processes, >= 1.
/// @param timeout  how long the whole count may take; default: forever.
/// @throws mp::ValueError when `workers` < 1.
/// @throws mp::TimeoutError when the count is not done within `timeout`.
/// @throws mp::BrokenPool (mp::WorkerLost) when a worker process dies while it counts a
///         chunk: never a count with that chunk missing.
///
/// @code
/// auto n = lesson07::count_primes(0, 100, 2);   // 25
/// @endcode
[[nodiscard]] std::uint64_t count_primes(std::uint64_t lo, std::uint64_t hi, int workers,
                                         mp::Timeout timeout = mp::Timeout());

}  // namespace lesson07
