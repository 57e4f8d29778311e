#pragma once
/// @file
/// @brief The manager's shared-memory channel for a client on the same host (detail).
///
/// A socket round trip costs two system calls and two wake-ups on each side
/// (≈ 30–60 µs on a busy 2-core machine); a proxy call that only sets a dict
/// item is a few hundred nanoseconds of work. So a client that reaches its
/// manager over a Unix socket asks, after the handshake, for a channel: the
/// server's thread for that client makes a 64 KiB shared region (a memfd) and
/// passes its descriptor over the socket (Connection::send_handle). From then
/// on each call is a **mailbox exchange** in that region:
///
///     client: write request, state = request  → spin, then sleep on `state`
///     server: sees request, runs it, writes reply, state = reply → spin, then sleep
///     client: sees reply, copies it out, state = idle
///
/// Each side spins a few microseconds (the other is usually mid-operation on
/// another core) and then sleeps on the `state` futex word, announced with
/// sleep_announced() so that the poster wakes it (mp/detail/spin_wait.hpp).
/// A message larger than the region travels on the socket instead
/// (`request_on_socket` / `reply_on_socket`), so there is no size limit
/// beyond the socket's.
///
/// **Death.** The socket stays open for one more job: noticing that the other
/// side died. A sleeping side wakes every slice (10 ms, growing to 100 ms)
/// and polls the socket; a readable socket while it is not the peer's turn to
/// use it means the peer closed it (its process ended or was killed). So a
/// dead manager makes a call fail within ≈ 100 ms, and a dead client's thread
/// on the server ends, releasing what the client held. A reply the client
/// never took (state still `reply` when it died) is handed back to its object
/// (ManagedObject::reply_failed): a queue item it got is not lost.
///
/// **Trust.** The server never trusts the region: it reads `state` and
/// `length` once, checks the length against the capacity, and copies the
/// request out before decoding it; a client that scribbles on its own region
/// only breaks its own calls. The server made the memfd, so the client cannot
/// shrink it under the server's mapping.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mp/connection.hpp"

namespace mp::detail::manager {

/// Whose turn it is, and where the message is.
enum ChannelState : std::uint32_t {
  channel_idle = 0,               ///< the client's turn: no call in flight
  channel_request = 1,            ///< a request is in the region
  channel_request_on_socket = 2,  ///< a request follows on the socket (too large)
  channel_reply = 3,              ///< a reply is in the region
  channel_reply_on_socket = 4,    ///< a reply follows on the socket (too large)
};

/// The header of a channel's region; the message bytes follow it.
struct alignas(64) ChannelHeader {
  std::atomic<std::uint32_t> state{channel_idle};  ///< ChannelState; the futex word both sides sleep on
  std::atomic<std::uint32_t> length{0};            ///< bytes of the message in the region
  std::atomic<std::uint32_t> client_sleeping{0};   ///< 1 while the client sleeps on `state`
  std::atomic<std::uint32_t> server_sleeping{0};   ///< 1 while the server sleeps on `state`
};

/// The whole region, and the bytes of message it holds.
inline constexpr std::size_t channel_bytes = 64 * 1024;
inline constexpr std::size_t channel_capacity = channel_bytes - sizeof(ChannelHeader);

/// One side's mapping of a channel. Move-only; unmaps on destruction (a
/// forked child's inherited copy unmaps only its own).
class Channel {
public:
  Channel() = default;
  /// Makes a region (server side). @throws std::system_error from memfd_create, ftruncate, mmap.
  static Channel create();
  /// Maps the region whose descriptor the server sent (client side); closes `fd`.
  /// @throws mp::Error when `fd` is not a channel's region; std::system_error from mmap.
  static Channel adopt(int fd);

  Channel(Channel&& other) noexcept;
  Channel& operator=(Channel&& other) noexcept;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel();

  /// The region's descriptor, until release_fd() (server side, to send it).
  [[nodiscard]] int fd() const noexcept { return fd_; }
  /// Closes the descriptor; the mapping stays.
  void release_fd() noexcept;

  // ---- client side ----
  /// Sends `request` and returns the reply's bytes. Blocks until the reply
  /// arrives or the manager is gone.
  /// @throws mp::EOFError when the manager closed `socket` (it ended or was
  ///         killed); what `socket` throws for a large message.
  std::string call(Connection& socket, std::string_view request);

  // ---- server side ----
  /// Waits for the next request and puts its bytes in `request`.
  /// @return false when the client is gone (it closed `socket`) or broke the
  ///         channel's rules (a length past the region).
  bool next_request(Connection& socket, std::string& request);
  /// Posts `reply` and wakes the client. @throws what `socket` throws for a large reply.
  void post_reply(Connection& socket, std::string_view reply);
  /// Whether the last reply was posted and not taken (the client died first).
  [[nodiscard]] bool reply_untaken() const noexcept;

private:
  explicit Channel(void* region) noexcept : region_(region) {}
  [[nodiscard]] ChannelHeader& header() const noexcept { return *static_cast<ChannelHeader*>(region_); }
  [[nodiscard]] char* data() const noexcept { return static_cast<char*>(region_) + sizeof(ChannelHeader); }
  void post(ChannelState state, std::atomic<std::uint32_t>& peer_sleeping) noexcept;

  void* region_ = nullptr;
  int fd_ = -1;
};

}  // namespace mp::detail::manager
