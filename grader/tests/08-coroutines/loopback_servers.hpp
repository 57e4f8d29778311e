#pragma once
// Lesson 08's trusted servers: TCP listeners on 127.0.0.1 served by ONE thread of the
// trusted parent (raw sockets and poll, no mp::aio), for exercise 1's tests and
// benchmark. The student's fetch_all runs in the child that in_student forks; it
// connects here. For each connection the server reads one line, waits the delay of its
// port, then answers `TOKEN:LINE` and closes. The token is drawn here, so a right answer
// proves a real conversation. The server counts, in this process where the student's
// code never runs: connections accepted, and the most that were open at once, from the
// accept to the answer (a fetch is open at least that long on the client's side).
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lesson08_testing {

class LoopbackServers {
public:
  using Clock = std::chrono::steady_clock;

  /// One listener per delay (its answers wait that long).
  explicit LoopbackServers(const std::vector<std::chrono::milliseconds>& delays)
      : token_("t" + std::to_string(std::random_device{}())), delays_(delays) {
    if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 failed");
    for (std::size_t i = 0; i < delays.size(); ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) throw std::runtime_error("socket failed");
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = 0;
      socklen_t len = sizeof a;
      if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 512) != 0 ||
          ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("bind/listen failed");
      listeners_.push_back(fd);
      ports_.push_back(ntohs(a.sin_port));
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServers() {
    const char c = 's';
    (void)!::write(stop_pipe_[1], &c, 1);
    thread_.join();
    for (int fd : listeners_) ::close(fd);
    for (auto& c2 : conns_) ::close(c2.fd);
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
  }
  LoopbackServers(const LoopbackServers&) = delete;
  LoopbackServers& operator=(const LoopbackServers&) = delete;

  [[nodiscard]] const std::vector<int>& ports() const { return ports_; }
  /// The answer to the request "fetch INDEX".
  [[nodiscard]] std::string answer(std::size_t index) const {
    return token_ + ":fetch " + std::to_string(index);
  }
  [[nodiscard]] int max_open() const { return max_open_.load(); }
  [[nodiscard]] int accepted() const { return accepted_.load(); }
  [[nodiscard]] int answered() const { return answered_.load(); }
  /// Forgets the counts (between two calls of one test).
  void reset_counts() {
    max_open_ = 0;
    accepted_ = 0;
    answered_ = 0;
  }

private:
  struct Conn {
    int fd;
    std::size_t server;
    std::string in;
    bool asked = false;
    Clock::time_point answer_at{};
    bool open = true;  // counted in open_
  };

  void close_conn(Conn& c) {
    if (c.open) --open_;
    c.open = false;
    ::close(c.fd);
    c.fd = -1;
  }

  void serve() {
    std::vector<pollfd> fds;
    for (;;) {
      fds.clear();
      fds.push_back({stop_pipe_[0], POLLIN, 0});
      for (int l : listeners_) fds.push_back({l, POLLIN, 0});
      for (const auto& c : conns_) fds.push_back({c.fd, static_cast<short>(c.asked ? 0 : POLLIN), 0});
      int wait_ms = 1000;
      const auto now = Clock::now();
      for (const auto& c : conns_) {
        if (!c.asked) continue;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c.answer_at - now).count();
        wait_ms = std::min<int>(wait_ms, static_cast<int>(std::max<std::int64_t>(left + 1, 0)));
      }
      ::poll(fds.data(), fds.size(), wait_ms);
      if (fds[0].revents != 0) return;
      // Conversations first (reads and answers), then the new connections.
      const std::size_t first_conn = 1 + listeners_.size();
      for (std::size_t k = 0; k < conns_.size(); ++k) {
        Conn& c = conns_[k];
        if (!c.asked && (fds[first_conn + k].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
          char buf[512];
          const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
          if (n <= 0) {
            close_conn(c);
            continue;
          }
          c.in.append(buf, static_cast<std::size_t>(n));
          const auto nl = c.in.find('\n');
          if (nl != std::string::npos) {
            c.in.resize(nl);
            c.asked = true;
            c.answer_at = Clock::now() + delays_[c.server];
          }
        }
      }
      const auto t = Clock::now();
      for (auto& c : conns_) {
        if (c.fd >= 0 && c.asked && c.answer_at <= t) {
          const std::string out = token_ + ":" + c.in + "\n";
          (void)!::send(c.fd, out.data(), out.size(), MSG_NOSIGNAL);
          ++answered_;
          close_conn(c);
        }
      }
      conns_.erase(std::remove_if(conns_.begin(), conns_.end(), [](const Conn& c) { return c.fd < 0; }),
                   conns_.end());
      for (std::size_t s = 0; s < listeners_.size(); ++s) {
        if ((fds[1 + s].revents & POLLIN) == 0) continue;
        for (;;) {
          const int fd = ::accept4(listeners_[s], nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (fd < 0) break;
          conns_.push_back({fd, s, {}, false, {}, true});
          ++accepted_;
          const int open = ++open_;
          if (open > max_open_.load()) max_open_ = open;
        }
      }
    }
  }

  std::string token_;
  std::vector<std::chrono::milliseconds> delays_;
  std::vector<int> listeners_;
  std::vector<int> ports_;
  std::vector<Conn> conns_;  // the server thread's only
  int open_ = 0;             // the server thread's only
  std::atomic<int> max_open_{0}, accepted_{0}, answered_{0};
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace lesson08_testing
