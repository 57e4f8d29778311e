#pragma once
// Socket helpers of mp::aio's streams and server (private to src/aio):
// resolving, non-blocking sockets, listening, addresses as text.
#include <cstddef>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mp/aio/loop.hpp"
#include "mp/aio/streams.hpp"

namespace mp::aio::detail::net {

std::system_error socket_error(int err, const char* what);

// A descriptor closed unless released (connect's sockets while they connect).
class UniqueFd {
public:
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

private:
  int fd_;
};

struct AddrInfo {
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list{nullptr, &::freeaddrinfo};
};

// getaddrinfo for a stream socket. @throws std::system_error when it fails.
AddrInfo resolve(const std::string& host, int port, bool passive);
// A non-blocking, close-on-exec stream socket for `a`; -1 and errno on failure.
int stream_socket(const addrinfo& a) noexcept;
// connect(), retried on EINTR: 0, or -1 and errno (EINPROGRESS: wait for writable).
int connect_nowait(int fd, const addrinfo& a) noexcept;
// A listening socket on `a` (non-blocking, close-on-exec, SO_REUSEADDR).
int listen_on(const addrinfo& a, int backlog);
// A socket address as (numeric host, port).
std::pair<std::string, int> numeric(const sockaddr_storage& ss, socklen_t len);
// The socket's peer (or own) address.
std::pair<std::string, int> address_of(int fd, bool peer);
// A reader/writer pair on a connected socket `fd` (streams.cpp).
std::pair<StreamReader, StreamWriter> make_streams(EventLoop& loop, int fd, std::size_t limit);

}  // namespace mp::aio::detail::net
