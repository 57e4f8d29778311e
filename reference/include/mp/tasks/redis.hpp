#pragma once
/// @file
/// @brief `mp::tasks::Redis`: one connection to a Redis server (Python's
/// `redis.Redis`), the transport under mp::tasks; mp::tasks::RedisUrl.
///
/// | Python (redis-py) | C++ |
/// |---|---|
/// | `r = redis.Redis.from_url("redis://127.0.0.1:6379/0")` | `mp::tasks::Redis r("redis://127.0.0.1:6379/0");` |
/// | `r.lpush("q", "x")` | `r.command({"LPUSH", "q", "x"})` |
/// | `r.brpop("q", timeout=1)` | `r.command({"BRPOP", "q", "1"})` (a nil reply on timeout) |
/// | `p = r.pipeline(); ...; p.execute()` | `r.pipeline({{"SET", "k", "v"}, {"GET", "k"}})` |
///
/// Every argument travels as bytes (binary-safe). Replies come back as
/// mp::tasks::Reply. Blocking: each call waits for its reply, at most the
/// connection's timeout (10 s by default; a blocking command's own timeout
/// must be shorter). Not thread-safe: one connection per thread.
///
/// Errors: mp::tasks::BrokerError when the server cannot be reached, the
/// connection breaks or times out (the connection is then closed; the next
/// call connects again), or the server answers with an error (the
/// connection stays usable, as redis-py's `ResponseError`).
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mp/error.hpp"

struct redisContext;

namespace mp::tasks {

/// The broker or result backend failed: unreachable, the connection broke or
/// timed out, or the server answered an error (Python: `redis.ConnectionError`,
/// `redis.ResponseError`, `kombu.exceptions.OperationalError`).
class BrokerError : public Error {
public:
  using Error::Error;
};

/// Where a Redis server is: `redis://[[USER]:PASSWORD@]HOST:PORT/DB` (HOST and
/// PORT default to 127.0.0.1 and 6379, DB to 0), as Celery's `broker_url`. A
/// Redis reachable from other machines needs a password (Redis refuses
/// non-loopback clients without one: "protected mode").
struct RedisUrl {
  std::string host = "127.0.0.1";  ///< name or address
  int port = 6379;                 ///< TCP port
  int db = 0;                      ///< database number (`SELECT`)
  std::string user{};              ///< ACL user (empty: the default user)
  std::string password{};          ///< sent with AUTH on connect (empty: none)
  /// Parses the URL. @throws mp::ValueError for another scheme or a bad number.
  static RedisUrl parse(std::string_view url);
  /// Back to a URL, the password left out (for logs and messages).
  [[nodiscard]] std::string str() const;
};

/// One reply of Redis (RESP2): what redis-py returns, typed.
struct Reply {
  /// What kind of reply.
  enum class Kind : std::uint8_t {
    nil,      ///< no value (a missing key, a blocking pop that timed out)
    integer,  ///< `:N`
    string,   ///< a bulk string (bytes)
    status,   ///< `+OK`
    array,    ///< `*N` replies
    error     ///< `-ERR ...` (only inside a pipeline's or EXEC's array; a lone one throws)
  };
  Kind kind = Kind::nil;        ///< the kind
  long long integer = 0;        ///< the value of an integer reply
  std::string str;              ///< a string's, status's or error's text
  std::vector<Reply> elements;  ///< an array's replies
  /// True for the nil reply.
  [[nodiscard]] bool is_nil() const noexcept { return kind == Kind::nil; }
};

/// A connection to one Redis server and database (see the file notes).
class Redis {
public:
  /// Connects (and selects the database).
  /// @throws mp::ValueError for a bad URL; mp::tasks::BrokerError when the server cannot be reached.
  explicit Redis(std::string_view url, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~Redis();
  /// Takes `other`'s connection (`other` is left closed).
  Redis(Redis&& other) noexcept;
  /// Closes this connection and takes `other`'s.
  Redis& operator=(Redis&& other) noexcept;
  Redis(const Redis&) = delete;
  Redis& operator=(const Redis&) = delete;

  /// Runs one command and returns its reply (connecting again first when an
  /// earlier failure closed the connection).
  /// @throws mp::tasks::BrokerError (see the file notes).
  Reply command(const std::vector<std::string>& args);
  /// The same, for literal arguments: `r.command({"GET", key})`.
  Reply command(std::initializer_list<std::string_view> args);
  /// Sends all commands in one write and reads their replies in order
  /// (redis-py's non-transactional pipeline); error replies come back as
  /// Reply::Kind::error elements instead of throwing.
  /// @throws mp::tasks::BrokerError when the connection fails.
  std::vector<Reply> pipeline(const std::vector<std::vector<std::string>>& commands);
  /// Reads one more reply without sending anything (a subscriber's next
  /// message), waiting at most `timeout`; nullopt-like: a nil reply when the
  /// time passed (the connection is then closed).
  /// @throws mp::tasks::BrokerError when the connection fails.
  Reply read(std::chrono::milliseconds timeout);
  /// Closes the connection now (the next call connects again).
  void close() noexcept;
  /// The server this connects to.
  [[nodiscard]] const RedisUrl& url() const noexcept { return url_; }

private:
  void connect();
  void ensure_connected();
  [[noreturn]] void fail(std::string_view what);
  void set_timeout(std::chrono::milliseconds t);
  RedisUrl url_;
  std::chrono::milliseconds timeout_;
  redisContext* ctx_ = nullptr;
};

}  // namespace mp::tasks
