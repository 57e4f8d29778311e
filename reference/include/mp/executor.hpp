#pragma once
/// @file
/// @brief mp::ThreadPoolExecutor, mp::ProcessPoolExecutor, mp::Future,
/// mp::as_completed, mp::wait: Python's `concurrent.futures`.
///
/// @code
/// int slow_square(int x) { return x * x; }
///
/// mp::ProcessPoolExecutor ex(4);                        // Python: with ProcessPoolExecutor(4) as ex:
/// std::vector<mp::Future<int>> fs;
/// for (int i = 0; i < 10; ++i) fs.push_back(ex.submit(slow_square, i));
/// for (mp::Future<int>& f : mp::as_completed(fs, 5s))   // as they finish
///   std::cout << f.result() << '\n';
/// auto [done, not_done] = mp::wait(fs, 1s, mp::FIRST_EXCEPTION);
/// @endcode
///
/// The executors are thin layers over the pools (mp/pool.hpp), whose rules
/// apply: mp::ProcessPoolExecutor sends function pointers and captureless
/// lambdas only (checked at compile time) with serializable arguments;
/// mp::ThreadPoolExecutor runs any callable. Exceptions come back as described
/// there ("Exceptions from tasks").
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
/// ### A worker process that dies (ProcessPoolExecutor)
/// As in Python, a worker that ends abruptly (killed, crashed, `_exit`) or
/// whose initializer throws **breaks the executor**: every pending and running
/// future fails with mp::BrokenProcessPool, the other workers are stopped, and
/// submit() raises mp::BrokenProcessPool from then on. (mp::Pool instead fails
/// only the lost task, with mp::WorkerLost, and goes on.)
///
/// ### Shutdown and the destructor
/// `shutdown(wait = true, cancel_futures = false)` as Python's: no new tasks
/// (submit raises mp::ValueError), cancel pending futures if asked, and wait for
/// the running ones and the workers if `wait`. **The destructor calls
/// shutdown(true)**, like leaving Python's `with` block: it waits for every
/// task (unlike mp::Pool's destructor, which terminates).
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
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mp/async_result.hpp"
#include "mp/detail/next_iterator.hpp"
#include "mp/detail/pool_core.hpp"
#include "mp/error.hpp"
#include "mp/pool.hpp"
#include "mp/process.hpp"
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

/// mp::wait's answer (Python's `DoneAndNotDoneFutures`).
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

/// The API that mp::ThreadPoolExecutor and mp::ProcessPoolExecutor share
/// (Python's `concurrent.futures.Executor`, their common base): map(),
/// shutdown(), max_workers(), and a destructor that waits. Use it through
/// those two classes, which add submit(); `P` is the pool underneath
/// (mp::ThreadPool or mp::Pool).
template <class P>
class BasicExecutor {
public:
  BasicExecutor(const BasicExecutor&) = delete;
  BasicExecutor& operator=(const BasicExecutor&) = delete;

  /// `f` over `items`, results in input order, lazily (Python's `map(fn, iterable, timeout=None)`).
  /// All tasks are submitted now (the items are read in this call; never
  /// blocks); `timeout` counts from this call: a step of the iteration after
  /// it raises mp::TimeoutError. A task's exception is raised when the
  /// iteration reaches it; an input that throws at item k, after the first k
  /// results. mp::ProcessPoolExecutor: `chunksize` items travel per task message.
  /// Items not handed to a worker yet are *pending*, as submit()'s futures:
  /// shutdown(cancel_futures = true) cancels them (the iteration raises
  /// mp::CancelledError at their places), and so does destroying the last
  /// copy of the returned iterator before its end (Python closes the
  /// generator, which cancels the futures).
  /// @throws mp::ValueError after shutdown(); mp::BrokenPool when broken.
  template <class F, class Range>
  auto map(F f, Range&& items, Timeout timeout = {}, std::size_t chunksize = 1) {
    return pool_.imap_impl(std::move(f), std::forward<Range>(items), chunksize, true,
                           std::optional<Deadline>(Deadline(timeout)), true);
  }

  /// No new tasks; with `cancel_futures`, cancels the pending ones (futures
  /// and map items); with `wait`, blocks until the running ones are done and
  /// the workers ended (Python's `shutdown`).
  void shutdown(bool wait = true, bool cancel_futures = false) {
    if (cancel_futures) pool_.core().cancel_pending();
    pool_.core().close();
    if (wait) pool_.core().join();
  }

  /// The number of worker threads or processes.
  [[nodiscard]] int max_workers() const { return pool_.processes(); }

protected:
  /// Makes the pool from `args`.
  template <class... A>
  explicit BasicExecutor(std::in_place_t, A&&... args) : pool_(std::forward<A>(args)...) {}
  /// shutdown(true): waits for every submitted task (see the file notes).
  ~BasicExecutor() {
    try {
      shutdown(true);
    } catch (...) {
    }
  }

  /// Submits `f(args...)` to the pool (arguments copied, or serialized for
  /// worker processes) and returns its future.
  template <class F, class... A>
  auto submit_future(F f, A&&... args) {
    auto job = pool_.submit_future(f, std::forward<A>(args)...);
    return Future<typename decltype(job)::element_type::value_type_>(std::move(job));
  }

  /// The pool underneath.
  P& pool() noexcept { return pool_; }
  /// The pool underneath.
  const P& pool() const noexcept { return pool_; }

private:
  P pool_;
};

/// Runs calls on a pool of threads (Python's `concurrent.futures.ThreadPoolExecutor`).
/// Built on mp::ThreadPool. Any callable works. map(), shutdown() and the
/// waiting destructor are mp::BasicExecutor's.
///
/// Threads start on demand, as Python's (`_adjust_thread_count`): none at
/// construction; submit() hands the task to a free thread if there is one
/// (one waiting for work, or one whose task has just published its result),
/// and otherwise starts a new thread, up to `max_workers`. Tasks submitted one
/// after the other, each waited for, all run in one thread.
class ThreadPoolExecutor : public BasicExecutor<ThreadPool> {
public:
  /// At most `max_workers` threads (0: Python's default, min(32, cpu_count() + 4)),
  /// each running `initializer()` first. An initializer that throws breaks
  /// the executor: futures and submit() raise mp::BrokenPool (Python's BrokenThreadPool).
  /// Starts no thread yet.
  explicit ThreadPoolExecutor(int max_workers = 0, std::function<void()> initializer = {})
      : BasicExecutor(std::in_place, max_workers == 0 ? std::min(32, cpu_count() + 4) : max_workers,
                      std::move(initializer), "ThreadPoolExecutor", true) {}

  /// Schedules `f(args...)` (arguments copied) and returns its future
  /// (Python's `submit`). Never blocks, but may start a thread.
  /// @throws mp::ValueError after shutdown(); mp::BrokenPool when broken;
  ///         std::system_error when a needed thread cannot start.
  template <class F, class... A>
  auto submit(F f, A&&... args) {
    return submit_future(std::move(f), std::forward<A>(args)...);
  }
};

/// Runs calls in worker processes (Python's `concurrent.futures.ProcessPoolExecutor`).
/// Built on mp::Pool's machinery; see the file notes for cancellation and for
/// what happens when a worker dies (the executor breaks, as in Python).
/// map(), shutdown() and the waiting destructor are mp::BasicExecutor's.
class ProcessPoolExecutor : public BasicExecutor<Pool> {
public:
  /// Forks `max_workers` workers (0: cpu_count()). `initializer` runs once
  /// in each; a worker retires after `max_tasks_per_child` tasks (0: never)
  /// and a fresh one replaces it.
  /// @throws mp::ValueError when negative; std::system_error when fork fails.
  explicit ProcessPoolExecutor(int max_workers = 0, std::function<void()> initializer = {},
                               int max_tasks_per_child = 0)
      : BasicExecutor(std::in_place,
                      detail::ProcessCore::Options{
                          max_workers, std::move(initializer), max_tasks_per_child, true,
                          static_cast<std::size_t>((max_workers > 0 ? max_workers : cpu_count()) + 1),
                          "ProcessPoolExecutor"}) {}

  /// Schedules `f(args...)` in a worker process and returns its future
  /// (Python's `submit`). The arguments are serialized now. Never blocks.
  /// @throws mp::ValueError after shutdown(); mp::BrokenProcessPool when broken.
  template <class F, class... A>
  auto submit(F f, A&&... args) {
    if constexpr (!detail::Sendable<F>) {
      detail::check_sendable<F>();
      return Future<detail::Rejected>();
    } else {
      return submit_future(f, std::forward<A>(args)...);
    }
  }

  /// The pids of the live workers.
  [[nodiscard]] std::vector<pid_t> worker_pids() const { return pool().worker_pids(); }
};

}  // namespace mp
