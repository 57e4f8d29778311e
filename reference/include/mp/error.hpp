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
#include <stdexcept>
#include <string>

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
  explicit NotImplemented(const std::string& where)
      : Error("not implemented yet: " + where + " (see the TODO in the exercise)") {}
};

} // namespace mp
