// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in channel.cpp (the members of Channel, and channel_pair).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 03, exercise 2 ("build it"): messages over a byte stream — the
/// framing of mp::Connection, built on a socketpair(2) with read(2) and write(2).
///
/// A stream socket carries bytes, not messages: one write of 100 bytes may arrive as
/// reads of 60 and 40, and two writes may arrive in one read. A Channel puts each
/// message behind its length, so that the receiver knows where one ends:
///
/// | bytes      | 4                                  | length                |
/// |------------|------------------------------------|-----------------------|
/// | meaning    | the payload's length (uint32_t, this machine's byte order) | the payload |
///
/// This is mp::Connection's format for messages under 4 GiB: a Channel's messages can
/// be received by an mp::Connection's recv_bytes() and the other way round.
///
/// Python counterpart: `multiprocessing.connection.Connection`'s `send_bytes`,
/// `recv_bytes`, `poll` and `close` (CPython's `_send_bytes` writes the same header).
///
/// State table:
///
/// | state  | send_bytes / recv_bytes / poll / fileno | close() |
/// |--------|-----------------------------------------|---------|
/// | open   | work                                    | → closed |
/// | closed | throw mp::ValueError("channel is closed") | no-op   |
///
/// Lesson: lessons/03-pipes/README.md, "Exercise 2: channel".
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <mp/timeout.hpp>

namespace lesson03 {

/// One end of a message channel over a connected stream socket. Move-only; the
/// destructor closes the descriptor. One thread at a time per Channel.
class Channel {
public:
  /// A closed channel (a placeholder to move into).
  Channel() noexcept = default;
  /// Adopts `fd`, one end of a connected AF_UNIX stream socket (socketpair(2)).
  /// The Channel owns `fd` from now on.
  /// @throws mp::ValueError when `fd` < 0.
  explicit Channel(int fd);
  /// Takes `other`'s descriptor (and anything it had read ahead); `other` is left closed.
  Channel(Channel&& other) noexcept;
  /// Closes this end first, then takes `other`'s; `other` is left closed.
  Channel& operator=(Channel&& other) noexcept;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel();

  /// Sends `message` whole: its 4-byte length, then its bytes. Blocks while the
  /// socket's buffer is full (until the peer reads). A write may take only part
  /// of what it is given, or be interrupted by a signal (EINTR): go on until all
  /// is sent.
  /// @throws mp::ValueError when closed, or when `message` is 4 GiB or more.
  /// @throws std::system_error with EPIPE when the peer's end is closed — the
  ///         process must not be killed by SIGPIPE (send(2) with MSG_NOSIGNAL).
  void send_bytes(std::string_view message);

  /// Receives the next message whole. Blocks until all of it has arrived.
  /// @throws mp::EOFError when the peer's end is closed and nothing is left to
  ///         receive, and also when it closes in the middle of a message (a
  ///         truncated message is never returned).
  /// @throws mp::ValueError when closed.
  [[nodiscard]] std::string recv_bytes();

  /// Whether recv_bytes() has something to receive (or EOF to report) without
  /// waiting for it to begin: waits at most `timeout` (zero: only looks; forever:
  /// until something arrives). @throws mp::ValueError when closed.
  [[nodiscard]] bool poll(mp::Timeout timeout = mp::Timeout::zero());

  /// Closes the descriptor; a second close does nothing.
  void close() noexcept;
  /// Whether close() was called (or this Channel was moved from, or made closed).
  [[nodiscard]] bool closed() const noexcept { return fd_ < 0; }
  /// The descriptor. @throws mp::ValueError when closed.
  [[nodiscard]] int fileno() const;

private:
  int fd_ = -1;
  /// Bytes read from the socket but not yet returned (a read may bring more than
  /// one message, or the start of the next one). Use it, or read exactly what
  /// you need each time: your choice.
  std::string pending_;
};

/// Two connected Channels (Python's `Pipe()`): what one sends, the other receives.
/// Both ends close on exec (SOCK_CLOEXEC). @throws std::system_error when socketpair fails.
[[nodiscard]] std::pair<Channel, Channel> channel_pair();

}  // namespace lesson03
