// Descriptors passed over a Unix socket (SCM_RIGHTS): Connection::send_handle,
// Connection::recv_handle, and the receiving read that collects them
// (mp/connection.hpp).
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <sys/socket.h>
#include <unistd.h>

#include "mp/connection.hpp"
#include "mp/detail/syscall.hpp"

namespace mp {

namespace {

// The payload of the message that carries a descriptor: recv_handle() checks
// it, so a plain message is never taken for a handle.
constexpr std::string_view handle_marker{"\0mp:handle", 10};
// Descriptors one read accepts (more in one read are closed by the kernel:
// MSG_CTRUNC), and descriptors a connection keeps unclaimed (more are closed).
constexpr std::size_t handles_per_read = 4;
constexpr std::size_t handles_kept = 16;

}  // namespace

// One read; 0 at end of file. A Unix socket whose peer closed with data
// unread reports ECONNRESET once its own data is drained: that is EOF too.
// Sockets are read with recvmsg so that a descriptor sent with send_handle()
// is kept (a plain read would make the kernel close it), even when it arrives
// in the same read as the messages before it.
std::size_t Connection::read_some(char* dst, std::size_t n) {
  ssize_t r = 0;
  if (kind_ == Kind::socket) {
    iovec iov{dst, n};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * handles_per_read)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    r = detail::sys_nothrow([&] { return ::recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC); });
    if (r >= 0 && msg.msg_controllen > 0) {
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
          int h = -1;
          std::memcpy(&h, CMSG_DATA(c) + i * sizeof(int), sizeof h);
          if (handles_.size() < handles_kept) {
            handles_.push_back(h);
          } else {
            ::close(h);  // a peer flooding us with descriptors
          }
        }
      }
    }
  } else {
    r = detail::sys_nothrow([&] { return ::read(fd_, dst, n); });
  }
  if (r >= 0) return static_cast<std::size_t>(r);
  if (errno == ECONNRESET) return 0;
  detail::throw_errno("recv: read");
}

void Connection::send_handle(int fd) {
  require_writable();
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  if (kind_ != Kind::socket || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) != 0 ||
      local.ss_family != AF_UNIX) {
    throw ValueError(
        "send_handle: descriptors travel only over a Unix socket (a duplex Pipe(), or a "
        "Listener/Client at a Unix or abstract address)");
  }
  // One short frame (a 4-byte length, as every frame under 4 GiB, then the
  // marker); the descriptor rides on its first byte.
  char frame[4 + handle_marker.size()];
  const auto size = static_cast<std::uint32_t>(handle_marker.size());
  std::memcpy(frame, &size, sizeof size);
  std::memcpy(frame + 4, handle_marker.data(), handle_marker.size());
  iovec iov{frame, sizeof frame};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  const ssize_t sent = detail::sys_nothrow([&] { return ::sendmsg(fd_, &msg, MSG_NOSIGNAL); });
  if (sent < 0) {
    if (errno == EPIPE || errno == ECONNRESET)
      throw std::system_error(errno, std::generic_category(), "send_handle");
    detail::throw_errno("send_handle: sendmsg");
  }
  for (auto done = static_cast<std::size_t>(sent);
       done < sizeof frame;) {  // the rest, without the descriptor
    const ssize_t n =
        detail::sys_nothrow([&] { return ::send(fd_, frame + done, sizeof frame - done, MSG_NOSIGNAL); });
    if (n < 0) detail::throw_errno("send_handle: send");
    done += static_cast<std::size_t>(n);
  }
}

int Connection::recv_handle() {
  const std::string message = recv_bytes();
  if (message != handle_marker) {
    throw ValueError(
        "recv_handle: the next message is not a handle (the other end sent it with send or "
        "send_bytes, not send_handle)");
  }
  if (handles_.empty()) {
    throw Error(
        "recv_handle: the handle's message arrived without its descriptor (this process is out of "
        "descriptors, or more than 16 arrived unclaimed)");
  }
  const int h = handles_.front();
  handles_.erase(handles_.begin());
  return h;
}

}  // namespace mp
