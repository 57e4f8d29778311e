// Lesson 03, exercise 2: Channel (see channel.hpp for the contract).
// Reference solution: one send(2) per message when it fits (the header and the
// payload together), and reads of up to 64 KiB into pending_, so that a burst of
// small messages costs one read for many of them.
#include "channel.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <mp/error.hpp>

namespace lesson03 {

namespace {

constexpr std::size_t header_size = sizeof(std::uint32_t);
constexpr std::size_t read_ahead = 64 * 1024;

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

// ---- Given: owning the descriptor (as lesson 01's Process owns its child) ----

Channel::Channel(int fd) : fd_(fd) {
  if (fd < 0) throw mp::ValueError("Channel: not a descriptor: " + std::to_string(fd));
}

Channel::Channel(Channel&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), pending_(std::move(other.pending_)) {}

Channel& Channel::operator=(Channel&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    pending_ = std::move(other.pending_);
  }
  return *this;
}

Channel::~Channel() { close(); }

void Channel::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  pending_.clear();
}

int Channel::fileno() const {
  if (fd_ < 0) throw mp::ValueError("channel is closed");
  return fd_;
}

// ---- Yours ----

std::pair<Channel, Channel> channel_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw_errno("socketpair");
  return {Channel(fds[0]), Channel(fds[1])};
}

void Channel::send_bytes(std::string_view message) {
  const int fd = fileno();
  if (message.size() >= std::numeric_limits<std::uint32_t>::max())
    throw mp::ValueError("Channel::send_bytes: a message must be under 4 GiB");
  const auto length = static_cast<std::uint32_t>(message.size());
  char header[header_size];
  std::memcpy(header, &length, header_size);
  // The header and the payload leave together: sendmsg with two pieces, again with
  // what is left after a partial send.
  std::size_t sent = 0;
  const std::size_t total = header_size + message.size();
  while (sent < total) {
    iovec parts[2];
    int n = 0;
    if (sent < header_size) parts[n++] = {header + sent, header_size - sent};
    const std::size_t from = sent < header_size ? 0 : sent - header_size;
    if (from < message.size()) parts[n++] = {const_cast<char*>(message.data()) + from, message.size() - from};
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = static_cast<std::size_t>(n);
    const ssize_t r = ::sendmsg(fd, &msg, MSG_NOSIGNAL);  // EPIPE instead of a SIGPIPE
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_errno("Channel::send_bytes");
    }
    sent += static_cast<std::size_t>(r);
  }
}

std::string Channel::recv_bytes() {
  const int fd = fileno();
  // Reads more into pending_ (at least one byte); false at EOF.
  const auto read_more = [&](std::size_t want) {
    const std::size_t old = pending_.size();
    pending_.resize(old + std::max(want, read_ahead));
    for (;;) {
      const ssize_t r = ::read(fd, pending_.data() + old, pending_.size() - old);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        pending_.resize(old);
        throw_errno("Channel::recv_bytes");
      }
      pending_.resize(old + static_cast<std::size_t>(r));
      return r > 0;
    }
  };
  while (pending_.size() < header_size) {
    if (!read_more(header_size - pending_.size())) {
      throw mp::EOFError(pending_.empty() ? "the peer closed its end"
                                          : "the peer closed its end in the middle of a message's length");
    }
  }
  std::uint32_t length = 0;
  std::memcpy(&length, pending_.data(), header_size);
  const std::size_t need = header_size + length;
  while (pending_.size() < need) {
    if (!read_more(need - pending_.size()))
      throw mp::EOFError("the peer closed its end in the middle of a message");
  }
  std::string message = pending_.substr(header_size, length);
  pending_.erase(0, need);
  return message;
}

bool Channel::poll(mp::Timeout timeout) {
  const int fd = fileno();
  if (!pending_.empty()) return true;
  const mp::Deadline deadline(timeout);
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    const int r = ::poll(&p, 1, deadline.poll_ms());
    if (r > 0) return true;  // data, or POLLHUP: EOF to report
    if (r == 0) return false;
    if (errno != EINTR) throw_errno("Channel::poll");
    if (deadline.expired()) return false;
  }
}

}  // namespace lesson03
