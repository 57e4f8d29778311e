#pragma once
/// @file
/// @brief `mp::Future`, mp::as_completed, mp::wait: the futures of Python's
/// `concurrent.futures` (made by the executors of mp/executor.hpp, or by hand).
///
/// ### Future states (Python's)
/// | state     | done() | running() | cancel()        | result(t)                          |
/// |-----------|--------|-----------|-----------------|------------------------------------|
/// | pending   | false  | false     | → cancelled, true | waits ≤ t, then mp::TimeoutError  |
/// | running   | false  | true      | false           | waits ≤ t, then mp::TimeoutError   |
/// | finished  | true   | false     | false           | the value, or throws the task's exception |
/// | cancelled | true   | false     | true            | throws mp::CancelledError          |
///
/// A task is *pending* until a worker can take it. mp::ThreadPoolExecutor: a
/// queued task is pending until a thread picks it up. mp::ProcessPoolExecutor,
/// as Python's: at most `max_workers + 1` tasks are handed to the workers at a
/// time (they are *running* from then on, even those not started yet); the
/// others are pending and can be cancelled.
///
/// ### Callbacks
/// `add_done_callback(fn)` calls `fn(future)` once the future is done: at
/// once, in the calling thread, when it already is; on cancel(), in the
/// cancelling thread; otherwise in the worker thread (ThreadPoolExecutor), in
/// the pool's handler thread (ProcessPoolExecutor), or in the thread that
/// calls set_result()/set_exception() (a future made by Future::create()). Exceptions thrown by a
/// callback are printed to stderr and ignored, as Python logs them.
///
/// ### Futures made by hand
/// `mp::Future<R>::create()` is Python's `Future()`: a pending future that
/// no executor runs. Whoever does the work calls set_running_or_notify_cancel()
/// (false: it was cancelled, skip the work), then set_result(v) or
/// set_exception(e); a second set, or a set after cancel(), raises
/// mp::InvalidStateError. This is how an executor of your own hands out futures:
/// @code
/// auto f = mp::Future<int>::create();
/// std::jthread worker([f]() mutable {
///   if (f.set_running_or_notify_cancel()) f.set_result(6 * 7);
/// });
/// std::cout << f.result(1s) << '\n';  // 42
/// @endcode
///
/// ### Thread safety
/// Executors, futures, as_completed and wait may be used from any thread of
/// the process that made the executor; not from a child process.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mp/detail/job.hpp"
#include "mp/detail/next_iterator.hpp"
#include "mp/error.hpp"
#include "mp/timeout.hpp"

namespace mp {

template <class R>
class AsCompleted;
namespace detail {
template <class R>
struct FutureAccess;
}  // namespace detail

/// The eventual result of a submit() (Python's `concurrent.futures.Future`).
/// A handle: copies refer to the same task. See the file notes for the states.
template <class R>
class Future {
public:
  /// An empty handle (valid() is false).
  Future() = default;
  /// A handle on a task's state (made by the executors' submit()).
  explicit Future(std::shared_ptr<detail::SingleJob<R>> job) : job_(std::move(job)) {}

  /// A new pending future tied to no executor (Python's `Future()`), for
  /// code that runs the work itself (your own executor, a test): it calls
  /// set_running_or_notify_cancel(), then set_result() or set_exception().
  /// Waiters (result(), mp::as_completed, mp::wait) and callbacks see it as
  /// they see an executor's future. Never blocks.
  static Future create() { return Future(std::make_shared<detail::SingleJob<R>>(detail::standalone_core())); }

  /// Before running the work of a future made by create() (Python's
  /// `set_running_or_notify_cancel`): pending → running and true; false when
  /// it was cancelled (its waiters were told already): do not run the work.
  /// Never blocks.
  /// @throws mp::InvalidStateError when it already runs or is finished.
  bool set_running_or_notify_cancel() {
    switch (job().start_if_pending()) {
      case detail::JobState::pending: return true;
      case detail::JobState::cancelled: return false;
      default:
        throw InvalidStateError(
            "Future.set_running_or_notify_cancel(): the future already runs or is finished");
    }
  }

  /// Finishes the future with `value` (Python's `set_result`): wakes the
  /// waiters, then runs the done-callbacks in this thread. Works from pending
  /// or running. Never blocks (but runs the callbacks).
  /// @throws mp::InvalidStateError when it is already finished or cancelled.
  template <class... V>
  void set_result(V&&... value) requires(std::is_void_v<R> ? sizeof...(V) == 0 : sizeof...(V) == 1) {
    finish_by_hand("set_result", job().deliver_value(std::forward<V>(value)...));
  }

  /// Finishes the future with the exception `e` (Python's `set_exception`):
  /// result() rethrows it. As set_result() otherwise.
  /// @throws mp::InvalidStateError when already finished or cancelled; mp::ValueError for a null `e`.
  void set_exception(std::exception_ptr e) {
    if (!e) throw ValueError("Future.set_exception(): the exception is null");
    finish_by_hand("set_exception", job().deliver_error(0, std::move(e)));
  }

  /// Cancels the task if it has not started (Python's `cancel`). Never blocks.
  /// @return true when it is cancelled now (or was already); false when it
  ///         runs or has finished.
  bool cancel() { return job().try_cancel(); }
  /// Whether cancel() succeeded (Python's `cancelled`).
  [[nodiscard]] bool cancelled() const { return job().state() == detail::JobState::cancelled; }
  /// Whether a worker has the task now (Python's `running`).
  [[nodiscard]] bool running() const { return job().state() == detail::JobState::running; }
  /// Whether it finished or was cancelled (Python's `done`). Never blocks.
  [[nodiscard]] bool done() const { return job().done(); }

  /// The task's result (Python's `result(timeout=None)`). Blocks until done, at most `timeout`.
  /// @throws mp::TimeoutError when not done in time; mp::CancelledError when
  ///         cancelled; the task's exception; mp::BrokenProcessPool.
  R result(Timeout timeout = {}) const {
    wait_for(timeout, "result");
    return job().get();
  }

  /// The task's exception, or nullptr when it returned (Python's `exception(timeout=None)`).
  /// @throws mp::TimeoutError when not done in time; mp::CancelledError when cancelled.
  std::exception_ptr exception(Timeout timeout = {}) const {
    wait_for(timeout, "exception");
    if (cancelled()) throw CancelledError();
    return job().error();
  }

  /// Calls `fn(future)` when the future is done (see the file notes for the thread).
  template <class Fn>
  void add_done_callback(Fn fn) {
    static_assert(std::is_invocable_v<Fn&, const Future<R>&>,
                  "Future::add_done_callback: the callback takes the future (const mp::Future<R>&)");
    // The callback holds a handle on its own job: the job drops it after the call.
    job().add_done_callback([fn = std::move(fn), self = *this]() mutable { fn(self); });
  }

  /// Whether this handle refers to a task (false only when default-constructed).
  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(job_); }
  /// Two handles on the same task compare equal.
  friend bool operator==(const Future& a, const Future& b) noexcept { return a.job_ == b.job_; }

private:
  template <class T>
  friend class AsCompleted;
  template <class T>
  friend struct detail::FutureAccess;

  detail::SingleJob<R>& job() const {
    if (!job_) throw ValueError("mp::Future: an empty handle (default-constructed)");
    return *job_;
  }
  void finish_by_hand(const char* what, bool finished_now) {
    if (!finished_now) {
      throw InvalidStateError(std::string("Future.") + what + "(): the future is already " +
                              (cancelled() ? "cancelled" : "finished"));
    }
    if (job().callbacks_pending()) job().run_callbacks();
  }
  void wait_for(Timeout timeout, const char* what) const {
    if (!job().wait_done(Deadline(timeout))) {
      throw TimeoutError(std::string("Future.") + what + "(): the future was not done within the timeout");
    }
  }
  std::shared_ptr<detail::SingleJob<R>> job_;
};

namespace detail {
template <class R>
struct FutureAccess {
  static SingleJob<R>& job(const Future<R>& f) { return f.job(); }
};

/// Futures without duplicates (Python passes them through a set), in first-seen order.
template <class R>
std::vector<Future<R>> unique_futures(const std::vector<Future<R>>& fs) {
  std::vector<Future<R>> out;
  std::unordered_set<const void*> seen;
  for (const auto& f : fs) {
    if (seen.insert(&FutureAccess<R>::job(f)).second) out.push_back(f);
  }
  return out;
}

/// Waits for changes in a set of futures (as_completed and wait): each
/// future's job signals one Waiter when it is done, for as long as the future
/// stays in the set.
template <class R>
class FutureSetWatch {
public:
  /// Watches `fs` (distinct futures).
  explicit FutureSetWatch(std::vector<Future<R>> fs)
      : futures_(std::move(fs)), waiter_(std::make_shared<Waiter>()) {
    for (auto& f : futures_) FutureAccess<R>::job(f).add_observer(waiter_);
  }
  /// Stops watching those still in the set.
  ~FutureSetWatch() {
    for (auto& f : futures_) FutureAccess<R>::job(f).remove_observer(waiter_.get());
  }
  FutureSetWatch(const FutureSetWatch&) = delete;
  FutureSetWatch& operator=(const FutureSetWatch&) = delete;

  /// The futures still watched, in the order given.
  [[nodiscard]] const std::vector<Future<R>>& futures() const noexcept { return futures_; }

  /// Removes the first future that is done from the set and returns it; nullopt when none is.
  std::optional<Future<R>> take_done() {
    for (auto it = futures_.begin(); it != futures_.end(); ++it) {
      if (it->done()) {
        Future<R> f = std::move(*it);
        futures_.erase(it);
        FutureAccess<R>::job(f).remove_observer(waiter_.get());
        return f;
      }
    }
    return std::nullopt;
  }

  /// Calls `check()` until it returns true (then true), sleeping between
  /// calls until some future of the set is done; false once `deadline`
  /// passes with check() still false. `seq` is read before each check, so a
  /// future that finishes between the check and the sleep ends the sleep.
  template <class Check>
  bool wait_until(Check&& check, const Deadline& deadline) {
    for (;;) {
      const std::uint32_t seen = waiter_->seq.load(std::memory_order_seq_cst);
      if (check()) return true;
      if (deadline.expired()) return false;
      (void)waiter_->sleep(seen, deadline);
    }
  }

private:
  std::vector<Future<R>> futures_;
  std::shared_ptr<Waiter> waiter_;
};
}  // namespace detail

/// The futures of as_completed(), yielded as they finish (a range; Python's
/// generator). Futures already done come first. Iterating blocks until the
/// next one is done; once the overall timeout (counted from the
/// as_completed() call) passes, the step raises mp::TimeoutError naming how
/// many are still unfinished.
template <class R>
class AsCompleted {
public:
  /// Watches `fs` (duplicates once) until `timeout` from now; see mp::as_completed.
  AsCompleted(const std::vector<Future<R>>& fs, Timeout timeout)
      : watch_(detail::unique_futures(fs)), deadline_(timeout) {}
  /// Stops watching the futures not yielded.
  ~AsCompleted() = default;
  AsCompleted(const AsCompleted&) = delete;
  AsCompleted& operator=(const AsCompleted&) = delete;

  /// The next future to finish, or nullopt when all were yielded.
  /// @throws mp::TimeoutError when the timeout passes first.
  std::optional<Future<R>> next() {
    if (watch_.futures().empty()) return std::nullopt;
    std::optional<Future<R>> f;
    if (!watch_.wait_until([&] { return (f = watch_.take_done()).has_value(); }, deadline_)) {
      throw TimeoutError("as_completed(): " + std::to_string(watch_.futures().size()) + " (of " +
                         std::to_string(watch_.futures().size() + yielded_) + ") futures unfinished");
    }
    ++yielded_;
    return f;
  }

  /// Input iterator for range-for (`value_type` mp::Future<R>); each step is
  /// next() and throws what it throws; the end is next()'s nullopt.
  using iterator = detail::NextIterator<AsCompleted, Future<R>>;
  /// Starts the iteration (waits for the first finished future).
  iterator begin() { return iterator(this); }
  /// The end of the iteration.
  std::default_sentinel_t end() const noexcept { return {}; }

private:
  detail::FutureSetWatch<R> watch_;  // the futures not yielded yet
  std::size_t yielded_ = 0;
  Deadline deadline_;
};

/// The futures in `fs` as they finish (Python's `concurrent.futures.as_completed`).
/// `for (auto& f : mp::as_completed(fs, 10s)) use(f.result());`
/// Duplicates are yielded once. Iterating raises mp::TimeoutError when
/// `timeout` (from this call) passes before all are done.
template <class R>
AsCompleted<R> as_completed(const std::vector<Future<R>>& fs, Timeout timeout = {}) {
  return AsCompleted<R>(fs, timeout);
}

/// When mp::wait returns (Python's constants of the same names).
enum class ReturnWhen {
  first_completed,  ///< any future finishes or is cancelled
  first_exception,  ///< any future finishes by raising (else: all complete)
  all_completed,    ///< all futures finish or are cancelled
};
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::first_completed;  ///< Python's `FIRST_COMPLETED`
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::first_exception;  ///< Python's `FIRST_EXCEPTION`
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::all_completed;      ///< Python's `ALL_COMPLETED`

/// The answer of `mp::wait` (Python's `DoneAndNotDoneFutures`).
template <class R>
struct DoneAndNotDone {
  std::vector<Future<R>> done;      ///< finished or cancelled, in the order given
  std::vector<Future<R>> not_done;  ///< the others, in the order given
};

/// Waits until the condition `return_when` holds or `timeout` passes, and
/// returns the futures split into done and not done (Python's
/// `concurrent.futures.wait`). Never raises mp::TimeoutError: check not_done.
template <class R>
DoneAndNotDone<R> wait(const std::vector<Future<R>>& fs, Timeout timeout = {},
                       ReturnWhen return_when = ALL_COMPLETED) {
  const Deadline deadline(timeout);
  detail::FutureSetWatch<R> watch(detail::unique_futures(fs));
  DoneAndNotDone<R> out;
  (void)watch.wait_until(
      [&] {
        out = {};
        for (auto& f : watch.futures()) (f.done() ? out.done : out.not_done).push_back(f);
        if (out.not_done.empty()) return true;
        if (return_when == FIRST_COMPLETED) return !out.done.empty();
        if (return_when == FIRST_EXCEPTION) {
          return std::any_of(out.done.begin(), out.done.end(), [](const Future<R>& f) {
            return !f.cancelled() && detail::FutureAccess<R>::job(f).error() != nullptr;
          });
        }
        return false;
      },
      deadline);
  return out;
}

}  // namespace mp
