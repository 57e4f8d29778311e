#pragma once
/// @file
/// @brief `mp::Pipe` and mp::Connection: a two-ended message channel between
/// processes (Python's `multiprocessing.Pipe` and `multiprocessing.connection.Connection`).
///
/// `mp::Pipe()` returns two connected ends. Whatever one end sends, the other
/// receives, whole and in order: a Connection carries *messages*, not a byte
/// stream. Make the pipe before mp::Process::start(); the child uses its copy
/// of an end (fork duplicates descriptors).
///
/// @code
/// using Msg = std::tuple<int, std::optional<int>, std::string>;   // Python's [42, None, 'hello']
///
/// mp::Connection parent_conn, child_conn;
/// std::tie(parent_conn, child_conn) = mp::Pipe();
///
/// mp::Process p([&] {
///   parent_conn.close();                  // the child does not use the parent's end
///   child_conn.send(Msg{42, std::nullopt, "hello"});
/// });
/// p.start();
/// child_conn.close();                     // the parent does not use the child's end
/// Msg m = parent_conn.recv<Msg>();        // {42, nullopt, "hello"}
/// p.join();
/// @endcode
///
/// **Close the end you do not use, in each process.** An end reports EOF
/// (mp::EOFError from recv) only once *every* copy of the other end is closed,
/// in every process. Above, if the parent kept its copy of `child_conn`, a
/// `parent_conn.recv()` after the child exits would block forever instead of
/// raising EOFError. This is Python's pitfall too.
///
/// **Wire format** (both ends run on the same machine, so native byte order):
/// a message is a 4-byte unsigned length followed by that many payload bytes;
/// a payload of 2^32 - 1 bytes or more is announced as `0xFFFFFFFF` followed by
/// an 8-byte length. send() encodes values with mp::dump (see mp/pickle.hpp),
/// recv<T>() decodes them with mp::load. A program that writes to fileno()
/// itself must follow this format, or the stream is corrupt from then on. A
/// length above `PTRDIFF_MAX` (the largest object C++ allows) is refused as
/// corrupt: mp::SerializationError("bad message length"), and the header
/// stays unread, so every later receive refuses it too.
///
/// **Memory follows the bytes that arrive**, not the length a header
/// announces: a payload of up to 1 MiB gets its memory when its header
/// arrives; a larger one starts with 1 MiB, and its memory grows as its bytes
/// arrive (at most about three times what has arrived). A peer that announces
/// 1 GiB and then sends nothing, or dies, costs the receiver about 1 MiB.
///
/// **Performance.** A send is one system call (the header and payload leave in
/// one `sendmsg`/`writev`). A receive of a small message is one `read` into a
/// 64 KiB buffer kept by the connection, so a burst of small messages costs one
/// read for many of them. A large payload is read straight into its
/// destination, with no intermediate copy. The first message of 64 KiB or more
/// sent on an end raises that end's kernel buffer once (SO_SNDBUF for a duplex
/// pipe, F_SETPIPE_SZ of 1 MiB for a simplex one; ignored where the system
/// refuses), which lets large messages move in fewer, larger steps. A payload
/// of 4 MiB or more is received into memory advised for transparent huge pages
/// (`madvise(MADV_HUGEPAGE)`), which makes first-touch page faults, the main
/// cost of receiving a 64 MiB message into fresh memory, about ten times cheaper.
/// recv_bytes() returns a new std::string each time; recv_bytes_into(std::string&)
/// reuses one string's memory across messages, the fastest way to receive many
/// large messages: with the room already there, a payload is read straight into
/// it, while a new string for a payload over 1 MiB grows in steps as the bytes
/// arrive (see above; measured ~15-25% slower than one allocation).
///
/// **SIGPIPE.** Sending to an end whose peer is closed raises
/// `std::system_error(EPIPE)` (Python's `BrokenPipeError`); it never kills the
/// process with SIGPIPE. Sockets use MSG_NOSIGNAL. For a simplex pipe the
/// runtime does what Python does at start: the first send sets SIGPIPE to
/// ignored for the whole process when it is still at its default (children
/// inherit that; set it back with `signal(SIGPIPE, SIG_DFL)` before an exec
/// if the new program relies on dying of it). A program with its own SIGPIPE
/// handler keeps it: each send then blocks SIGPIPE around the write and takes
/// off the SIGPIPE that a failed write raised (three system calls more).
///
/// **Thread and process safety.** One Connection object is used by one thread
/// at a time (it keeps a receive buffer); use one per thread, or a mutex.
/// Different processes each use their own copy of an end. Several processes
/// may send on copies of one *simplex* write end at once when each message is
/// at most `PIPE_BUF - 4` (4092) bytes: the kernel writes each such message
/// atomically. Larger messages, or several writers on a duplex end, may
/// interleave: guard the sends with an mp::Lock. Receiving on copies of one end
/// from several processes at once is not supported (each keeps its own buffer).

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mp/error.hpp"
#include "mp/pickle.hpp"
#include "mp/timeout.hpp"

namespace mp {

/// A received message does not fit the space the caller allowed for it:
/// `recv_bytes(maxlength)` with a longer message, or `recv_bytes_into` with a
/// buffer too short. The message is **not** lost: it stays pending, and the
/// next receive with enough room (or recv_bytes() without a limit) returns it.
///
/// Python: `multiprocessing.BufferTooShort` (recv_bytes_into), `OSError("bad
/// message length")` (recv_bytes with maxlength, which in Python also makes the
/// connection unusable; here it does not).
class BufferTooShort : public Error {
public:
  /// The error for a pending message of `message_size` bytes that did not fit in `room` bytes.
  BufferTooShort(std::size_t message_size, std::size_t room);
  /// The pending message's payload size, in bytes.
  [[nodiscard]] std::size_t message_size() const noexcept { return message_size_; }
  /// The room the caller allowed (maxlength, or the buffer's free bytes).
  [[nodiscard]] std::size_t room() const noexcept { return room_; }

private:
  std::size_t message_size_;
  std::size_t room_;
};

/// One end of a Pipe (Python's `multiprocessing.connection.Connection`).
///
/// Move-only RAII owner of one descriptor: the destructor closes it. A
/// default-constructed Connection is closed (a placeholder to move into).
///
/// | state  | send / recv / poll / fileno        | close()   |
/// |--------|------------------------------------|-----------|
/// | open   | work (subject to readable()/writable()) | → closed |
/// | closed | throw mp::ValueError("connection is closed") | no-op |
///
/// Blocking: send blocks while the kernel buffer is full (until the peer
/// reads); recv blocks until a whole message has arrived or the peer is gone;
/// poll blocks at most its timeout. None of them can hang on a dead peer: a
/// peer process that exits or is killed closes its end, which the other end
/// sees as EOF (recv) or EPIPE (send).
///
/// Not thread-safe: one thread at a time per Connection (see the file notes).
class Connection {
public:
  /// A closed connection.
  Connection() noexcept = default;
  /// Adopts `fd`, a connected stream socket or one end of a pipe (Python's
  /// `Connection(handle, readable, writable)`). The Connection owns `fd` from
  /// the call on, and closes it even if the constructor throws.
  /// @throws mp::ValueError when `fd` < 0 or neither readable nor writable;
  ///         std::system_error when `fd` is not an open descriptor (fstat).
  Connection(int fd, bool readable, bool writable);

  /// Takes `other`'s descriptor and buffered bytes; `other` is left closed.
  Connection(Connection&& other) noexcept;
  /// Closes this end first (as close()), then takes `other`'s; `other` is left closed.
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  /// Closes the descriptor (messages not yet received are dropped).
  ~Connection();

  /// Sends `obj` as one message (Python's `send(obj)`, which pickles).
  /// std::string and bitwise types travel as their bytes without a copy;
  /// anything convertible to std::string_view travels as a std::string
  /// (receive it with recv<std::string>()); other types are encoded with
  /// mp::dump. Blocks while the kernel buffer is full.
  /// @throws mp::ValueError when closed or read-only;
  ///         std::system_error(EPIPE) when the peer is closed.
  template <class T>
  void send(const T& obj) {
    if constexpr (std::is_convertible_v<const T&, std::string_view> && !std::is_same_v<T, std::string>) {
      send_bytes(std::string_view(obj));
    } else {
      std::string scratch;
      send_bytes(bytes_of(obj, scratch));
    }
  }

  /// Receives one message and decodes it as a T (Python's `recv()`).
  /// Blocks until a whole message has arrived.
  /// @throws mp::EOFError when the peer is closed and nothing is left, or the
  ///         peer closed in the middle of a message;
  ///         mp::SerializationError when the message is not one encoded T
  ///         (malformed, or sent as another type): that message is consumed,
  ///         and the connection stays usable for the next one; also when a
  ///         header announces an impossible length (see the file notes: the
  ///         stream is corrupt, and that is not consumed);
  ///         mp::ValueError when closed or write-only.
  template <class T>
  T recv() {
    static_assert(std::is_default_constructible_v<T>, "Connection::recv<T> needs a default-constructible T");
    if constexpr (std::is_same_v<T, std::string>) {
      return recv_bytes();
    } else {
      std::string scratch;
      const std::string_view message = next_message(scratch);
      T out{};
      load(message, out);
      return out;
    }
  }

  /// Sends `buf` as one message (Python's `send_bytes(buffer)`).
  /// @throws as send().
  void send_bytes(std::string_view buf);
  /// Sends `buf[offset, offset + size)` (all bytes from `offset` when no size).
  /// @throws mp::ValueError when the range does not lie inside `buf`; as send().
  void send_bytes(std::string_view buf, std::size_t offset, std::optional<std::size_t> size = std::nullopt);
  /// Sends the bytes of `buf` as one message.
  void send_bytes(std::span<const std::byte> buf);

  /// Receives one message's bytes (Python's `recv_bytes(maxlength)`).
  /// Blocks until a whole message has arrived.
  /// @throws mp::BufferTooShort when the message is longer than `maxlength`
  ///         (the message stays pending); mp::EOFError, mp::SerializationError
  ///         (impossible length only), mp::ValueError as recv().
  std::string recv_bytes(std::optional<std::size_t> maxlength = std::nullopt);

  /// Receives one message into `buffer` from `offset` on and returns its size
  /// (Python's `recv_bytes_into(buffer, offset)`).
  /// @throws mp::ValueError when `offset` > buffer.size();
  ///         mp::BufferTooShort when the message does not fit (it stays pending);
  ///         mp::EOFError, mp::SerializationError (impossible length only),
  ///         mp::ValueError as recv().
  std::size_t recv_bytes_into(std::span<std::byte> buffer, std::size_t offset = 0);
  /// Receives one message, replacing the contents of `buffer`, and returns its
  /// size. Reusing one string for many messages reuses its capacity: no
  /// allocation per message. @throws as recv_bytes() without maxlength.
  std::size_t recv_bytes_into(std::string& buffer);

  /// Whether a message (or EOF) is ready to be received (Python's `poll(timeout)`).
  /// Waits at most `timeout`; the default, zero, does not block (as Python's
  /// `poll()`), `Timeout::forever()` waits without limit. True at EOF too (the
  /// next recv raises mp::EOFError). True may also mean the first bytes of a
  /// message have arrived and recv waits briefly for the rest.
  /// @throws mp::ValueError when closed or write-only.
  [[nodiscard]] bool poll(Timeout timeout = Timeout::zero());

  /// Sends the descriptor `fd` to the process at the other end (Python's
  /// `multiprocessing.reduction.send_handle(conn, handle, destination_pid)`):
  /// the kernel gives the receiver a descriptor of its own for the same open
  /// file (SCM_RIGHTS), as one message that recv_handle() takes. `fd` stays
  /// open here. Only over a Unix socket: a duplex Pipe(), or a Client or
  /// Listener at a Unix or abstract address.
  /// @throws mp::ValueError when closed, read-only, or not a Unix socket;
  ///         std::system_error as send_bytes().
  void send_handle(int fd);
  /// Receives a descriptor that the other end sent with send_handle()
  /// (Python's `multiprocessing.reduction.recv_handle(conn)`): the next
  /// message must be that one. The caller owns the descriptor (close-on-exec).
  /// Blocks as recv_bytes(). Descriptors that arrive with other messages are
  /// closed when this end closes (at most 16 are kept).
  /// @throws mp::ValueError when the next message is not a handle (it is
  ///         consumed); mp::EOFError and the rest as recv_bytes().
  [[nodiscard]] int recv_handle();

  /// Closes the descriptor now (Python's `close()`). Closing twice is harmless.
  void close() noexcept;
  /// Whether close() was called (or the connection was moved from, or made empty). Python's `closed`.
  [[nodiscard]] bool closed() const noexcept { return fd_ < 0; }
  /// The descriptor, e.g. to wait on it with poll(2) beside others.
  /// @throws mp::ValueError when closed.
  [[nodiscard]] int fileno() const;
  /// Whether this end may receive. (Python's `readable` property.)
  [[nodiscard]] bool readable() const noexcept { return readable_; }
  /// Whether this end may send. (Python's `writable` property.)
  [[nodiscard]] bool writable() const noexcept { return writable_; }

private:
  /// mp::Pipe() makes the two ends and records which kind of descriptor each has.
  friend std::pair<Connection, Connection> Pipe(bool duplex);
  enum class Kind : unsigned char { socket, pipe };
  struct Header {
    std::size_t header_size;
    std::size_t payload_size;
  };

  Connection(int fd, bool readable, bool writable, Kind kind) noexcept;

  void require_open() const;
  void require_readable() const;
  void require_writable() const;
  void write_message(std::string_view payload);
  void grow_send_buffer() noexcept;
  std::size_t read_some(char* dst, std::size_t n);
  void fill(std::size_t need);
  Header peek_header();
  void take_payload(char* dst, Header h);
  void receive_payload(std::string& out, Header h);
  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - begin_; }
  /// The next message's payload, consumed: a view into the receive buffer (valid
  /// until the next call on this connection) or, for large ones, into `scratch`.
  std::string_view next_message(std::string& scratch);

  int fd_ = -1;
  bool readable_ = false;
  bool writable_ = false;
  bool send_buffer_grown_ = false;
  Kind kind_ = Kind::socket;
  // Received bytes not yet handed out: [begin_, end_) of rbuf_ (allocated on first receive).
  std::unique_ptr<char[]> rbuf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  // Descriptors received (SCM_RIGHTS) and not yet taken by recv_handle(), oldest first.
  std::vector<int> handles_;
};

/// Makes a pipe: two connected ends (Python's `multiprocessing.Pipe(duplex)`).
///
/// Duplex (the default): a Unix stream socketpair, both ends send and receive.
/// Simplex (`Pipe(false)`): a pipe(2); as in Python, the **first** end only
/// receives and the second only sends (`auto [r, w] = mp::Pipe(false);`);
/// misuse raises mp::ValueError. Both descriptors are close-on-exec.
/// @throws std::system_error when the system is out of descriptors.
[[nodiscard]] std::pair<Connection, Connection> Pipe(bool duplex = true);

}  // namespace mp
