#include "mp/detail/sigpipe_block.hpp"

#include <pthread.h>

#include <cerrno>
#include <ctime>

#include "mp/detail/syscall.hpp"

namespace mp::detail {

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
