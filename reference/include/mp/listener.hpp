#pragma once
/// @file
/// @brief `mp::Listener`, mp::Client, mp::Address: connections between processes
/// that did not fork from each other, by address (Python's
/// `multiprocessing.connection.Listener` and `Client`).
///
/// @code
/// // server                                           Python: Listener(('127.0.0.1', 6000),
/// authkey=b'secret') mp::Listener listener(mp::Address::tcp("127.0.0.1", 6000), "secret"); mp::Connection
/// conn = listener.accept();            // checks the client's key, then proves its own auto [op, x] =
/// conn.recv<std::pair<std::string, int>>(); conn.send(x * x);
///
/// // client, in another process or on another host     Python: Client(('127.0.0.1', 6000),
/// authkey=b'secret') mp::Connection conn = mp::Client(mp::Address::tcp("127.0.0.1", 6000), "secret");
/// conn.send(std::pair<std::string, int>{"square", 7});
/// int y = conn.recv<int>();                           // 49
/// @endcode
///
/// The connections are mp::Connection objects: messages, whole and in order,
/// as with mp::Pipe (see mp/connection.hpp for the rules and the wire format).
/// With an auth key, accept() and Client() run the handshake of mp/auth.hpp
/// (each side proves that it knows the key; the key itself never travels):
/// a wrong key raises mp::AuthenticationError on both sides, and the listener
/// goes on accepting. **Without a key, anyone who can reach the address can
/// talk to you**: on TCP, give a key, or listen on 127.0.0.1 only.
///
/// | Python | C++ |
/// |---|---|
/// | `Listener(address=None, family=None, backlog=1, authkey=None)` | `mp::Listener(address = Address::local_unique(), authkey = "", backlog = 16)` |
/// | `listener.accept()` | `listener.accept(timeout = forever)` |
/// | `listener.address`, `listener.close()` | `listener.address()`, `listener.close()` |
/// | `Client(address, family=None, authkey=None)` | `mp::Client(address, authkey = "", timeout = 10 s)` |
/// | `('host', port)`, `'/path/to/socket'`, `'\0abstract'` | `Address::tcp(host, port)`, `Address::unix_socket(path)`, `Address::abstract(name)` |
///
/// Blocking: accept() waits for a client (at most `timeout`) and then for the
/// handshake (at most the handshake timeout: a client that connects and says
/// nothing cannot hold it); Client() waits for the connection and the handshake.
#include <cstdint>
#include <string>
#include <string_view>

#include "mp/auth.hpp"
#include "mp/connection.hpp"
#include "mp/timeout.hpp"

namespace mp {

/// Where a Listener listens and a Client connects: a TCP host and port, a Unix
/// socket's path, or a name in Linux's abstract socket namespace (no file).
class Address {
public:
  /// Kinds of address.
  enum class Kind { tcp, unix_socket, abstract };

  /// TCP: `host` is a name or an IPv4/IPv6 address; port 0 asks the Listener
  /// for any free port (read it back with Listener::address()).
  static Address tcp(std::string host, std::uint16_t port);
  /// A Unix socket at `path` in the file system (the Listener creates it,
  /// and removes it when closed). At most 107 bytes.
  static Address unix_socket(std::string path);
  /// A Unix socket named `name` in the abstract namespace (Python's
  /// `'\0name'`): no file, gone with the last socket. At most 106 bytes.
  static Address abstract(std::string name);
  /// A fresh abstract name ("mp-<pid>-<n>-<random>"): Python's default
  /// Listener address (there, a fresh file name in a temporary folder).
  static Address local_unique();
  /// Reads "host:port", "[v6]:port", "unix:PATH" or "abstract:NAME" (what to_string() writes).
  /// @throws mp::ValueError when it is none of those.
  static Address parse(std::string_view text);

  /// TCP, a Unix socket file, or an abstract name.
  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  /// TCP: the host. Unix sockets: the path or abstract name.
  [[nodiscard]] const std::string& host_or_path() const noexcept { return text_; }
  /// TCP: the port (0 before a Listener chose one).
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// "127.0.0.1:6000", "[::1]:6000", "unix:/tmp/s", "abstract:name".
  [[nodiscard]] std::string to_string() const;

  /// Same kind, host or path, and port.
  friend bool operator==(const Address&, const Address&) = default;

private:
  Address(Kind kind, std::string text, std::uint16_t port)
      : kind_(kind), text_(std::move(text)), port_(port) {}
  Kind kind_ = Kind::abstract;
  std::string text_;
  std::uint16_t port_ = 0;
};

/// Accepts connections at an address (Python's `multiprocessing.connection.Listener`).
/// Move-only; the destructor closes it (and removes its Unix socket file).
class Listener {
public:
  /// Listens at `address` (default: a fresh abstract name). With a non-empty
  /// `authkey`, accept() authenticates each client with it. `backlog`:
  /// connections the kernel queues before accept() takes them. The socket is
  /// close-on-exec; TCP listeners set SO_REUSEADDR.
  /// @throws std::system_error when the address is taken (EADDRINUSE), cannot
  ///         be resolved or bound; mp::ValueError for a bad address.
  explicit Listener(Address address = Address::local_unique(), std::string authkey = "", int backlog = 16);
  /// Takes `other`'s socket (and the duty to remove its file); `other` is left closed.
  Listener(Listener&& other) noexcept;
  /// Closes this listener, then takes `other`'s socket.
  Listener& operator=(Listener&& other) noexcept;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  /// close().
  ~Listener();

  /// Waits for a client (at most `timeout`), then, with an auth key, runs the
  /// handshake (at most handshake_timeout() per message), and returns the
  /// connection (TCP: with TCP_NODELAY, for request/response traffic).
  /// @throws mp::TimeoutError when no client came in time;
  ///         mp::AuthenticationError when the client failed the handshake, or
  ///         mp::EOFError when it hung up during it (its connection is
  ///         closed; call accept() again for the next); mp::ValueError when closed.
  Connection accept(Timeout timeout = Timeout::forever());

  /// Where it listens (a TCP port 0 resolved to the port the system chose).
  [[nodiscard]] const Address& address() const noexcept { return address_; }
  /// Stops listening; removes the Unix socket file it created. Idempotent.
  void close() noexcept;
  /// Whether close() was called (or the listener was moved from).
  [[nodiscard]] bool closed() const noexcept { return fd_ < 0; }
  /// The listening socket's descriptor (to wait on it with poll(2) beside others).
  /// @throws mp::ValueError when closed.
  [[nodiscard]] int fileno() const;
  /// How long each handshake message may take (default 10 s).
  [[nodiscard]] Timeout handshake_timeout() const noexcept { return handshake_timeout_; }
  /// Sets handshake_timeout().
  void set_handshake_timeout(Timeout t) noexcept { handshake_timeout_ = t; }

private:
  int fd_ = -1;
  Address address_;
  std::string authkey_;
  bool owns_path_ = false;
  Timeout handshake_timeout_ = std::chrono::seconds(10);
};

/// Connects to a Listener at `address` (Python's `multiprocessing.connection.Client`).
/// With a non-empty `authkey`, answers the listener's challenge, then
/// challenges it back. Waits at most `timeout` to connect, and as long for
/// each handshake message.
/// @throws std::system_error (ECONNREFUSED: nobody listens; ENOENT: no such
///         Unix socket; ETIMEDOUT); mp::AuthenticationError when the keys
///         differ or the listener expects none; mp::EOFError when the listener
///         closed during the handshake; mp::ValueError for a bad address.
[[nodiscard]] Connection Client(const Address& address, std::string_view authkey = "",
                                Timeout timeout = std::chrono::seconds(10));

}  // namespace mp
