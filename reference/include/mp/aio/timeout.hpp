#pragma once
/// @file
/// @brief Deadlines for awaitables: mp::aio::timeout, timeout_at, wait_for,
/// and shield (Python's `asyncio.timeout`, `timeout_at`, `wait_for`, `shield`).
///
/// | Python | C++ |
/// |---|---|
/// | `async with asyncio.timeout(1): r = await work()` | `r = co_await aio::timeout(1s, work());` |
/// | `async with asyncio.timeout_at(when): ...` | `co_await aio::timeout_at(when, work());` |
/// | `await asyncio.wait_for(work(), 1)` | `co_await aio::wait_for(work(), 1s)` (also a Future) |
/// | `await asyncio.shield(task)` | `co_await aio::shield(task)` |
///
/// **How a timeout works** (Python 3.11's): when the deadline passes, the
/// task running the body is cancelled; the body gets aio::CancelledError
/// where it waits, may clean up, and when that cancellation leaves the scope
/// it becomes mp::TimeoutError. A cancel() from elsewhere stays a
/// CancelledError. So `wait_for(other_task, d)` on expiry cancels
/// `other_task` and waits until it has finished cancelling before it throws.
///
/// `shield(f)` gives a future that follows `f` but whose cancellation does
/// not reach `f`: the awaiting task is cancelled, `f` goes on.
#include <chrono>
#include <string>
#include <utility>

#include "mp/aio/future.hpp"
#include "mp/aio/loop.hpp"
#include "mp/aio/task.hpp"
#include "mp/aio/timer_heap.hpp"
#include "mp/error.hpp"

namespace mp::aio {

namespace detail {

/// The running task's deadline for a scope: on expiry it cancels the task (combinators.cpp).
class TimeoutScope final : public TimerNode {
public:
  explicit TimeoutScope(EventLoop::Clock::time_point deadline);
  ~TimeoutScope();
  TimeoutScope(const TimeoutScope&) = delete;
  TimeoutScope& operator=(const TimeoutScope&) = delete;
  /// The body ended by CancelledError: true when it is this scope's own (then
  /// the caller throws mp::TimeoutError), false when it came from elsewhere.
  bool own_cancellation() noexcept;
  /// The body ended otherwise: undo this scope's cancel() if it made one.
  void settle() noexcept;

private:
  static void on_time(TimerNode* self);
  EventLoop* loop_;
  TaskState* task_;
  std::uint32_t cancelling_at_entry_;
  bool expired_ = false;
  bool settled_ = false;
};

}  // namespace detail

/// Runs `body` in the running task with a deadline `when`.
/// @throws mp::TimeoutError when the deadline passed first (the body was
///         cancelled and has ended); what `body` throws;
///         aio::CancelledError when the task was cancelled from elsewhere.
template <class T>
Task<T> timeout_at(EventLoop::Clock::time_point when, Task<T> body) {
  detail::TimeoutScope scope(when);
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(body);
      scope.settle();
      co_return;
    } else {
      T result = co_await std::move(body);
      scope.settle();
      co_return result;
    }
  } catch (const CancelledError&) {
    if (!scope.own_cancellation()) throw;
  } catch (...) {
    scope.settle();
    throw;
  }
  throw TimeoutError("aio::timeout: the deadline passed");
}

/// Runs `body` in the running task for at most `delay` (Python's
/// `async with asyncio.timeout(delay)`). See timeout_at.
template <class T, class Rep, class Period>
Task<T> timeout(std::chrono::duration<Rep, Period> delay, Task<T> body) {
  return timeout_at(EventLoop::Clock::now() + std::chrono::duration_cast<EventLoop::Clock::duration>(delay),
                    std::move(body));
}

/// Python's `asyncio.wait_for(coro, timeout)`: timeout() for a Task.
template <class T, class Rep, class Period>
Task<T> wait_for(Task<T> body, std::chrono::duration<Rep, Period> delay) {
  return timeout(delay, std::move(body));
}

namespace detail {
template <class T>
Task<T> await_future(Future<T> f) {
  co_return co_await f;
}
}  // namespace detail

/// Python's `asyncio.wait_for(task, timeout)`: on expiry `f` is cancelled
/// (if it is a task, it has finished cancelling when this throws).
template <class T, class Rep, class Period>
Task<T> wait_for(Future<T> f, std::chrono::duration<Rep, Period> delay) {
  return timeout(delay, detail::await_future(std::move(f)));
}

/// A future that follows `inner` (its result, exception, or cancellation)
/// and whose own cancellation leaves `inner` running (Python's `asyncio.shield`).
template <class T>
Future<T> shield(Future<T> inner) {
  if (inner.done()) return inner;
  auto outer = create_future<T>();
  inner.add_done_callback([outer](Future<T>& done) {
    if (outer.done()) {
      if (!done.cancelled()) (void)done.exception();  // read: not "never retrieved"
      return;
    }
    if (done.cancelled()) {
      outer.cancel();
    } else if (std::exception_ptr e = done.exception()) {
      outer.set_exception(e);
    } else if constexpr (std::is_void_v<T>) {
      outer.set_result();
    } else {
      outer.set_result(done.result());
    }
  });
  return outer;
}

/// Starts `task` (create_task) and shields it.
template <class T>
Future<T> shield(Task<T> task) {
  return shield(create_task(std::move(task)));
}

}  // namespace mp::aio
