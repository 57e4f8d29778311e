// Lesson 03, exercise 2: Channel (see channel.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 03
#include "channel.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mp/error.hpp>

namespace lesson03 {

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
  // TODO(task 1): socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds); on failure
  //   throw std::system_error(errno, std::generic_category(), "socketpair").
  throw mp::NotImplemented("03/task 1: channel_pair() in exercises/03-pipes/channel.cpp");
}

void Channel::send_bytes([[maybe_unused]] std::string_view message) {
  // TODO(task 2): check the state and the size; write the 4-byte length, then the
  //   bytes, with send(fd_, ..., MSG_NOSIGNAL) in a loop: a send may take only part
  //   of what it is given, or fail with EINTR (try again); any other error is a
  //   std::system_error (EPIPE: the peer is gone).
  throw mp::NotImplemented("03/task 2: Channel::send_bytes() in exercises/03-pipes/channel.cpp");
}

std::string Channel::recv_bytes() {
  // TODO(task 3): read until you have 4 bytes of length, then until you have that
  //   many bytes of payload (read(2) returns what is there, maybe less; EINTR: again).
  //   read() returning 0 is EOF: mp::EOFError, also in the middle of a message.
  throw mp::NotImplemented("03/task 3: Channel::recv_bytes() in exercises/03-pipes/channel.cpp");
}

bool Channel::poll([[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 4): bytes already read ahead (pending_) are ready at once; otherwise
  //   poll(2) the descriptor for POLLIN with an mp::Deadline's poll_ms(), again
  //   after EINTR with what is left. POLLHUP (the peer closed) is ready too.
  throw mp::NotImplemented("03/task 4: Channel::poll() in exercises/03-pipes/channel.cpp");
}

}  // namespace lesson03
