// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in tiny_executor.cpp (the members of TinyFuture and
//  TinyExecutor, and their State structs).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 09, exercise 2 ("build it"): a future and a small executor of
/// threads — Python's `concurrent.futures.Future` and `ThreadPoolExecutor` — built on
/// a mutex, condition variables and std::jthread.
///
/// **TinyFuture<T>** is a handle on a shared state: copies refer to the same result.
/// It is set once (set_result or set_exception), by whoever makes the result (an
/// executor's worker, or any thread); any number of threads may wait for it in
/// result(timeout), and callbacks added with add_done_callback run once it is set.
///
/// | state    | done() | set_result / set_exception  | result(t)                                 | add_done_callback(fn) |
/// |----------|--------|-----------------------------|-------------------------------------------|-----------------------|
/// | pending  | false  | → finished; runs the callbacks | waits ≤ t, then mp::TimeoutError        | kept, run when set    |
/// | finished | true   | mp::InvalidStateError       | the value, or rethrows the exception      | run at once, here     |
///
/// T is std::int64_t or std::string (tiny_executor.cpp instantiates both).
///
/// **TinyExecutor** is a fixed number of worker threads, started by the constructor,
/// that take tasks from one queue in submission order. submit() returns the task's
/// TinyFuture at once; shutdown() stops new submissions, lets the queued tasks run,
/// and (with `wait`) joins the threads.
///
/// Python counterpart:
/// @code{.py}
/// f = Future(); f.add_done_callback(cb); f.set_result(42); f.result(timeout=1)
/// with ThreadPoolExecutor(4) as ex: print(ex.submit(pow, 2, 10).result())
/// @endcode
///
/// Lesson: lessons/09-executors/README.md, "Exercise 2: tiny_executor".
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>

#include <mp/timeout.hpp>

namespace lesson09 {

/// The eventual result of a computation (Python's `concurrent.futures.Future`). A
/// handle: copies share one state. Every member may be called from any thread at
/// the same time as the others.
template <class T>
class TinyFuture {
public:
  /// A pending future with a fresh state (Python's `Future()`).
  TinyFuture();

  /// Finishes the future with `value`: wakes every thread waiting in result(), then
  /// runs the callbacks added so far, in the order added, in this thread.
  /// @throws mp::InvalidStateError when the future is already finished (set twice).
  void set_result(T value);

  /// Finishes the future with the exception `error` (as set_result).
  /// @throws mp::InvalidStateError when the future is already finished.
  void set_exception(std::exception_ptr error);

  /// Whether it is finished. Never blocks.
  [[nodiscard]] bool done() const;

  /// The value (Python's `result(timeout)`). Blocks until the future is finished, at
  /// most `timeout` (default: forever); may be called many times, from many threads.
  /// @throws mp::TimeoutError when still pending after `timeout`.
  /// @throws the exception given to set_exception.
  T result(mp::Timeout timeout = mp::Timeout()) const;

  /// Has `fn(future)` called once the future is finished (Python's
  /// `add_done_callback`): at once, in this thread, when it already is; else by the
  /// thread that finishes it. Each callback runs exactly once, even when it is added
  /// while another thread is finishing the future. Not with the state's lock held:
  /// a callback may call result() or add_done_callback() on the same future.
  void add_done_callback(std::function<void(const TinyFuture&)> fn);

private:
  struct State;  // defined in tiny_executor.cpp: the lock, the condition, the outcome, the callbacks
  std::shared_ptr<State> state_;
};

/// A task of TinyExecutor: any callable of no argument that returns a number.
using TinyTask = std::function<std::int64_t()>;

/// A fixed-size pool of threads (Python's `ThreadPoolExecutor(max_workers)`, without
/// its threads started on demand). Not copyable, not movable.
class TinyExecutor {
public:
  /// Starts `workers` threads, each taking tasks from the queue until shutdown.
  /// @throws mp::ValueError when `workers` < 1.
  explicit TinyExecutor(int workers);
  TinyExecutor(const TinyExecutor&) = delete;
  TinyExecutor& operator=(const TinyExecutor&) = delete;
  /// shutdown(true): the queued tasks run, then the threads are joined.
  ~TinyExecutor();

  /// Queues `task` and returns its future at once (Python's `submit`). A worker
  /// thread runs it: its value goes to set_result, its exception to set_exception.
  /// Never blocks for the task.
  /// @throws mp::ValueError after shutdown().
  TinyFuture<std::int64_t> submit(TinyTask task);

  /// No new tasks from now on; the queued ones still run. With `wait`, returns once
  /// every queued task is done and every thread joined. Idempotent.
  void shutdown(bool wait = true);

private:
  struct State;  // defined in tiny_executor.cpp: the threads, the queue, the lock and condition
  std::unique_ptr<State> state_;
};

}  // namespace lesson09
