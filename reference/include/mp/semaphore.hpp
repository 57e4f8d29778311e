#pragma once
/// @file
/// @brief `mp::Semaphore` and mp::BoundedSemaphore: process-shared counting
/// semaphores (Python's `multiprocessing.Semaphore` and `BoundedSemaphore`).
///
/// A semaphore holds a counter. acquire() takes one unit, waiting while the
/// counter is 0; release() gives units back and wakes waiters. Unlike a Lock,
/// a semaphore has no owner: any thread of any process may release it, which
/// makes it the tool for "at most N at a time" and for signalling between
/// processes.
///
/// Both are **handles**: copies share the same counter (a POSIX `sem_t` made
/// with `pshared = 1` in an anonymous shared mapping). Make it before starting
/// the processes that use it.
///
/// @code
/// mp::Semaphore slots(3);                       // at most 3 workers inside at once
/// std::vector<mp::Process> workers;
/// for (int i = 0; i < 8; ++i)
///   workers.emplace_back([&] {
///     std::lock_guard guard(slots);             // Python: `with slots:`
///     download_one();
///   });
/// for (auto& w : workers) w.start();
/// for (auto& w : workers) w.join();
/// @endcode
///
/// ### States (value = the counter, never negative)
/// | value | acquire (blocking)                  | acquire(false) / try_lock | release(n)            |
/// |-------|-------------------------------------|---------------------------|-----------------------|
/// | 0     | waits until a release or the timeout: → value-1 and true, or false | false | → n (wakes up to n waiters) |
/// | k > 0 | → k-1, true                         | → k-1, true               | → k+n; BoundedSemaphore: mp::ValueError if k+n > initial value |
///
/// **Blocking.** Only acquire() blocks: forever by default, at most `timeout`
/// otherwise (measured on CLOCK_MONOTONIC, so changing the wall clock does not
/// stretch it). Uncontended acquire and release are one atomic operation each;
/// a release wakes a sleeper with one system call.
///
/// **Owner death.** A semaphore has no owner, so nothing is given back when a
/// process dies after acquiring: its unit is lost, exactly as in Python. Use
/// mp::Lock where a dead holder must not block the others.
///
/// **Thread and process safety.** Every member may be called from any thread
/// of any process sharing the semaphore.
#include <memory>

#include "mp/error.hpp"
#include "mp/timeout.hpp"

namespace mp {

/// A process-shared counting semaphore (Python's `multiprocessing.Semaphore`).
class Semaphore {
public:
  /// A semaphore whose counter starts at `value`.
  /// @throws mp::ValueError when `value` is negative.
  explicit Semaphore(int value = 1);

  /// Python's `acquire(block=True, timeout=None)`: takes one unit.
  /// - `block` true, no timeout: waits until a unit is available; returns true.
  /// - `block` true with `timeout`: waits at most `timeout`; returns whether it took one.
  /// - `block` false: never waits (`timeout` is ignored, as in Python's multiprocessing).
  bool acquire(bool block = true, Timeout timeout = {});

  /// Gives back `n` units and wakes up to `n` waiters (Python 3.9's `release(n)`).
  /// @throws mp::ValueError when `n < 1`, when the counter would pass
  /// SEM_VALUE_MAX, or, for a BoundedSemaphore, when it would pass the initial
  /// value ("semaphore released too many times"; then nothing is released).
  void release(int n = 1);

  /// The counter now (Python's `get_value()`); a snapshot that may be stale at once.
  [[nodiscard]] int get_value() const;

  /// Blocks until it takes a unit (C++ BasicLockable, for std::lock_guard).
  void lock() { acquire(true); }
  /// Never blocks; whether it took a unit (C++ Lockable).
  [[nodiscard]] bool try_lock() { return acquire(false); }
  /// Same as release().
  void unlock() { release(); }

protected:
  /// `bounded`: release() may never take the counter above `value`.
  Semaphore(int value, bool bounded);

private:
  struct State;
  std::shared_ptr<State> state_;
};

/// A Semaphore whose counter may never exceed its initial value (Python's
/// `multiprocessing.BoundedSemaphore`): a release() without a matching
/// acquire() raises mp::ValueError instead of silently raising the limit.
/// The bound lives in the shared state, so it holds for every handle and
/// process, even through a `Semaphore&`.
///
/// @code
/// mp::BoundedSemaphore pool(2);
/// pool.acquire();
/// pool.release();
/// pool.release();          // throws mp::ValueError: semaphore released too many times
/// @endcode
class BoundedSemaphore : public Semaphore {
public:
  /// @throws mp::ValueError when `value` is negative.
  explicit BoundedSemaphore(int value = 1);
};

}  // namespace mp
