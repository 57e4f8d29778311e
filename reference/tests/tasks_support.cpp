// See tasks_support.hpp.
#include "tasks_support.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "test_support.hpp"

namespace mp::testing {
namespace {

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error(std::string("no free loopback port: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string& task_url() {
  static std::string url;
  return url;
}

int add(int x, int y) { return x + y; }
int boom(int x) { throw std::invalid_argument("bad " + std::to_string(x)); }
int sleep_ms(int ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    mp::tasks::checkpoint();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return ms;
}
std::string flaky(std::string key, int fails) {
  mp::tasks::Redis r(task_url());
  const long long n = r.command({"INCR", key}).integer;
  if (n <= fails) throw std::runtime_error("failure " + std::to_string(n));
  return "ok after " + std::to_string(n - 1) + " failures";
}
long long hold(std::string key) {
  mp::tasks::Redis r(task_url());
  const long long n = r.command({"INCR", key}).integer;
  while (r.command({"EXISTS", "release"}).integer == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return n;
}
std::string echo(std::string s) { return s; }
std::string netns() { return std::filesystem::read_symlink("/proc/self/ns/net").string(); }

}  // namespace

RedisServer::RedisServer(bool append_only, std::string bind)
    : append_only_(append_only), bind_(std::move(bind)) {
  char tmpl[] = "/tmp/mp-redis.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  for (int attempt = 0;; ++attempt) {  // a port found free may be taken before redis binds it
    port_ = free_loopback_port();
    try {
      start();
      return;
    } catch (const std::runtime_error&) {
      stop();
      if (attempt == 4) throw;
    }
  }
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ec;
  if (std::getenv("MP_TASKS_LOG") == nullptr)
    std::filesystem::remove_all(dir_, ec);  // kept for its redis.log
}

// Off loopback, Redis wants a password (its protected mode refuses the others).
std::string RedisServer::url() const {
  const std::string auth = bind_ == "127.0.0.1" ? "" : ":test-secret@";
  return "redis://" + auth + bind_ + ":" + std::to_string(port_) + "/0";
}

void RedisServer::start() {
  const std::string port = std::to_string(port_);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", bind_.c_str(), "--dir",
             dir_.c_str(), "--save", "", "--appendonly", append_only_ ? "yes" : "no", "--appendfsync",
             "always", "--logfile", "redis.log", "--daemonize", "no", "--protected-mode", "yes",
             "--requirepass", bind_ == "127.0.0.1" ? "" : "test-secret", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  std::string last_error;
  const bool up = wait_until(
      [&] {
        try {
          mp::tasks::Redis r(url(), std::chrono::milliseconds(200));
          return r.command({"PING"}).str == "PONG";
        } catch (const mp::tasks::BrokerError& e) {
          last_error = e.what();
          int status = 0;
          if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = 0;
            throw std::runtime_error("redis-server exited (is it installed? scripts/setup.sh installs it)");
          }
          return false;
        }
      },
      scaled(std::chrono::seconds(10)));
  if (!up) throw std::runtime_error("redis-server did not answer within 10 s: " + last_error);
}

void RedisServer::stop() {
  if (pid_ == 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  const bool gone =
      wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, scaled(std::chrono::seconds(10)));
  if (!gone) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  pid_ = 0;
}

void register_test_tasks(mp::tasks::Worker& w, const std::string& url) {
  task_url() = url;
  w.register_task("tests.add", add)
      .register_task("tests.boom", boom)
      .register_task("tests.sleep_ms", sleep_ms)
      .register_task("tests.flaky", flaky,
                     {.max_retries = 5, .autoretry = true, .retry_backoff = std::chrono::milliseconds(20)})
      .register_task("tests.hold", hold)
      .register_task("tests.echo", echo)
      .register_task("tests.netns", netns);
}

WorkerProcess::WorkerProcess(const std::string& url, mp::tasks::WorkerOptions options)
    : process_([url, options]() mutable {
        if (!options.log && std::getenv("MP_TASKS_LOG") == nullptr)
          options.log = [](std::string_view) {};  // MP_TASKS_LOG=1: to stderr
        mp::tasks::Worker w(url, options);
        register_test_tasks(w, url);
        w.run();
      }) {
  process_.start();
}

WorkerProcess::~WorkerProcess() {
  if (process_.is_alive()) kill();
}

void WorkerProcess::stop() {
  process_.terminate();
  expect_joined_ok(process_, std::chrono::seconds(20));
}

void WorkerProcess::kill() {
  process_.kill();
  (void)process_.join(scaled(std::chrono::seconds(10)));
}

std::chrono::milliseconds result_wait() { return scaled(std::chrono::seconds(20)); }

}  // namespace mp::testing
