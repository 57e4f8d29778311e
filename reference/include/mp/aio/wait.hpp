#pragma once
/// @file
/// @brief `mp::aio::wait` and as_completed: wait for some of several futures
/// (Python's `asyncio.wait` and `asyncio.as_completed`).
///
/// | Python | C++ |
/// |---|---|
/// | `done, pending = await asyncio.wait(fs, timeout=t, return_when=FIRST_COMPLETED)` | `auto [done, pending] = co_await aio::wait(fs, aio::first_completed, t);` |
/// | `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED` | `aio::first_completed`, `aio::first_exception`, `aio::all_completed` |
/// | `for c in asyncio.as_completed(fs, timeout=t): r = await c` | `auto it = aio::as_completed(fs, t); while (!it.empty()) r = co_await it.next();` |
///
/// wait() neither raises on timeout nor cancels anything: it sorts the
/// futures into those done and those still pending. as_completed gives the
/// results in the order the futures finish; next() throws a future's
/// exception as its result, and mp::TimeoutError once the deadline passed.
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "mp/aio/future.hpp"
#include "mp/aio/loop.hpp"
#include "mp/aio/task.hpp"
#include "mp/aio/timeout.hpp"
#include "mp/error.hpp"
#include "mp/timeout.hpp"

namespace mp::aio {

/// When wait() returns.
enum class ReturnWhen {
  first_completed,  ///< as soon as one is done
  first_exception,  ///< as soon as one finishes with an exception, or all are done
  all_completed,    ///< when all are done
};
/// wait() returns as soon as one future is done.
inline constexpr ReturnWhen first_completed = ReturnWhen::first_completed;
/// wait() returns when one finishes with an exception, or all are done.
inline constexpr ReturnWhen first_exception = ReturnWhen::first_exception;
/// wait() returns when all are done.
inline constexpr ReturnWhen all_completed = ReturnWhen::all_completed;

/// What wait() returns: the futures done and those still pending.
template <class T>
struct Waited {
  /// The futures done when wait() returned.
  std::vector<Future<T>> done;
  /// The futures still pending.
  std::vector<Future<T>> pending;
};

namespace detail {
/// Suspends the running task until `when` holds for `fs` or `timeout` passes (combinators.cpp).
Task<void> wait_for_any(std::vector<FutureBase*> fs, ReturnWhen when, Timeout timeout);
}  // namespace detail

/// Waits until `when` holds or `timeout` passes (Python's `asyncio.wait`).
/// @throws mp::ValueError when `fs` is empty; CancelledError when the
///         running task is cancelled (the futures are left as they are).
template <class T>
Task<Waited<T>> wait(std::vector<Future<T>> fs, ReturnWhen when = all_completed, Timeout timeout = {}) {
  if (fs.empty()) throw ValueError("aio::wait: no futures to wait for");
  std::vector<detail::FutureBase*> bases;
  bases.reserve(fs.size());
  for (const auto& f : fs) bases.push_back(f.core());
  co_await detail::wait_for_any(std::move(bases), when, timeout);
  Waited<T> out;
  for (auto& f : fs) (f.done() ? out.done : out.pending).push_back(std::move(f));
  co_return out;
}

/// The futures' results in the order they finish (Python's `as_completed`).
template <class T>
class AsCompleted {
public:
  /// Watches `fs`; the deadline `timeout` counts from now.
  AsCompleted(std::vector<Future<T>> fs, Timeout timeout)
      : state_(std::make_shared<State>()), deadline_(timeout) {
    state_->left = fs.size();
    for (auto& f : fs) {
      f.add_done_callback([s = std::weak_ptr<State>(state_)](Future<T>& done) {
        if (auto state = s.lock()) {
          state->done.push_back(done);
          if (state->waiter && !state->waiter.done()) state->waiter.set_result();
        }
      });
    }
  }

  /// Results not yet taken.
  [[nodiscard]] std::size_t size() const noexcept { return state_->left; }
  /// Whether no result is left.
  [[nodiscard]] bool empty() const noexcept { return state_->left == 0; }

  /// The next future to finish: its result.
  /// @throws its exception; mp::TimeoutError once the deadline passed;
  ///         mp::ValueError when none is left.
  Task<T> next() {
    if (state_->left == 0) throw ValueError("aio::as_completed: no result left");
    while (state_->done.empty()) {
      state_->waiter = create_future<void>();
      if (deadline_.is_forever()) {
        co_await state_->waiter;
      } else {
        co_await timeout_at(deadline_.at(), detail::await_future(state_->waiter));
      }
    }
    Future<T> f = std::move(state_->done.front());
    state_->done.pop_front();
    --state_->left;
    co_return f.result();
  }

private:
  struct State {
    std::deque<Future<T>> done;
    Future<void> waiter;
    std::size_t left = 0;
  };
  std::shared_ptr<State> state_;
  Deadline deadline_;
};

/// Python's `asyncio.as_completed(fs, timeout)`.
template <class T>
AsCompleted<T> as_completed(std::vector<Future<T>> fs, Timeout timeout = {}) {
  return AsCompleted<T>(std::move(fs), timeout);
}

}  // namespace mp::aio
