#include "mp/wait.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include <poll.h>

#include "mp/detail/syscall.hpp"
#include "mp/error.hpp"

namespace mp {

namespace {

// A process without a pidfd (kernels before 5.3) is checked this often.
constexpr int no_sentinel_check_ms = 10;

}  // namespace

std::vector<Waitable> wait(std::span<const Waitable> objects, Timeout timeout) {
  if (objects.empty()) {
    if (timeout.is_forever()) throw ValueError("mp::wait: nothing to wait for, and no timeout");
    std::this_thread::sleep_for(timeout.duration());
    return {};
  }
  const Deadline deadline(timeout);
  std::vector<pollfd> fds(objects.size());
  bool some_without_sentinel = false;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const Waitable& w = objects[i];
    int fd = w.descriptor_fd();
    if (Connection* c = w.connection()) {
      if (!c->readable()) throw ValueError("mp::wait: a write-only connection never has anything to receive");
      fd = c->fileno();  // throws for a closed one
    } else if (Process* p = w.process()) {
      fd = p->sentinel();  // throws before start() and after close()
      some_without_sentinel = some_without_sentinel || fd < 0;
    }
    fds[i] = pollfd{fd, POLLIN, 0};
  }
  for (;;) {
    std::vector<Waitable> ready;
    // What is ready without a system call: a connection's buffered message, an
    // ended process without a pidfd. (A buffered partial message is not: its
    // descriptor tells whether more has come.)
    for (std::size_t i = 0; i < objects.size(); ++i) {
      if (Connection* c = objects[i].connection(); c != nullptr && c->poll(Timeout::zero())) {
        ready.push_back(objects[i]);
      } else if (Process* p = objects[i].process(); p != nullptr && fds[i].fd < 0 && !p->is_alive()) {
        ready.push_back(objects[i]);
      }
    }
    int wait_ms = ready.empty() ? deadline.poll_ms() : 0;
    if (some_without_sentinel && (wait_ms < 0 || wait_ms > no_sentinel_check_ms))
      wait_ms = no_sentinel_check_ms;
    const int n = ::poll(fds.data(), fds.size(), wait_ms);
    if (n < 0 && errno != EINTR) detail::throw_errno("poll");
    for (std::size_t i = 0; n > 0 && i < objects.size(); ++i) {
      const bool counted = std::find(ready.begin(), ready.end(), objects[i]) != ready.end();
      if (!counted && fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
        ready.push_back(objects[i]);
    }
    if (!ready.empty()) {
      // In the order given.
      std::vector<Waitable> ordered;
      for (const Waitable& w : objects)
        if (std::find(ready.begin(), ready.end(), w) != ready.end()) ordered.push_back(w);
      return ordered;
    }
    if (deadline.expired()) return {};
  }
}

std::vector<Waitable> wait(std::initializer_list<Waitable> objects, Timeout timeout) {
  return wait(std::span<const Waitable>(objects.begin(), objects.size()), timeout);
}

}  // namespace mp
