#pragma once
/// @file
/// @brief The runtime's exception hierarchy, mirroring Python's.
///
/// Every error the runtime raises on purpose derives from mp::Error, so
/// `catch (const mp::Error&)` catches them all. Failed system calls raise
/// `std::system_error` carrying the name of the call (see mp/detail/syscall.hpp).
///
/// | C++                  | Python                                   |
/// |----------------------|------------------------------------------|
/// | mp::Error            | (base of the ones below)                 |
/// | mp::TimeoutError     | `TimeoutError`, `multiprocessing.TimeoutError` |
/// | mp::Empty            | `queue.Empty`                            |
/// | mp::Full             | `queue.Full`                             |
/// | mp::EOFError         | `EOFError` from `Connection.recv`        |
/// | mp::ValueError       | `ValueError` (misuse: closed object, bad argument) |
/// | mp::ProcessError     | `AssertionError`/`ValueError` from misused `Process` |
/// | mp::BrokenBarrierError | `threading.BrokenBarrierError`         |
/// | mp::SerializationError | `pickle.UnpicklingError`               |
/// | mp::NotImplemented   | `NotImplementedError` (exercise stubs)   |
/// | mp::RemoteError      | an exception raised in a pool worker, re-raised by `get()` |
/// | mp::BrokenPool       | `concurrent.futures.BrokenExecutor` (a pool that cannot run tasks) |
/// | mp::WorkerLost       | (none: Python's `Pool` hangs when a worker dies) |
/// | mp::BrokenProcessPool | `concurrent.futures.process.BrokenProcessPool` |
/// | mp::CancelledError   | `concurrent.futures.CancelledError`      |
#include <stdexcept>
#include <string>
#include <utility>

namespace mp {

/// Base of every error the runtime raises.
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A blocking call ran out of time (Python's `TimeoutError`).
class TimeoutError : public Error {
public:
  using Error::Error;
};

/// `get_nowait`, or `get` with a timeout, found the queue empty (Python's `queue.Empty`).
class Empty : public Error {
public:
  Empty() : Error("queue is empty") {}
  using Error::Error;
};

/// `put_nowait`, or `put` with a timeout, found the queue full (Python's `queue.Full`).
class Full : public Error {
public:
  Full() : Error("queue is full") {}
  using Error::Error;
};

/// The other end of a connection is closed and no data is left (Python's `EOFError`).
class EOFError : public Error {
public:
  EOFError() : Error("end of file: the other end of the connection is closed") {}
  using Error::Error;
};

/// An argument or the object's state forbids the call (Python's `ValueError`),
/// e.g. `put` on a closed queue, `release` of a BoundedSemaphore past its bound.
class ValueError : public Error {
public:
  using Error::Error;
};

/// A Process was misused: started twice, joined before start, ...
class ProcessError : public Error {
public:
  using Error::Error;
};

/// A Barrier was aborted, or a wait on it timed out (Python's `BrokenBarrierError`).
class BrokenBarrierError : public Error {
public:
  BrokenBarrierError() : Error("the barrier is broken") {}
  using Error::Error;
};

/// Bytes could not be decoded into the requested type: truncated, malformed,
/// or of another type (Python's `pickle.UnpicklingError`).
class SerializationError : public Error {
public:
  using Error::Error;
};

/// Raised by the exercises' skeletons: this part is yours to write.
/// The message names the lesson and task, e.g. `"02/task 2"`.
class NotImplemented : public Error {
public:
  /// An error naming `where`: the lesson and task, e.g. "02/task 2".
  explicit NotImplemented(const std::string& where)
      : Error("not implemented yet: " + where + " (see the TODO in the exercise)") {}
};

/// An exception thrown by a task in a pool worker process whose type cannot be
/// re-created in the caller: a user-defined type, or one outside the standard
/// and mp:: types that travel as themselves (see mp/pool.hpp, "Exceptions").
/// It carries the original's type name and message. Python re-raises the
/// worker's exception object itself (it pickles it); C++ cannot rebuild an
/// arbitrary type from bytes, so it gets this stand-in.
class RemoteError : public Error {
public:
  /// @param type_name the demangled type of the original exception, e.g. `"app::ParseError"`.
  /// @param message its `what()`.
  RemoteError(std::string type_name, std::string message)
      : Error(type_name + ": " + message), type_name_(std::move(type_name)), message_(std::move(message)) {}
  /// The original exception's type, demangled (`"app::ParseError"`).
  [[nodiscard]] const std::string& type_name() const noexcept { return type_name_; }
  /// The original exception's `what()`.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

private:
  std::string type_name_;
  std::string message_;
};

/// A pool could not run a task: a worker died while running it (mp::WorkerLost),
/// the pool was terminated before the task finished, a worker's initializer
/// failed, or (mp::BrokenProcessPool) an executor broke. Python's
/// `concurrent.futures.BrokenExecutor`; Python's `multiprocessing.Pool` has no
/// counterpart, because it hangs in these cases instead of reporting them.
class BrokenPool : public Error {
public:
  using Error::Error;
};

/// The worker process running this task ended before it returned (killed by
/// a signal, crashed, or called `_exit`). Raised by `get()` / `map()` of an
/// mp::Pool for that task only; the pool replaces the worker and runs the
/// other tasks. Python's `Pool` waits forever in this case.
class WorkerLost : public BrokenPool {
public:
  /// @param pid the worker's pid; @param exitcode its exit code as mp::Process
  /// reports it (`-N` for signal N).
  WorkerLost(const std::string& what, long pid, int exitcode)
      : BrokenPool(what), pid_(pid), exitcode_(exitcode) {}
  /// The pid of the worker that died.
  [[nodiscard]] long pid() const noexcept { return pid_; }
  /// Its exit code: `-9` for SIGKILL, `-11` for a segfault, `n` for `_exit(n)`.
  [[nodiscard]] int exitcode() const noexcept { return exitcode_; }

private:
  long pid_;
  int exitcode_;
};

/// A worker process of an mp::ProcessPoolExecutor ended abruptly, or its
/// initializer failed: as in Python, the executor is then *broken*: every
/// pending and running future fails with this error, and submit() raises it.
/// Python's `concurrent.futures.process.BrokenProcessPool`.
class BrokenProcessPool : public BrokenPool {
public:
  using BrokenPool::BrokenPool;
};

/// result() or exception() of a future that was cancelled
/// (Python's `concurrent.futures.CancelledError`).
class CancelledError : public Error {
public:
  CancelledError() : Error("the future was cancelled") {}
  using Error::Error;
};

/// set_result(), set_exception() or set_running_or_notify_cancel() on a
/// future that is not in a state that allows it: already finished or
/// cancelled, or already running (Python's `concurrent.futures.InvalidStateError`;
/// Python raises RuntimeError for the last case).
class InvalidStateError : public Error {
public:
  using Error::Error;
};

}  // namespace mp
