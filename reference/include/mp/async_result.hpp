#pragma once
/// @file
/// @brief `mp::AsyncResult` and mp::IMapIterator: the results of mp::Pool and
/// mp::ThreadPool calls that return before the work is done (Python's
/// `multiprocessing.pool.AsyncResult` and `IMapIterator`), and the
/// mp::callback / mp::error_callback arguments of `apply_async` / `map_async`.
///
/// @code
/// mp::Pool pool(4);
/// mp::AsyncResult<int> r = pool.apply_async(square, 20);
/// int v = r.get(1s);                  // 400, or mp::TimeoutError after 1 s
///
/// for (int x : pool.imap(square, std::vector{1, 2, 3})) std::cout << x << '\n';
/// @endcode
///
/// **Handles.** Both types are cheap handles on the call's shared state:
/// copies see the same result. They stay valid after the pool is gone; a
/// result the pool never produced (it was terminated first) then raises
/// mp::BrokenPool instead of waiting forever.
///
/// **Thread safety.** Any thread of the process that made the pool may wait
/// on an AsyncResult, also several at once. An IMapIterator is consumed by
/// one thread at a time. Neither can be used in a child process.
#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mp/detail/next_iterator.hpp"
#include "mp/detail/pool_core.hpp"
#include "mp/error.hpp"
#include "mp/timeout.hpp"

namespace mp {

template <class Derived, class Core>
class BasicPool;

/// The result of `apply_async` / `map_async` / `starmap_async` (Python's `AsyncResult`).
///
/// | state                  | ready() | get(t)                         | successful()   |
/// |------------------------|---------|--------------------------------|----------------|
/// | running                | false   | waits ≤ t, then mp::TimeoutError | mp::ValueError |
/// | done, returned a value | true    | the value                      | true           |
/// | done, threw            | true    | throws the task's exception    | false          |
///
/// Exceptions: the task's own exception when it is a standard or mp:: type
/// (see mp/pool.hpp), else mp::RemoteError; mp::WorkerLost when the worker
/// process died running it; mp::BrokenPool when the pool was terminated or
/// broken before it ran.
///
/// @tparam R the task's result type (`std::vector<T>` for map_async; `void` allowed).
template <class R>
class AsyncResult {
public:
  /// An empty handle (valid() is false): assign a real one before use.
  AsyncResult() = default;
  /// A handle on a call's state (made by the pools' `*_async` calls).
  explicit AsyncResult(std::shared_ptr<detail::ValueJob<R>> job) : job_(std::move(job)) {}

  /// Waits for the result and returns it (Python's `get(timeout=None)`); a
  /// copy each time, so get() may be called again.
  /// Blocks until the task is done, at most `timeout`.
  /// @throws mp::TimeoutError when it is not done in time (the task goes on);
  ///         else whatever the task threw (see the class notes).
  R get(Timeout timeout = {}) const {
    if (!wait(timeout)) throw TimeoutError("AsyncResult.get(): the result was not ready within the timeout");
    return job_->get();
  }

  /// Blocks until the task is done or `timeout` passes (Python's `wait`).
  /// @return whether it is done (Python returns None: call ready()).
  bool wait(Timeout timeout = {}) const {
    require_valid();
    return job_->wait_done(Deadline(timeout));
  }

  /// Whether the task is done (Python's `ready()`). Never blocks.
  [[nodiscard]] bool ready() const {
    require_valid();
    return job_->done();
  }

  /// Whether the task returned without throwing (Python's `successful()`).
  /// @throws mp::ValueError when it is not done yet.
  [[nodiscard]] bool successful() const {
    if (!ready()) throw ValueError("AsyncResult.successful(): the result is not ready");
    return job_->successful();
  }

  /// Whether this handle refers to a call (false only when default-constructed).
  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(job_); }

private:
  template <class D, class C>
  friend class BasicPool;

  // For map(): waits and moves the value out (its only reader).
  R take() const {
    wait();
    return job_->take();
  }

  void require_valid() const {
    if (!job_) throw ValueError("mp::AsyncResult: an empty handle (default-constructed)");
  }
  std::shared_ptr<detail::ValueJob<R>> job_;
};

/// The lazy result of `imap` / `imap_unordered` (and of the executors' `map`):
/// iterate it to get the results as they come (Python's `IMapIterator`).
///
/// `imap` yields results in input order; `imap_unordered` in the order they
/// finish. A pool's imap reads its input as the iteration advances, a window
/// of chunks ahead (see mp/pool.hpp); an executor's map submitted every task
/// when it returned. A task that threw raises its exception when the
/// iteration reaches it (once; the next step goes on after it), as in Python;
/// an input that threw raises its exception after the results of the items
/// before it, and the iteration ends there.
///
/// When the last handle on an iteration is destroyed before its end, the
/// input is read no further; for an executor's map, the items not yet handed
/// to a worker are cancelled (Python closes the map's generator, which
/// cancels its futures).
///
/// @code
/// auto it = pool.imap(square, v);
/// while (auto x = it.next(5s)) use(*x);        // mp::TimeoutError if one takes > 5 s
/// for (int x : pool.imap_unordered(square, v)) use(x);
/// @endcode
template <class R>
class IMapIterator {
public:
  /// An empty handle: assign a real one before use.
  IMapIterator() = default;
  /// A handle on an imap call's state (made by the pools and executors);
  /// `overall`: a deadline no next() may pass (the executors' map timeout).
  /// The copies of this handle share one claim on the iteration: when the
  /// last is destroyed, the job's IMapJob::abandon_iteration() runs.
  explicit IMapIterator(std::shared_ptr<detail::IMapJob<R>> job,
                        std::optional<Deadline> overall = std::nullopt)
      : overall_(overall) {
    if (!job) return;
    detail::IMapJob<R>* raw = job.get();
    job_ = std::shared_ptr<detail::IMapJob<R>>(
        raw, [keep = std::move(job)](detail::IMapJob<R>* j) mutable noexcept {
          j->abandon_iteration();
          keep.reset();
        });
  }

  /// The next result, or nullopt once every result was returned (Python's
  /// `next(timeout)`, which raises StopIteration at the end). Blocks until
  /// it arrives, at most `timeout` (and never past the executor map's own timeout).
  /// @throws mp::TimeoutError when it does not come in time; the task's exception.
  std::optional<R> next(Timeout timeout = {}) {
    if (!job_) throw ValueError("mp::IMapIterator: an empty handle (default-constructed)");
    Deadline d(timeout);
    if (overall_ && (d.is_forever() || overall_->at() < d.at())) d = *overall_;
    return job_->next(d);
  }

  /// Input iterator for range-for (`value_type` R); each step is next()
  /// without a timeout and throws what it throws; the end is next()'s nullopt.
  using iterator = detail::NextIterator<IMapIterator, R>;

  /// Starts the iteration (waits for the first result).
  iterator begin() { return iterator(this); }
  /// The end of the iteration.
  std::default_sentinel_t end() const noexcept { return {}; }

private:
  std::shared_ptr<detail::IMapJob<R>> job_;
  std::optional<Deadline> overall_;
};

/// Python's `callback=` of apply_async/map_async: made by mp::callback().
template <class F>
struct Callback {
  F fn;  ///< called with the result
};
/// Python's `error_callback=`: made by mp::error_callback().
template <class F>
struct ErrorCallback {
  F fn;  ///< called with the exception
};

/// `pool.apply_async(f, x, mp::callback(on_result))`: runs `fn(result)` when
/// the task returns (`fn()` for a void task). See "Callbacks" in mp/pool.hpp
/// for the thread it runs in.
template <class F>
[[nodiscard]] Callback<std::decay_t<F>> callback(F&& fn) {
  return {std::forward<F>(fn)};
}
/// `pool.apply_async(f, x, mp::error_callback(on_error))`: runs `fn(e)` when
/// the task throws; `fn` takes `const std::exception&` or `std::exception_ptr`.
template <class F>
[[nodiscard]] ErrorCallback<std::decay_t<F>> error_callback(F&& fn) {
  return {std::forward<F>(fn)};
}

namespace detail {

template <class T>
inline constexpr bool is_callback_tag_v = false;
template <class F>
inline constexpr bool is_callback_tag_v<Callback<F>> = true;
template <class F>
inline constexpr bool is_callback_tag_v<ErrorCallback<F>> = true;

/// The arguments without the callback tags, as a tuple of forwarding references.
template <class... A>
auto without_callbacks(A&&... args) {
  return std::tuple_cat([](auto&& a) {
    if constexpr (is_callback_tag_v<std::decay_t<decltype(a)>>) {
      return std::tuple<>();
    } else {
      return std::forward_as_tuple(std::forward<decltype(a)>(a));
    }
  }(std::forward<A>(args))...);
}

template <class R, class F>
void add_callback(ResultCallbacks<R>& cbs, const Callback<F>& c) {
  if constexpr (std::is_void_v<R>) {
    static_assert(std::is_invocable_v<const F&>,
                  "mp::callback: the task returns void: the callback takes no argument");
    cbs.on_value = c.fn;
  } else {
    static_assert(std::is_invocable_v<const F&, const R&>,
                  "mp::callback: the callback must take the task's result (const R& or R)");
    cbs.on_value = c.fn;
  }
}
template <class R, class F>
void add_callback(ResultCallbacks<R>& cbs, const ErrorCallback<F>& c) {
  if constexpr (std::is_invocable_v<const F&, std::exception_ptr>) {
    cbs.on_error = c.fn;
  } else {
    static_assert(std::is_invocable_v<const F&, const std::exception&>,
                  "mp::error_callback: the callback takes const std::exception& or std::exception_ptr");
    cbs.on_error = [fn = c.fn](std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        fn(x);
      } catch (...) {
        fn(std::runtime_error("an exception of a type not derived from std::exception"));
      }
    };
  }
}
template <class R, class T>
void add_callback(ResultCallbacks<R>& /*cbs*/, const T& /*not a callback*/) {}

template <class R, class... A>
ResultCallbacks<R> collect_callbacks(const A&... args) {
  ResultCallbacks<R> cbs;
  (add_callback(cbs, args), ...);
  return cbs;
}

}  // namespace detail

}  // namespace mp
