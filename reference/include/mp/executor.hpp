#pragma once
/// @file
/// @brief `mp::ThreadPoolExecutor`, mp::ProcessPoolExecutor, mp::Future,
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
///
/// The futures they return (states, callbacks, futures made by hand,
/// as_completed, wait) are in mp/future.hpp, included here.
#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <utility>

#include "mp/detail/pool_core.hpp"
#include "mp/error.hpp"
#include "mp/future.hpp"
#include "mp/pool.hpp"
#include "mp/process.hpp"
#include "mp/timeout.hpp"

namespace mp {

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
