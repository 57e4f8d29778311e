// mp::tasks::LocalRedis: see mp/tasks/local_redis.hpp.
#include "mp/tasks/local_redis.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "mp/tasks/redis.hpp"

namespace mp::tasks {
namespace {

using Clock = std::chrono::steady_clock;

// A port nothing listens on now. Another program may take it before Redis
// binds it: the constructor then tries another.
int free_port(const std::string& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw BrokerError(std::string("mp::tasks::LocalRedis: socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (address != "127.0.0.1") a.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) throw BrokerError(std::string("mp::tasks::LocalRedis: no free port: ") + std::strerror(err));
  return ntohs(a.sin_port);
}

bool exited(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

LocalRedis::LocalRedis(LocalRedisOptions options) : options_(std::move(options)) {
  char tmpl[] = "/tmp/mp-redis.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    throw BrokerError("mp::tasks::LocalRedis: cannot make a temporary directory");
  dir_ = tmpl;
  for (int attempt = 0;; ++attempt) {
    try {
      port_ = free_port(options_.bind);
      start();
      return;
    } catch (const BrokerError&) {
      stop();
      if (attempt == 4) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        throw;
      }
    }
  }
}

LocalRedis::~LocalRedis() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string LocalRedis::url() const {
  const std::string auth = options_.password.empty() ? "" : ":" + options_.password + "@";
  return "redis://" + auth + options_.bind + ":" + std::to_string(port_) + "/0";
}

void LocalRedis::start() {
  const std::string port = std::to_string(port_);
  const pid_t pid = ::fork();
  if (pid < 0) throw BrokerError("mp::tasks::LocalRedis: fork failed");
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);  // the runtime may have ignored it (mp/detail/sigpipe_block.hpp)
    ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", options_.bind.c_str(), "--dir",
             dir_.c_str(), "--save", "", "--appendonly", options_.append_only ? "yes" : "no", "--appendfsync",
             "always", "--logfile", "redis.log", "--daemonize", "no", "--protected-mode", "yes",
             "--requirepass", options_.password.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  std::string last_error = "no answer";
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < until) {
    try {
      Redis r(url(), std::chrono::milliseconds(200));
      if (r.command({"PING"}).str == "PONG") return;
    } catch (const BrokerError& e) {
      last_error = e.what();
      if (exited(pid_)) {
        pid_ = 0;
        throw BrokerError(
            "mp::tasks::LocalRedis: redis-server exited at once (is it installed? "
            "scripts/setup.sh installs it; its log: " +
            dir_ + "/redis.log)");
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  throw BrokerError("mp::tasks::LocalRedis: redis-server did not answer within 10 s: " + last_error);
}

void LocalRedis::stop() noexcept {
  if (pid_ == 0) return;
  ::kill(pid_, SIGTERM);
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (!exited(pid_)) {
    if (Clock::now() > until) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  pid_ = 0;
}

}  // namespace mp::tasks
