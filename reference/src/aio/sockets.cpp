// Socket helpers of mp::aio's streams and server (sockets.hpp).
#include "sockets.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>

#include <netinet/in.h>

#include "mp/detail/syscall.hpp"

namespace mp::aio::detail::net {

std::system_error socket_error(int err, const char* what) { return {err, std::generic_category(), what}; }

AddrInfo resolve(const std::string& host, int port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    throw std::system_error(std::make_error_code(std::errc::address_not_available),
                            "aio: cannot resolve " + host + ":" + service + ": " + ::gai_strerror(rc));
  }
  AddrInfo out;
  out.list.reset(res);
  return out;
}

int stream_socket(const addrinfo& a) noexcept {
  return ::socket(a.ai_family, a.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a.ai_protocol);
}

// connect(), retried on EINTR: 0, or -1 and errno (EINPROGRESS: wait for writable).
int connect_nowait(int fd, const addrinfo& a) noexcept {
  return mp::detail::sys_nothrow([&] { return ::connect(fd, a.ai_addr, a.ai_addrlen); });
}

// A listening socket on `a` (non-blocking, close-on-exec, SO_REUSEADDR).
int listen_on(const addrinfo& a, int backlog) {
  UniqueFd fd(stream_socket(a));
  if (fd.get() < 0) mp::detail::throw_errno("aio::start_server: socket");
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (a.ai_family == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  mp::detail::sys("aio::start_server: bind", [&] { return ::bind(fd.get(), a.ai_addr, a.ai_addrlen); });
  mp::detail::sys("aio::start_server: listen", [&] { return ::listen(fd.get(), backlog); });
  return fd.release();
}

std::pair<std::string, int> numeric(const sockaddr_storage& ss, socklen_t len) {
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  const int rc = ::getnameinfo(reinterpret_cast<const sockaddr*>(&ss), len, host, sizeof host, serv,
                               sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
  if (rc != 0) throw std::system_error(std::make_error_code(std::errc::invalid_argument), ::gai_strerror(rc));
  return {host, std::atoi(serv)};
}

std::pair<std::string, int> address_of(int fd, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                      : ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc != 0) mp::detail::throw_errno(peer ? "getpeername" : "getsockname");
  return numeric(ss, len);
}

}  // namespace mp::aio::detail::net
