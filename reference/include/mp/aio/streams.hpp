#pragma once
/// @file
/// @brief `mp::aio` streams: TCP connections read and written by coroutines
/// (Python's `asyncio.open_connection`, `start_server`, `StreamReader`,
/// `StreamWriter`, `Server`).
///
/// | Python | C++ |
/// |---|---|
/// | `r, w = await asyncio.open_connection(host, port)` | `auto [r, w] = co_await aio::open_connection(host, port);` |
/// | `srv = await asyncio.start_server(cb, host, port)` | `aio::Server srv = co_await aio::start_server(cb, host, port);` |
/// | `async def cb(reader, writer)` | `aio::Task<void> cb(aio::StreamReader r, aio::StreamWriter w)` |
/// | `srv.sockets[0].getsockname()[1]` | `srv.port()` (or `srv.sockets()`) |
/// | `await srv.serve_forever()`, `srv.close()`, `await srv.wait_closed()` | the same |
/// | `await r.read(n)`, `readline()`, `readexactly(n)`, `readuntil(sep)`, `r.at_eof()` | the same (`std::string` for bytes) |
/// | `w.write(b)`, `await w.drain()`, `w.write_eof()` | the same |
/// | `w.close()`, `await w.wait_closed()`, `w.is_closing()` | the same |
/// | `w.get_extra_info("peername")` | `w.peername()` (host, port) |
///
/// A reader and its writer share one socket (shared ownership; copies of a
/// reader or a writer share it too). The socket is closed by the writer's
/// close() (after the buffered bytes are sent), or when the last reader and
/// writer handle on it goes: then **bytes still buffered are dropped**, so
/// end a conversation with `w.close(); co_await w.wait_closed();`.
///
/// Sockets are non-blocking and close-on-exec; TCP_NODELAY is set, as
/// asyncio does. Writes use send(MSG_NOSIGNAL): a peer that went away gives
/// an error, never SIGPIPE.
///
/// **Errors.** The end of the stream is not an error: read() returns what is
/// left, then ""; readexactly() / readuntil() throw aio::IncompleteReadError
/// (an mp::EOFError). A connection reset by the peer (or any socket error)
/// throws std::system_error (ECONNRESET, EPIPE: Python's ConnectionResetError,
/// BrokenPipeError) from the read that meets it and every read after, and
/// from drain() / wait_closed() after a failed send; the socket is then closed.
///
/// Streams belong to the loop that made them (their sockets are watched by
/// it); use them in that loop's thread only. One task at a time may read a
/// stream (Python's rule: a second concurrent read raises aio::RuntimeError).
/// Close servers, and close writers with bytes still buffered, before their
/// loop ends: a handle that outlives its loop must be idle (a listening
/// server or a writer still sending would tell a dead loop to stop watching).
///
/// **GCC 12 note.** Pass a callback that captures by copy as a named
/// variable, not as a lambda written inside the `co_await` expression:
/// GCC 12 destroys such a temporary twice (a compiler bug, not mp's; clang
/// is fine; reference captures are harmless):
/// @code
/// aio::ClientConnected cb = [state](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<void> { ... };
/// aio::Server srv = co_await aio::start_server(std::move(cb), "127.0.0.1", 0);
/// @endcode
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mp/aio/task.hpp"

namespace mp::aio {

namespace detail {
struct StreamState;
struct ServerState;
}  // namespace detail

/// Python's default stream limit: 64 KiB.
inline constexpr std::size_t stream_limit = std::size_t{64} * 1024;

/// The reading half of a connection (Python's `asyncio.StreamReader`).
/// Every read is a coroutine: `co_await r.read(100)`. Each resumes once it has
/// what it needs, in the round after the socket had the data. Cancelled while
/// it waits: throws aio::CancelledError, and the bytes received so far stay
/// buffered for the next read.
class StreamReader {
public:
  /// An empty reader (every call but at_eof() is undefined on it).
  StreamReader() = default;
  /// A reader on a stream's shared state (open_connection and start_server make them).
  explicit StreamReader(std::shared_ptr<detail::StreamState> state) noexcept : state_(std::move(state)) {}

  /// Up to `n` bytes (Python's `read(n=-1)`): waits until some bytes or the
  /// end are there. `n == -1`: everything until the end. `n == 0`: "".
  /// "" means the end of the stream.
  /// @throws std::system_error on a socket error (ECONNRESET);
  ///         aio::RuntimeError when another task reads now; aio::CancelledError.
  Task<std::string> read(long long n = -1);
  /// One line, with its "\n" (Python's `readline`). At the end: what is left
  /// (maybe "", no "\n"). A line longer than the limit: its bytes are dropped
  /// (up to the separator when it is there) and mp::ValueError is thrown,
  /// as Python's readline turns LimitOverrunError into ValueError.
  /// @throws mp::ValueError; as read().
  Task<std::string> readline();
  /// Exactly `n` bytes (Python's `readexactly`).
  /// @throws aio::IncompleteReadError (`partial`: the bytes there were, now
  ///         consumed) when the stream ends first; as read().
  Task<std::string> readexactly(std::size_t n);
  /// The bytes up to and including `separator` (Python's `readuntil`).
  /// @throws aio::LimitOverrunError when no separator appears within the
  ///         limit (or it is found past it); the bytes stay buffered;
  ///         aio::IncompleteReadError (`partial`: the buffered bytes, now
  ///         consumed; `expected`: the limit) when the stream ends first;
  ///         mp::ValueError when `separator` is empty; as read().
  Task<std::string> readuntil(std::string separator = "\n");
  /// Whether the stream ended and nothing is buffered (Python's `at_eof`).
  [[nodiscard]] bool at_eof() const noexcept;
  /// The buffer limit of readline() / readuntil() (Python's `limit` argument).
  [[nodiscard]] std::size_t limit() const noexcept;

private:
  std::shared_ptr<detail::StreamState> state_;
};

/// The writing half of a connection (Python's `asyncio.StreamWriter`).
class StreamWriter {
public:
  /// An empty writer (every call is undefined on it).
  StreamWriter() = default;
  /// A writer on a stream's shared state (open_connection and start_server make them).
  explicit StreamWriter(std::shared_ptr<detail::StreamState> state) noexcept : state_(std::move(state)) {}

  /// Sends `bytes` (Python's `write`): what the socket takes now is sent at
  /// once, the rest buffered and sent as the socket drains. Never blocks,
  /// never suspends; call drain() to wait for the buffer to go down. Bytes
  /// written after close() or after a failed send are dropped (Python only
  /// warns).
  /// @throws aio::RuntimeError after write_eof().
  void write(std::string_view bytes);
  /// write() of each (Python's `writelines`).
  void writelines(const std::vector<std::string>& lines);
  /// Waits while more than 64 KiB are buffered, until at most 16 KiB are
  /// (Python's high / low water marks); returns at once otherwise (Python's
  /// `drain`). Resumes in the round after the socket took enough bytes.
  /// @throws std::system_error when a send failed (EPIPE, ECONNRESET) or the
  ///         socket is closed; aio::CancelledError when cancelled while it
  ///         waits (the bytes stay buffered).
  Task<void> drain();
  /// Closes the stream (Python's `close`): no more writes; the socket closes
  /// once the buffered bytes are sent (at once if none); the reader then
  /// sees the end of the stream. Idempotent.
  void close();
  /// Waits until the socket is closed (Python's `wait_closed`; waits for a
  /// close() that has not come yet).
  /// @throws std::system_error when sending the last bytes failed;
  ///         aio::CancelledError when cancelled (the close goes on).
  Task<void> wait_closed();
  /// Whether close() was called or the connection was lost (Python's `is_closing`).
  [[nodiscard]] bool is_closing() const noexcept;
  /// Shuts the sending side down once the buffered bytes are sent (Python's
  /// `write_eof`): the peer reads the end of the stream; this side can still read.
  void write_eof();
  /// Always true for TCP (Python's `can_write_eof`).
  [[nodiscard]] bool can_write_eof() const noexcept { return true; }
  /// Bytes buffered, not sent yet (Python's `transport.get_write_buffer_size()`).
  [[nodiscard]] std::size_t buffer_size() const noexcept;
  /// The peer's address, numeric (Python's `get_extra_info("peername")`).
  /// @throws std::system_error when the socket is closed or not connected.
  [[nodiscard]] std::pair<std::string, int> peername() const;
  /// This side's address (Python's `get_extra_info("sockname")`).
  [[nodiscard]] std::pair<std::string, int> sockname() const;
  /// The socket's descriptor (-1 once closed). Do not read or write it.
  [[nodiscard]] int fileno() const noexcept;

private:
  std::shared_ptr<detail::StreamState> state_;
};

/// Connects to `host`:`port` over TCP (Python's `asyncio.open_connection`):
/// tries each address getaddrinfo gives, in order, with a non-blocking
/// connect, suspending the task until it completes. **getaddrinfo runs in
/// place and may block the loop** while a name is resolved (none for a
/// numeric address such as 127.0.0.1; use `co_await aio::to_thread(...)` to
/// resolve a slow name first). Resumes in the round after the connection
/// is made. `limit` bounds readline() / readuntil().
/// @throws std::system_error when no address connects (ECONNREFUSED,
///         ETIMEDOUT: the last address's error) or the name does not resolve
///         (EADDRNOTAVAIL); aio::CancelledError when cancelled (the socket is closed).
Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, int port,
                                                            std::size_t limit = stream_limit);

/// The callback run for each client of a server, as a task of its own.
/// Python's `client_connected_cb(reader, writer)`.
using ClientConnected = std::function<Task<void>(StreamReader, StreamWriter)>;

/// A listening TCP server (Python's `asyncio.Server`). Copies share it; it
/// stops listening on close() or when the last copy goes.
class Server {
public:
  /// An empty server (every call is undefined on it).
  Server() = default;
  /// A server on its shared state (start_server makes it).
  explicit Server(std::shared_ptr<detail::ServerState> state) noexcept : state_(std::move(state)) {}

  /// The port of the first listening socket (what port 0 picked).
  [[nodiscard]] int port() const;
  /// The listening sockets' addresses (Python's `[s.getsockname() for s in sockets]`).
  [[nodiscard]] std::vector<std::pair<std::string, int>> sockets() const;
  /// Whether it accepts connections (Python's `is_serving`).
  [[nodiscard]] bool is_serving() const noexcept;
  /// Stops listening: the listening sockets close, connections already
  /// accepted go on (Python's `close`). serve_forever() returns. Idempotent.
  void close();
  /// Waits until close() was called and every client callback task has ended
  /// (Python 3.12's `wait_closed`).
  /// @throws aio::CancelledError when cancelled.
  Task<void> wait_closed();
  /// Accepts connections until close() (Python's `serve_forever`; Python
  /// raises CancelledError when close() ends it, here it returns).
  /// Cancelled: closes the server and throws aio::CancelledError.
  /// @throws aio::RuntimeError when closed already or served already.
  Task<void> serve_forever();

private:
  std::shared_ptr<detail::ServerState> state_;
};

/// Listens on `host`:`port` over TCP and runs `client_connected_cb(reader,
/// writer)` as a new task for each connection (Python's
/// `asyncio.start_server`). It accepts from now on (Python's
/// start_serving=True); port 0 picks a free port (see Server::port()). `host`
/// "" listens on every interface; a name is resolved in place (see
/// open_connection). The sockets use SO_REUSEADDR. An exception escaping the
/// callback goes to aio::report() (the exception handler), as Python logs it.
/// @throws std::system_error when it cannot resolve, bind or listen
///         (EADDRINUSE...); aio::RuntimeError outside a task.
Task<Server> start_server(ClientConnected client_connected_cb, std::string host, int port,
                          std::size_t limit = stream_limit, int backlog = 100);

}  // namespace mp::aio
