// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in mini_pool.cpp (the members of MiniPool, and its State).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 07, exercise 2 ("build it"): a small pool of worker processes —
/// apply_async, get with a timeout, and a worker that dies reported instead of waited
/// for — built on mp::Process, mp::Pipe and mp::wait.
///
/// A task is a plain function `std::int64_t f(std::int64_t)` and its argument. The
/// workers are forked from the caller, so a function's address is the same in every
/// worker: a task travels as {ticket, address, argument} through the worker's own pipe,
/// and its result comes back as {ticket, ok, value, error message}.
///
/// Python counterpart: `multiprocessing.Pool`'s `apply_async`, `AsyncResult.get(timeout)`
/// and `terminate`, with one difference: when a worker dies while it runs a task,
/// Python's `get()` waits forever; MiniPool's raises mp::WorkerLost.
///
/// **No threads.** Nothing runs in the background: every call does what is due first
/// (collects the results that arrived, notices workers that ended, forks their
/// replacements, hands queued tasks to idle workers), and get() waits for its ticket
/// with mp::wait on the workers' pipes *and* their processes.
///
/// State table:
///
/// | state      | apply_async      | get(ticket, t)                                   | terminate() |
/// |------------|------------------|--------------------------------------------------|-------------|
/// | running    | queue the task   | its result, its error, or mp::TimeoutError after t | → terminated |
/// | terminated | mp::ValueError   | a result got before: it; else mp::BrokenPool     | no-op       |
///
/// Lesson: lessons/07-pools/README.md, "Exercise 2: mini_pool".
#include <cstdint>
#include <memory>
#include <vector>

#include <sys/types.h>

#include <mp/timeout.hpp>

namespace lesson07 {

/// What a MiniPool runs: a plain function (or a lambda without captures) of one integer.
using Task = std::int64_t (*)(std::int64_t);

/// A pool of `workers` processes that run tasks one at a time each. Not copyable, not
/// movable; one thread at a time; only in the process that made it (not in a worker).
class MiniPool {
public:
  /// Forks `workers` worker processes (Python's `Pool(workers)`). Each waits for tasks
  /// on its own pipe, runs them one at a time, and sends each result back.
  /// Every worker closes the pipe ends it inherited and does not use.
  /// @throws mp::ValueError when `workers` < 1.
  explicit MiniPool(int workers);
  MiniPool(const MiniPool&) = delete;
  MiniPool& operator=(const MiniPool&) = delete;
  /// terminate(): kills and reaps every worker, at once (Python's `with` block exit).
  ~MiniPool();

  /// Submits `fn(arg)` and returns its ticket (1, 2, 3, ... in submission order) at
  /// once: the task goes to an idle worker now, or waits in the caller's memory until
  /// one is idle. Never blocks.
  /// @throws mp::ValueError when terminated.
  std::uint64_t apply_async(Task fn, std::int64_t arg);

  /// The result of the task `ticket` (Python's `AsyncResult.get(timeout)`). Blocks
  /// until it is done, at most `timeout`; meanwhile handles everything else that
  /// happens (other results, workers that end, queued tasks). A result may be got
  /// more than once.
  /// @throws mp::TimeoutError when not done within `timeout` (the task goes on: a
  ///         later get() can still return it).
  /// @throws mp::RemoteError(type, message) when the task threw (the worker lives on;
  ///         type: "std::exception" is enough, the message is what() of the exception).
  /// @throws mp::WorkerLost when the worker running it ended before sending its result
  ///         (killed, crashed, exited): within milliseconds, never a wait until the
  ///         timeout. The worker is replaced by a fresh one; the other tasks go on.
  /// @throws mp::BrokenPool when terminated before the task was done.
  /// @throws mp::ValueError for a ticket apply_async never gave.
  std::int64_t get(std::uint64_t ticket, mp::Timeout timeout = mp::Timeout());

  /// The pids of the live workers, in the order they were forked; a replacement takes
  /// the place of the worker it replaces. Notices workers that ended since the last
  /// call first (and replaces them). Empty once terminated.
  [[nodiscard]] std::vector<pid_t> worker_pids();

  /// Kills every worker (SIGKILL) and reaps it; the tasks not done fail with
  /// mp::BrokenPool. Idempotent.
  void terminate() noexcept;

private:
  struct State;  // defined in mini_pool.cpp: the workers, their pipes, the tasks
  std::unique_ptr<State> state_;
};

}  // namespace lesson07
