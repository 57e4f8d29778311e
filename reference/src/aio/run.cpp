// aio::run's SIGINT handling: Ctrl-C cancels the main task (mp/aio/run.hpp).
#include <atomic>
#include <cerrno>
#include <csignal>

#include <fcntl.h>
#include <unistd.h>

#include "mp/aio/run.hpp"

namespace mp::aio::detail {

namespace {

// The write end the handler pokes; -1 when no aio::run handles SIGINT.
std::atomic<int> sigint_fd{-1};

extern "C" void on_sigint(int /*sig*/) {
  const int saved = errno;
  const int fd = sigint_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    const char c = 1;
    (void)!::write(fd, &c, 1);
  }
  errno = saved;
}

}  // namespace

struct SigintCancels::State {
  EventLoop* loop = nullptr;
  FutureBase* main = nullptr;
  int fds[2] = {-1, -1};
  struct sigaction old {};
  bool installed = false;

  static void on_readable(void* self) {
    auto* s = static_cast<State*>(self);
    char buf[64];
    while (::read(s->fds[0], buf, sizeof buf) > 0) {
    }
    s->main->cancel({});
    s->loop->add_reader(s->fds[0], &State::on_readable, s);  // one-shot: watch again
  }
};

SigintCancels::SigintCancels(EventLoop& loop, FutureBase& main) : state_(new State) {
  state_->loop = &loop;
  state_->main = &main;
  int expected = -1;
  // Only one aio::run at a time handles SIGINT (Python: only the main thread's).
  if (::pipe2(state_->fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
  if (!sigint_fd.compare_exchange_strong(expected, state_->fds[1])) {
    ::close(state_->fds[0]);
    ::close(state_->fds[1]);
    state_->fds[0] = state_->fds[1] = -1;
    return;
  }
  struct sigaction sa {};
  sa.sa_handler = &on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, &state_->old);
  state_->installed = true;
  loop.add_reader(state_->fds[0], &State::on_readable, state_);
}

SigintCancels::~SigintCancels() {
  if (state_->installed) {
    ::sigaction(SIGINT, &state_->old, nullptr);
    sigint_fd.store(-1);
    state_->loop->remove_reader(state_->fds[0]);
  }
  if (state_->fds[0] >= 0) ::close(state_->fds[0]);
  if (state_->fds[1] >= 0) ::close(state_->fds[1]);
  delete state_;
}

}  // namespace mp::aio::detail
