#pragma once
/// @file
/// @brief `mp::aio::readable` / writable: suspend the running task until a file
/// descriptor is ready (Python's `loop.add_reader` / `add_writer` wrapped in a
/// future), and read_some / write_some, the non-blocking I/O built on them.
///
/// | Python | C++ |
/// |---|---|
/// | `fut = loop.create_future(); loop.add_reader(fd, fut.set_result, None); await fut` | `co_await aio::readable(fd);` |
/// | the same with `add_writer` | `co_await aio::writable(fd);` |
/// | `await loop.sock_recv(sock, n)` (any fd here) | `co_await aio::read_some(fd, buffer)` |
/// | `await loop.sock_send(sock, data)` (one try) | `co_await aio::write_some(fd, bytes)` |
///
/// Any descriptor epoll accepts works: a pipe, a socket, an eventfd, an
/// mp::Connection's fileno(). Not regular files (epoll refuses them:
/// std::system_error EPERM). The descriptor should be non-blocking when
/// read_some / write_some use it (they set O_NONBLOCK if it is not).
///
/// One task at a time may wait for a descriptor to be readable (and one to
/// be writable): the loop keeps one reader and one writer per descriptor,
/// and a second waiter replaces the first, which would then never resume.
/// Close a descriptor only when no task waits on it.
///
/// A suspended awaitable belongs to its loop: a task frame that waits on a
/// descriptor must not outlive the loop (the same rule as aio::sleep).
#include <coroutine>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "mp/aio/future.hpp"
#include "mp/aio/task.hpp"

namespace mp::aio {

namespace detail {

/// What readable() / writable() return: a one-shot watch of the loop, in the
/// awaiting coroutine's frame.
class FdAwaiter final : public Waitable {
public:
  FdAwaiter(int fd, bool write) noexcept : fd_(fd), write_(write) {}
  FdAwaiter(const FdAwaiter&) = delete;
  FdAwaiter& operator=(const FdAwaiter&) = delete;
  /// Removes the watch if the frame goes while it waits.
  ~FdAwaiter();

  [[nodiscard]] bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h);
  void await_resume();
  bool cancel_wait(const std::string& message) override;

  /// Ends the wait without an error (the task resumes as if the descriptor
  /// were ready): how a stream that closes its socket wakes its reader.
  /// No-op when it does not wait. Loop's thread only.
  void interrupt() noexcept;
  /// Whether it waits now (its watch is armed).
  [[nodiscard]] bool waiting() const noexcept { return armed_; }

private:
  static void on_ready(void* self);
  bool unwatch() noexcept;
  int fd_;
  bool write_;
  bool armed_ = false;
  bool cancelled_ = false;
  EventLoop* loop_ = nullptr;
  TaskState* task_ = nullptr;
};

}  // namespace detail

/// Suspends the running task until `fd` is readable: data, end of file, a
/// hang-up or an error (Python: a future set by `loop.add_reader`). Resumes
/// in the loop round after epoll reports it. Never reads.
/// @throws mp::aio::CancelledError when the task is cancelled while it waits
///         (the watch is removed); mp::aio::RuntimeError outside a task;
///         std::system_error when epoll refuses `fd` (a regular file: EPERM;
///         a closed one: EBADF).
[[nodiscard]] inline detail::FdAwaiter readable(int fd) noexcept { return {fd, false}; }

/// Suspends the running task until `fd` is writable (or has an error or a
/// hang-up). As readable() otherwise.
[[nodiscard]] inline detail::FdAwaiter writable(int fd) noexcept { return {fd, true}; }

/// Reads what is there, up to `buffer.size()` bytes, waiting (readable())
/// while there is nothing (Python's `loop.sock_recv`, for any descriptor).
/// Returns the count, 0 at end of file. Sets O_NONBLOCK on `fd` if needed.
/// @throws std::system_error on a read error (ECONNRESET for a reset peer);
///         aio::CancelledError when cancelled while it waits (nothing was read).
Task<std::size_t> read_some(int fd, std::span<char> buffer);

/// Writes what `fd` takes now, at least one byte, waiting (writable()) while
/// it takes none; returns the count (partial writes are normal: loop to write
/// all). Sockets are written with MSG_NOSIGNAL: a closed peer gives
/// std::system_error EPIPE, never SIGPIPE. (A pipe whose reader is gone
/// still raises SIGPIPE unless the signal is ignored.) Sets O_NONBLOCK on
/// `fd` if needed.
/// @throws std::system_error on a write error; aio::CancelledError when
///         cancelled while it waits (nothing was written).
Task<std::size_t> write_some(int fd, std::string_view bytes);

/// The non-blocking, retrying I/O calls under read_some / write_some (-1 and
/// errno as the system calls; EINTR retried; sockets sent with MSG_NOSIGNAL).
namespace detail {
long read_nowait(int fd, char* data, std::size_t size) noexcept;
long write_nowait(int fd, const char* data, std::size_t size) noexcept;
/// Sets O_NONBLOCK on `fd`. @throws std::system_error.
void set_nonblocking(int fd);
}  // namespace detail

}  // namespace mp::aio
