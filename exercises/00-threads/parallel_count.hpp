// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in parallel_count.cpp (the function parallel_count
//  declared here).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 00, exercise 1 ("use it"): count the numbers of a range that
/// pass a test, with several std::jthread workers, each counting its own part
/// of the range; the caller adds the parts up.
///
/// Python counterpart (with processes: threads would take turns under the GIL):
/// @code{.py}
/// from concurrent.futures import ProcessPoolExecutor
/// def count_part(first, last, step, pred):
///     return sum(1 for n in range(first, last, step) if pred(n))
/// def parallel_count(first, last, workers, pred):
///     with ProcessPoolExecutor(workers) as ex:
///         parts = [ex.submit(count_part, first + w, last, workers, pred) for w in range(workers)]
///         return sum(p.result() for p in parts)
/// @endcode
///
/// Lesson: lessons/00-threads/README.md, "Exercise 1: parallel_count".
#include <cstdint>
#include <functional>

namespace lesson00 {

/// The test a number must pass to be counted. It is called from several
/// threads at once, so it must be thread-safe (is_prime() is: it only reads
/// its argument).
using Predicate = std::function<bool(std::uint64_t)>;

/// Whether `n` is a prime number, by trial division (slow on purpose: a
/// CPU-bound test, about sqrt(n) / 2 divisions for a prime). Given.
[[nodiscard]] inline bool is_prime(std::uint64_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (std::uint64_t d = 3; d * d <= n; d += 2)
    if (n % d == 0) return false;
  return true;
}

/// The serial count: the answer parallel_count() must give, and the baseline
/// of its speed-up. Given. @pre first <= last.
[[nodiscard]] inline std::uint64_t count_serial(std::uint64_t first, std::uint64_t last,
                                                const Predicate& pred) {
  std::uint64_t count = 0;
  for (std::uint64_t n = first; n < last; ++n)
    if (pred(n)) ++count;
  return count;
}

/// Counts the numbers n in [first, last) for which `pred(n)` is true, as
/// count_serial() does, with `threads` std::jthread workers running at the
/// same time, and returns the count.
///
/// **How.** Split the range among the workers so that every number is tested
/// exactly once. Each worker counts into a variable of its own (a plain
/// `++count` on one variable shared by all the workers is a data race: it
/// loses increments) and publishes its count once, when it is done, into a
/// slot nobody else writes; the caller adds the slots up after the workers
/// have ended (a std::jthread joins when it is destroyed). Start every worker
/// before waiting for any: started and joined one after the other, they run
/// one at a time. The cost of `pred` varies with n (is_prime answers at once
/// for an even number, and takes longer the larger a prime is): give every
/// worker a fair share of the work, or it waits for the slowest. Interleaved
/// chunks do (worker w takes the chunks w, w + threads, w + 2 * threads, ...
/// of, say, 1024 numbers); equal contiguous blocks leave the last worker the
/// most work, and single numbers interleaved (first + w, first + w + threads,
/// ...) give one worker of two all the even numbers.
///
/// **Blocking.** Until every worker has ended. No timeout: the workers are
/// threads, and a thread cannot be stopped from outside.
///
/// **Guarantees.** Every thread it starts has ended (been joined) when it
/// returns. `pred` is called exactly once for each number of the range, from
/// the workers' threads (never from the caller's when `threads` >= 2).
///
/// @param first   the first number of the range.
/// @param last    one past the last number; first == last: an empty range (0).
/// @param threads the number of worker threads, >= 1 (more threads than
///                numbers is fine: a worker may have nothing to test).
/// @param pred    the test; thread-safe, and it does not throw (an exception
///                that leaves a thread's function ends the program).
/// @throws mp::ValueError when `threads` < 1 or `first` > `last`.
///
/// @code
/// auto primes = lesson00::parallel_count(0, 100, 4, lesson00::is_prime);   // 25
/// @endcode
[[nodiscard]] std::uint64_t parallel_count(std::uint64_t first, std::uint64_t last, int threads,
                                           const Predicate& pred);

}  // namespace lesson00
