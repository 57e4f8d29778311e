// mp::Address, mp::Listener and mp::Client (mp/listener.hpp): sockets by
// address, and the shared-key handshake of mp/auth.hpp on top.
#include "mp/listener.hpp"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mp/detail/syscall.hpp"
#include "mp/process.hpp"

namespace mp {

namespace {

constexpr std::size_t max_unix_path = sizeof(sockaddr_un::sun_path) - 1;  // 107 on Linux

// A socket address with its length: what bind() and connect() take.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;
  [[nodiscard]] const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
};

SocketAddress unix_address(const Address& a) {
  SocketAddress out;
  auto* un = reinterpret_cast<sockaddr_un*>(&out.storage);
  un->sun_family = AF_UNIX;
  const std::string& name = a.host_or_path();
  const bool abstract = a.kind() == Address::Kind::abstract;
  const std::size_t offset = abstract ? 1 : 0;  // abstract names start with a NUL byte
  std::memcpy(un->sun_path + offset, name.data(), name.size());
  out.length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + offset + name.size() + (abstract ? 0 : 1));
  out.family = AF_UNIX;
  return out;
}

// Every address `host:port` resolves to (TCP), in getaddrinfo's order.
std::vector<SocketAddress> tcp_addresses(const Address& a, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* res = nullptr;
  const std::string port = std::to_string(a.port());
  const int rc = ::getaddrinfo(a.host_or_path().c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    throw std::system_error(std::make_error_code(std::errc::address_not_available),
                            "mp: cannot resolve " + a.to_string() + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> keep(res, &::freeaddrinfo);
  std::vector<SocketAddress> out;
  for (const addrinfo* p = res; p != nullptr; p = p->ai_next) {
    SocketAddress s;
    std::memcpy(&s.storage, p->ai_addr, p->ai_addrlen);
    s.length = p->ai_addrlen;
    s.family = p->ai_family;
    out.push_back(s);
  }
  return out;
}

class Fd {
public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

private:
  int fd_;
};

void set_nodelay(int fd) {
  const int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// connect() within the deadline: non-blocking connect, then poll for writability.
void connect_within(int fd, const SocketAddress& sa, const Deadline& deadline, const std::string& what) {
  const int flags = detail::sys("fcntl", [&] { return ::fcntl(fd, F_GETFL); });
  detail::sys("fcntl", [&] { return ::fcntl(fd, F_SETFL, flags | O_NONBLOCK); });
  if (::connect(fd, sa.get(), sa.length) != 0) {
    if (errno != EINPROGRESS && errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "mp::Client: connect to " + what);
    }
    pollfd p{fd, POLLOUT, 0};
    const int n = detail::sys("poll", [&] { return ::poll(&p, 1, deadline.poll_ms()); });
    if (n == 0) {
      throw std::system_error(ETIMEDOUT, std::generic_category(), "mp::Client: connect to " + what);
    }
    int err = 0;
    socklen_t len = sizeof err;
    detail::sys("getsockopt", [&] { return ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len); });
    if (err != 0) throw std::system_error(err, std::generic_category(), "mp::Client: connect to " + what);
  }
  detail::sys("fcntl", [&] { return ::fcntl(fd, F_SETFL, flags); });
}

}  // namespace

// ================================================================ Address

Address Address::tcp(std::string host, std::uint16_t port) {
  if (host.empty())
    throw ValueError("mp::Address::tcp: the host is empty (\"127.0.0.1\" for this machine only)");
  return Address(Kind::tcp, std::move(host), port);
}

Address Address::unix_socket(std::string path) {
  if (path.empty() || path.size() > max_unix_path || path.find('\0') != std::string::npos) {
    throw ValueError("mp::Address::unix_socket: the path must be 1 to 107 bytes, without NUL");
  }
  return Address(Kind::unix_socket, std::move(path), 0);
}

Address Address::abstract(std::string name) {
  if (name.empty() || name.size() > max_unix_path - 1) {
    throw ValueError("mp::Address::abstract: the name must be 1 to 106 bytes");
  }
  return Address(Kind::abstract, std::move(name), 0);
}

Address Address::local_unique() {
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return abstract("mp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "-" +
                  std::to_string(rng()));
}

Address Address::parse(std::string_view text) {
  if (text.starts_with("unix:")) return unix_socket(std::string(text.substr(5)));
  if (text.starts_with("abstract:")) return abstract(std::string(text.substr(9)));
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    throw ValueError("mp::Address::parse: \"" + std::string(text) +
                     "\" is not host:port, [v6]:port, unix:PATH or abstract:NAME");
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  const std::string_view digits = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port > 65535) {
    throw ValueError("mp::Address::parse: bad port in \"" + std::string(text) + "\"");
  }
  return tcp(std::string(host), static_cast<std::uint16_t>(port));
}

std::string Address::to_string() const {
  switch (kind_) {
    case Kind::tcp:
      return (text_.find(':') != std::string::npos ? "[" + text_ + "]" : text_) + ":" + std::to_string(port_);
    case Kind::unix_socket: return "unix:" + text_;
    case Kind::abstract: return "abstract:" + text_;
  }
  return text_;
}

// ================================================================ Listener

Listener::Listener(Address address, std::string authkey, int backlog)
    : address_(std::move(address)), authkey_(std::move(authkey)) {
  if (backlog < 1) throw ValueError("mp::Listener: backlog must be at least 1");
  if (address_.kind() == Address::Kind::tcp) {
    int last_errno = EADDRNOTAVAIL;
    for (const SocketAddress& sa : tcp_addresses(address_, true)) {
      Fd fd(::socket(sa.family, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (fd.get() < 0) {
        last_errno = errno;
        continue;
      }
      const int one = 1;
      (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(fd.get(), sa.get(), sa.length) != 0 || ::listen(fd.get(), backlog) != 0) {
        last_errno = errno;
        continue;
      }
      sockaddr_storage bound{};
      socklen_t len = sizeof bound;
      detail::sys("getsockname",
                  [&] { return ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len); });
      const std::uint16_t port = bound.ss_family == AF_INET6
                                     ? ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port)
                                     : ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
      address_ = Address::tcp(address_.host_or_path(), port);
      fd_ = fd.release();
      return;
    }
    throw std::system_error(last_errno, std::generic_category(),
                            "mp::Listener: listen at " + address_.to_string());
  }
  const SocketAddress sa = unix_address(address_);
  Fd fd(detail::sys("socket", [] { return ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); }));
  if (::bind(fd.get(), sa.get(), sa.length) != 0) {
    throw std::system_error(errno, std::generic_category(), "mp::Listener: bind " + address_.to_string());
  }
  owns_path_ = address_.kind() == Address::Kind::unix_socket;
  if (::listen(fd.get(), backlog) != 0) {
    const int e = errno;
    if (owns_path_) ::unlink(address_.host_or_path().c_str());
    throw std::system_error(e, std::generic_category(), "mp::Listener: listen at " + address_.to_string());
  }
  fd_ = fd.release();
}

Listener::Listener(Listener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      address_(std::move(other.address_)),
      authkey_(std::move(other.authkey_)),
      owns_path_(std::exchange(other.owns_path_, false)),
      handshake_timeout_(other.handshake_timeout_) {}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    address_ = std::move(other.address_);
    authkey_ = std::move(other.authkey_);
    owns_path_ = std::exchange(other.owns_path_, false);
    handshake_timeout_ = other.handshake_timeout_;
  }
  return *this;
}

Listener::~Listener() { close(); }

void Listener::close() noexcept {
  if (fd_ < 0) return;
  ::close(std::exchange(fd_, -1));
  // Only the process that made the socket removes it: a forked child's copy closing must not.
  if (owns_path_) ::unlink(address_.host_or_path().c_str());
  owns_path_ = false;
}

int Listener::fileno() const {
  if (fd_ < 0) throw ValueError("mp::Listener: closed");
  return fd_;
}

Connection Listener::accept(Timeout timeout) {
  const int lfd = fileno();
  const Deadline deadline(timeout);
  int fd = -1;
  for (;;) {
    pollfd p{lfd, POLLIN, 0};
    const int n = detail::sys("poll", [&] { return ::poll(&p, 1, deadline.poll_ms()); });
    if (n == 0) throw TimeoutError("mp::Listener::accept: no client within the timeout");
    fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) break;
    // A client that gave up between poll and accept, or a signal: wait again.
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED && errno != EINTR) {
      detail::throw_errno("mp::Listener::accept");
    }
  }
  if (address_.kind() == Address::Kind::tcp) set_nodelay(fd);
  Connection conn(fd, true, true);
  if (!authkey_.empty()) {
    deliver_challenge(conn, authkey_, handshake_timeout_);
    answer_challenge(conn, authkey_, handshake_timeout_);
  }
  return conn;
}

// ================================================================ Client

Connection Client(const Address& address, std::string_view authkey, Timeout timeout) {
  const Deadline deadline(timeout);
  const std::string what = address.to_string();
  std::vector<SocketAddress> candidates;
  if (address.kind() == Address::Kind::tcp) {
    candidates = tcp_addresses(address, false);
  } else {
    candidates.push_back(unix_address(address));
  }
  std::system_error last(ECONNREFUSED, std::generic_category(), "mp::Client: connect to " + what);
  for (const SocketAddress& sa : candidates) {
    Fd fd(detail::sys("socket", [&] { return ::socket(sa.family, SOCK_STREAM | SOCK_CLOEXEC, 0); }));
    try {
      connect_within(fd.get(), sa, deadline, what);
    } catch (const std::system_error& e) {
      last = e;
      continue;
    }
    if (address.kind() == Address::Kind::tcp) set_nodelay(fd.get());
    Connection conn(fd.release(), true, true);
    if (!authkey.empty()) {
      answer_challenge(conn, authkey, timeout);
      deliver_challenge(conn, authkey, timeout);
    }
    return conn;
  }
  throw last;
}

}  // namespace mp
