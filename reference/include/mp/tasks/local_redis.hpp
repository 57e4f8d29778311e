#pragma once
/// @file
/// @brief `mp::tasks::LocalRedis`: a redis-server of your own for tests,
/// examples and benchmarks (Python: pytest-redis's `redis_proc`, the
/// broker half of `celery.contrib.testing`).
///
/// ```
/// mp::tasks::LocalRedis redis;            // redis-server on a free loopback port
/// mp::tasks::Worker worker(redis.url());  // "redis://127.0.0.1:PORT/0"
/// ```
/// It runs Debian's `redis-server` in a new temporary directory (removed
/// with the object), saving nothing unless asked (`append_only`: every write
/// fsynced, so that stop() and start() keep the data, as a restarted broker
/// with persistence does). Bound to another address than loopback, it needs
/// a password (Redis refuses such clients without one); url() carries it.
///
/// **Blocking.** The constructor and start() wait until the server answers
/// PING, at most 10 s; stop() waits for it to exit (SIGTERM; SIGKILL after
/// 10 s). **Errors.** mp::tasks::BrokerError when it does not answer in time
/// or cannot start (is `redis-server` installed? scripts/setup.sh installs it).
/// Not copyable; not for a forked child to stop (the parent started it).
#include <sys/types.h>

#include <string>

namespace mp::tasks {

/// How to run a LocalRedis.
struct LocalRedisOptions {
  bool append_only = false;        ///< persistence on (appendonly, fsync always)
  std::string bind = "127.0.0.1";  ///< the address it listens on
  std::string password{};          ///< required of clients (needed off loopback)
};

/// A redis-server started by this object (see the file notes).
class LocalRedis {
public:
  /// Starts it on a free port. @throws mp::tasks::BrokerError.
  explicit LocalRedis(LocalRedisOptions options = {});
  /// Stops it and removes its directory.
  ~LocalRedis();
  LocalRedis(const LocalRedis&) = delete;
  LocalRedis& operator=(const LocalRedis&) = delete;
  /// `redis://[:PASSWORD@]ADDRESS:PORT/0`.
  [[nodiscard]] std::string url() const;
  /// The TCP port.
  [[nodiscard]] int port() const noexcept { return port_; }
  /// The server's pid (0 while stopped).
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// Stops it (SIGTERM: it saves what persistence keeps) and waits for it.
  void stop() noexcept;
  /// Starts it again, same port and directory. @throws mp::tasks::BrokerError.
  void start();

private:
  LocalRedisOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace mp::tasks
