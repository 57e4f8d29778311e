// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in counting_semaphore.cpp (the members declared here).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 04, exercise 2 ("build it"): a counting semaphore shared by
/// processes, made of a counter in shared memory and an mp::Condition: how
/// Python's own `threading.Semaphore` is written.
///
/// Python counterpart (CPython's `threading.Semaphore`, shortened; with
/// `multiprocessing.Condition` and a shared counter it works across processes):
/// @code{.py}
/// class Semaphore:
///     def __init__(self, value=1):
///         self._cond = Condition(Lock())
///         self._value = value
///     def acquire(self, blocking=True, timeout=None):
///         with self._cond:
///             if not blocking: ...                            # take one if there is one
///             if not self._cond.wait_for(lambda: self._value > 0, timeout):
///                 return False
///             self._value -= 1
///             return True
///     def release(self, n=1):
///         with self._cond:
///             self._value += n
///             self._cond.notify(n)
/// @endcode
///
/// Lesson: lessons/04-locks/README.md, "Exercise 2: counting_semaphore".
#include <limits>

#include <mp/condition.hpp>
#include <mp/timeout.hpp>
#include <mp/value.hpp>

namespace lesson04 {

/// A counting semaphore shared by processes, with an optional upper bound
/// (mp::Semaphore and mp::BoundedSemaphore in one class, made by you).
///
/// **Handle.** Copies, and the copies that forked children inherit, are the
/// same semaphore. Make it before starting the processes that use it.
///
/// **Design (fixed by the members below).** The counter is an int in shared
/// memory (`value_`), read and written only while holding the condition's
/// lock (`cond_`). acquire() waits on the condition while the counter is 0;
/// release() adds to it and notifies. The condition's wait may wake up without
/// a release (a spurious wake-up), and a woken process may find that another
/// took the unit first: re-check the counter after every wake-up (a loop, or
/// mp::Condition::wait_for), never assume it is positive.
///
/// | value | acquire() / acquire(true, t)                   | acquire(false) | release(n)                         |
/// |-------|------------------------------------------------|----------------|------------------------------------|
/// | 0     | waits until a release (→ value-1, true), or until t passes (false) | false | → n, wakes up to n waiters |
/// | k > 0 | → k-1, true                                    | → k-1, true    | → k+n; mp::ValueError if k+n > max_value (nothing released) |
///
/// **Processes that die.** A process killed while it waits in acquire()
/// takes nothing with it: the counter stays right and later releases reach
/// the living. (mp::Condition's lock is robust: a process killed while holding
/// it cannot block the others. A unit acquired by a process that then dies is
/// lost, as with any semaphore.)
///
/// **Thread and process safety.** Every member may be called at the same time
/// from any thread of any process that has a handle.
///
/// @code
/// lesson04::CountingSemaphore slots(2);          // at most 2 at once
/// mp::Process worker([slots]() mutable {
///   if (!slots.acquire(true, std::chrono::seconds(1))) return;   // timed out
///   download_one();
///   slots.release();
/// });
/// @endcode
class CountingSemaphore {
public:
  /// A semaphore whose counter starts at `value` and may never exceed
  /// `max_value` (the default: no practical bound, as mp::Semaphore;
  /// `CountingSemaphore(n, n)` is a BoundedSemaphore(n)).
  /// @throws mp::ValueError when `value` < 0 or `max_value` < `value`.
  explicit CountingSemaphore(int value = 1, int max_value = std::numeric_limits<int>::max());

  /// Python's `acquire(block=True, timeout=None)`: takes one unit.
  /// - `block` true, no timeout: waits until a unit is there; returns true.
  /// - `block` true with `timeout`: waits at most `timeout` in all (one
  ///   deadline, however many times it wakes up); returns whether it took one.
  /// - `block` false: never waits; returns whether it took one.
  bool acquire(bool block = true, mp::Timeout timeout = mp::Timeout());

  /// Gives back `n` units and wakes up to `n` waiters (Python's `release(n)`).
  /// Never blocks for long.
  /// @throws mp::ValueError when `n` < 1, or when the counter would pass
  ///         `max_value` ("released too many times"; then nothing is released).
  void release(int n = 1);

  /// The counter now: exact while nobody else acquires or releases, a snapshot otherwise.
  [[nodiscard]] int get_value() const;

private:
  /// The lock that guards value_, and the wait queue of acquire().
  /// (mutable: get_value() takes the lock.)
  mutable mp::Condition cond_;
  /// The counter, in shared memory: read and written only under cond_'s lock.
  mp::RawValue<int> value_;
  /// The bound given to the constructor (the same in every handle: it never changes).
  int max_value_ = 0;
};

}  // namespace lesson04
