#pragma once
/// @file
/// @brief `mp::aio::Semaphore`, BoundedSemaphore, Barrier: counting and
/// meeting points for the tasks of one event loop (Python's
/// `asyncio.Semaphore`, `asyncio.BoundedSemaphore`, `asyncio.Barrier`).
///
/// | Python | C++ |
/// |---|---|
/// | `sem = asyncio.Semaphore(3)` | `aio::Semaphore sem(3);` |
/// | `await sem.acquire()`, `sem.release()`, `sem.locked()` | `co_await sem.acquire();`, `sem.release();`, `sem.locked()` |
/// | `async with sem: ...` | `{ auto guard = co_await sem.scoped(); ... }` |
/// | `asyncio.BoundedSemaphore(3)` | `aio::BoundedSemaphore sem(3);` |
/// | `b = asyncio.Barrier(3)` | `aio::Barrier b(3);` |
/// | `i = await b.wait()` | `std::size_t i = co_await b.wait();` |
/// | `await b.reset()`, `await b.abort()` | `co_await b.reset();`, `co_await b.abort();` |
/// | `b.parties`, `b.n_waiting`, `b.broken` | `b.parties()`, `b.n_waiting()`, `b.broken()` |
/// | `asyncio.BrokenBarrierError` | mp::BrokenBarrierError |
///
/// Waiters are served in FIFO order, each on its own future, as in asyncio
/// 3.12 (see mp/aio/lock.hpp): a release() hands a unit to the first waiter
/// at once, so no later acquire() can take it first, and a waiter cancelled
/// after that hand-off passes the unit on (it is never lost).
///
/// **Barrier and cancellation** (asyncio 3.11's behaviour, kept): a task
/// cancelled in wait() leaves the barrier (n_waiting() drops by one) and
/// gets aio::CancelledError; the barrier is **not** broken and the others go
/// on waiting for `parties` arrivals. (threading.Barrier breaks on a timeout;
/// asyncio's has no timeout and does not break on cancellation.)
///
/// Not thread-safe; keep an object alive while tasks wait on it. Not copyable.
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "mp/aio/lock.hpp"
#include "mp/aio/task.hpp"

namespace mp::aio {

namespace detail {
class SemaphoreAcquire;
class SemaphoreScoped;
}  // namespace detail

/// A counter of free units (Python's `asyncio.Semaphore`).
class Semaphore {
public:
  /// With `value` units free. @throws mp::ValueError when `value` < 0.
  explicit Semaphore(std::int64_t value = 1);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  /// `co_await sem.acquire()` (Python's `await sem.acquire()`): takes a unit;
  /// when none is free (or tasks wait already), waits in FIFO order until a
  /// release() hands one to this task (it resumes the loop's next round).
  /// @throws aio::CancelledError when cancelled while it waits: it then holds
  ///         no unit, and a unit handed to it goes to the next waiter (or
  ///         back to the counter). @throws aio::RuntimeError outside a task.
  [[nodiscard]] detail::SemaphoreAcquire acquire() noexcept;
  /// `auto guard = co_await sem.scoped();`: acquire(), and a Guard that
  /// releases at the end of the scope (Python's `async with sem:`).
  [[nodiscard]] detail::SemaphoreScoped scoped() noexcept;
  /// Gives a unit back: to the first waiter if any, else to the counter
  /// (Python's `sem.release()`). @throws mp::ValueError for a
  /// BoundedSemaphore released more than acquired.
  void release();
  /// Whether acquire() would wait: no unit free, or waiters not cancelled
  /// (Python's `sem.locked()`, 3.12).
  [[nodiscard]] bool locked() const noexcept;
  /// The free units (Python's private `_value`).
  [[nodiscard]] std::size_t value() const noexcept { return value_; }

protected:
  std::size_t bound_ = std::numeric_limits<std::size_t>::max();  ///< a BoundedSemaphore's initial value

private:
  friend class detail::SemaphoreAcquire;
  bool wake_up_next();  // hands a unit to the first pending waiter
  void wake_while_free();

  detail::Waiters waiters_;
  std::size_t value_;
};

/// A Semaphore whose release() refuses to go past the initial value
/// (Python's `asyncio.BoundedSemaphore`).
class BoundedSemaphore : public Semaphore {
public:
  /// @throws mp::ValueError when `value` < 0.
  explicit BoundedSemaphore(std::int64_t value = 1);
};

namespace detail {

/// What Semaphore::acquire returns.
class SemaphoreAcquire {
public:
  explicit SemaphoreAcquire(Semaphore& s) noexcept : sem_(&s) {}
  bool await_ready() noexcept;
  bool await_suspend(std::coroutine_handle<> h) {
    return wait_.suspend(sem_->waiters_, h, "aio::Semaphore::acquire");
  }
  void await_resume();

protected:
  Semaphore* sem_;
  WaiterWait wait_;
};

/// What Semaphore::scoped returns.
class SemaphoreScoped : public SemaphoreAcquire {
public:
  using SemaphoreAcquire::SemaphoreAcquire;
  Guard<Semaphore> await_resume() {
    SemaphoreAcquire::await_resume();
    return Guard<Semaphore>(*sem_);
  }
};

}  // namespace detail

inline detail::SemaphoreAcquire Semaphore::acquire() noexcept { return detail::SemaphoreAcquire(*this); }
inline detail::SemaphoreScoped Semaphore::scoped() noexcept { return detail::SemaphoreScoped(*this); }

/// A meeting point of `parties` tasks (Python's `asyncio.Barrier`, 3.11):
/// each wait() blocks until `parties` tasks wait, then all go on together;
/// it then refills for the next round. Built, as Python's, on a Condition.
class Barrier {
public:
  /// @throws mp::ValueError when `parties` is 0.
  explicit Barrier(std::size_t parties);
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  /// `co_await b.wait()` (Python's `await b.wait()`): waits until `parties`
  /// tasks wait; returns this task's arrival index, 0 .. parties-1 (the last
  /// to arrive, parties-1, releases the others and does not suspend on the
  /// barrier). A task arriving while the previous round still drains waits
  /// for it first.
  /// @throws mp::BrokenBarrierError when the barrier is or gets broken
  ///         (abort()) or reset() while it waits.
  /// @throws aio::CancelledError when cancelled: it leaves the barrier, which
  ///         is not broken (see the file notes). @throws aio::RuntimeError outside a task.
  Task<std::size_t> wait();
  /// Back to the empty state (Python's `await b.reset()`): tasks waiting now
  /// get mp::BrokenBarrierError; a broken barrier works again.
  Task<void> reset();
  /// Breaks it (Python's `await b.abort()`): waiting tasks and later wait()
  /// calls get mp::BrokenBarrierError until reset().
  Task<void> abort();

  /// Tasks needed to pass (Python's `b.parties`).
  [[nodiscard]] std::size_t parties() const noexcept { return parties_; }
  /// Tasks waiting now, while it fills (Python's `b.n_waiting`).
  [[nodiscard]] std::size_t n_waiting() const noexcept { return state_ == State::filling ? count_ : 0; }
  /// Whether it is broken (Python's `b.broken`).
  [[nodiscard]] bool broken() const noexcept { return state_ == State::broken; }

private:
  enum class State : std::uint8_t { filling, draining, resetting, broken };
  Task<void> block();        // waits while it drains or resets
  Task<void> wait_filled();  // waits until the round is complete
  void exit_one();           // the last to leave refills it

  Condition cond_;
  std::size_t parties_;
  std::size_t count_ = 0;
  State state_ = State::filling;
};

}  // namespace mp::aio
