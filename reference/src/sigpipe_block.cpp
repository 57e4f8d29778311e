#include "mp/detail/sigpipe_block.hpp"

#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <ctime>

#include "mp/detail/syscall.hpp"

namespace mp::detail {

namespace {

// Only `true` is cached: while a program keeps its own handler, each writer
// asks again (one sigaction more on a path that blocks the signal anyway).
std::atomic<bool> sigpipe_is_ignored{false};

}  // namespace

bool sigpipe_ignored() noexcept {
  if (sigpipe_is_ignored.load(std::memory_order_acquire)) return true;
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) != 0) return false;
  if ((current.sa_flags & SA_SIGINFO) != 0) return false;  // the program's own handler: keep it
  if (current.sa_handler == SIG_DFL) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    if (::sigaction(SIGPIPE, &ignore, nullptr) != 0) return false;
  } else if (current.sa_handler != SIG_IGN) {
    return false;
  }
  sigpipe_is_ignored.store(true, std::memory_order_release);
  return true;
}

void forget_sigpipe_decision() noexcept { sigpipe_is_ignored.store(false, std::memory_order_release); }

SigpipeBlock::SigpipeBlock() noexcept {
  sigemptyset(&sigpipe_);
  sigaddset(&sigpipe_, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &sigpipe_, &old_mask_);
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
}

SigpipeBlock::~SigpipeBlock() {
  const int saved_errno = errno;  // the caller's EPIPE outlives the clean-up
  if (raised_ && !was_pending_) {
    const timespec zero{0, 0};
    (void)sys_nothrow([&] { return ::sigtimedwait(&sigpipe_, nullptr, &zero); });
  }
  ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  errno = saved_errno;
}

}  // namespace mp::detail
