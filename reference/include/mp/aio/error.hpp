#pragma once
/// @file
/// @brief The exceptions of mp::aio (Python's `asyncio` exceptions).
///
/// | Python | C++ |
/// |---|---|
/// | `asyncio.CancelledError` (a BaseException) | mp::aio::CancelledError (not a std::exception) |
/// | `asyncio.TimeoutError` / `TimeoutError` | mp::TimeoutError |
/// | `asyncio.InvalidStateError` | mp::InvalidStateError |
/// | `asyncio.QueueEmpty`, `asyncio.QueueFull` | mp::Empty, mp::Full |
/// | `asyncio.IncompleteReadError` | mp::aio::IncompleteReadError (an mp::EOFError) |
/// | `asyncio.LimitOverrunError` | mp::aio::LimitOverrunError |
/// | `RuntimeError` (no running event loop, wrong loop) | mp::aio::RuntimeError |
#include <cstddef>
#include <string>
#include <utility>

#include "mp/error.hpp"

namespace mp::aio {

/// Raised inside a task at the point where it waits when the task is
/// cancelled (Python's `asyncio.CancelledError`). Deliberately **not** a
/// std::exception, as Python made CancelledError a BaseException: a
/// `catch (const std::exception&)` meant for errors does not swallow a
/// cancellation. Catch it by name to clean up, then rethrow (`throw;`).
class CancelledError {
public:
  CancelledError() = default;
  /// With the message given to cancel(msg).
  explicit CancelledError(std::string message) : message_(std::move(message)) {}
  /// The message, or "cancelled".
  [[nodiscard]] const char* what() const noexcept {
    return message_.empty() ? "cancelled" : message_.c_str();
  }
  /// The message given to cancel(msg) ("" when none).
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

private:
  std::string message_;
};

/// No running event loop, a future of another loop, a task awaited from the
/// wrong thread (Python's `RuntimeError` in these cases).
class RuntimeError : public Error {
public:
  using Error::Error;
};

/// readexactly() or readuntil() met the end of the stream first (Python's
/// `asyncio.IncompleteReadError`): `partial` holds the bytes read.
class IncompleteReadError : public EOFError {
public:
  /// The bytes read before the end, and how many were wanted.
  IncompleteReadError(std::string partial_bytes, std::size_t expected_bytes)
      : EOFError(std::to_string(partial_bytes.size()) + " bytes read on a total of " +
                 std::to_string(expected_bytes) + " expected bytes"),
        partial(std::move(partial_bytes)),
        expected(expected_bytes) {}
  std::string partial;   ///< what was read before the end
  std::size_t expected;  ///< how many were wanted (for readuntil: the limit)
};

/// readline() or readuntil() found no separator within the reader's limit
/// (Python's `asyncio.LimitOverrunError`); the bytes stay in the buffer.
class LimitOverrunError : public Error {
public:
  /// `message`, and how many bytes to consume to get past the overrun.
  LimitOverrunError(const std::string& message, std::size_t consumed_bytes)
      : Error(message), consumed(consumed_bytes) {}
  std::size_t consumed;  ///< bytes to consume to get past the overrun
};

}  // namespace mp::aio
