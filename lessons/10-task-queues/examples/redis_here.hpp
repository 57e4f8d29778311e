#pragma once
// Lesson 10's examples start their own Redis, so that they run anywhere without a human:
//   redis-server --port P --bind 127.0.0.1 --save '' --dir TMP
// on a free loopback port, in a fresh temporary directory, stopped (and the directory
// removed) when the RedisHere object goes away. In real life Redis runs on its own
// machine, and every worker and producer is given its URL.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include <mp/tasks/redis.hpp>

class RedisHere {
public:
  RedisHere() {
    char tmpl[] = "/tmp/lesson10-redis.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = free_port();
    const std::string port = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
               "--dir", dir_.c_str(), "--logfile", "redis.log", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 5000; ++i) {  // up to 10 s for its first PONG
      try {
        mp::tasks::Redis r(url(), std::chrono::milliseconds(200));
        if (r.command({"PING"}).str == "PONG") return;
      } catch (const mp::tasks::BrokerError&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
    throw std::runtime_error("redis-server did not start (is it installed?)");
  }
  ~RedisHere() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  RedisHere(const RedisHere&) = delete;
  RedisHere& operator=(const RedisHere&) = delete;
  [[nodiscard]] std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

private:
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = 0;
};
