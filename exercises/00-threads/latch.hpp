// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in latch.cpp (the members declared here).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 00, exercise 2 ("build it"): a latch for the threads of one
/// process, on a std::mutex and a std::condition_variable: a counter that
/// threads count down, and a gate that opens, for good, when it reaches zero.
/// A small std::latch (C++20), with a timeout on the wait.
///
/// Python counterpart (Python has no latch; this is one on threading.Condition):
/// @code{.py}
/// class Latch:
///     def __init__(self, count):
///         if count < 0: raise ValueError('count must be >= 0')
///         self._count, self._cond = count, threading.Condition()
///     def count_down(self, n=1):
///         with self._cond:
///             if n < 0 or n > self._count: raise ValueError('count_down past zero')
///             self._count -= n
///             if self._count == 0: self._cond.notify_all()
///     def try_wait(self):
///         with self._cond: return self._count == 0
///     def wait(self, timeout=None):
///         with self._cond: return self._cond.wait_for(lambda: self._count == 0, timeout)
/// @endcode
///
/// Lesson: lessons/00-threads/README.md, "Exercise 2: latch".
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include <mp/timeout.hpp>

namespace lesson00 {

/// A single-use countdown: made with a count, counted down by any threads,
/// open once the count reaches zero; waiters block until it is open.
///
/// | state  | count | try_wait() | wait(timeout)          | count_down(n)                  |
/// |--------|-------|------------|------------------------|--------------------------------|
/// | closed | > 0   | false      | blocks until open, or  | n <= count: count -= n; at 0   |
/// |        |       |            | false at the timeout   | it opens and wakes every waiter |
/// | open   | 0     | true       | true at once           | n == 0: nothing; n > 0: throws |
///
/// **Design (fixed by the members below).** `count_` is guarded by
/// `mutex_`: every read and every write of it holds the lock (without it two
/// threads that count down at once lose a decrement, a data race, and the
/// latch never opens). A waiter waits on `opened_` with the lock held, and
/// checks the count again after every wake-up (wake-ups may be spurious).
/// The thread that brings the count to zero wakes *every* waiter
/// (notify_all: notify_one wakes one of them, and the others sleep on).
///
/// **Thread safety.** Every member may be called at the same time from any
/// number of threads. A Latch is neither copyable nor movable (a mutex is
/// not); it is for the threads of one process (between processes, lesson 04's
/// primitives do this).
///
/// @code
/// lesson00::Latch done(3);
/// std::vector<std::jthread> workers;
/// for (int i = 0; i < 3; ++i) workers.emplace_back([&done] { work(); done.count_down(); });
/// done.wait();   // returns when all three have counted down
/// @endcode
class Latch {
public:
  /// A latch that opens after `count` count-downs (0: open from the start).
  /// @throws mp::ValueError when `count` < 0.
  explicit Latch(std::int64_t count);

  Latch(const Latch&) = delete;
  Latch& operator=(const Latch&) = delete;

  /// Subtracts `n` from the count; when it reaches zero, the latch opens and
  /// every thread blocked in wait() returns true. Never blocks (but for the
  /// lock, held briefly).
  /// @throws mp::ValueError when `n` < 0 or `n` > the count (counting down
  ///         past zero); the count is then unchanged.
  void count_down(std::int64_t n = 1);

  /// Whether the latch is open (the count is zero). Never blocks.
  [[nodiscard]] bool try_wait() const;

  /// Blocks until the latch is open or `timeout` passes; returns whether it
  /// is open. Default: no timeout (then it returns only true). Timeout::zero():
  /// as try_wait(). One deadline: spurious wake-ups do not extend it.
  [[nodiscard]] bool wait(mp::Timeout timeout = mp::Timeout());

  /// The count now (0 when open): for tests and logs; another thread may
  /// change it right after.
  [[nodiscard]] std::int64_t count() const;

private:
  /// Guards count_.
  mutable std::mutex mutex_;
  /// Notified (all waiters) when count_ reaches 0.
  std::condition_variable opened_;
  /// What is left to count down; read and written only under mutex_.
  std::int64_t count_;
};

}  // namespace lesson00
