#include "mp/detail/futex.hpp"

#include <cerrno>
#include <climits>
#include <ctime>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mp/detail/syscall.hpp"

namespace mp::detail::futex {

// The kernel reads the word itself; std::atomic<uint32_t> is a plain aligned
// 32-bit word on Linux, which static_assert keeps honest.
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

namespace {
long futex_call(const std::atomic<std::uint32_t>* word, int op, std::uint32_t val, const timespec* ts,
                std::uint32_t val3) {
  // const_cast: FUTEX_WAIT only reads the word, and FUTEX_WAKE does not touch it.
  auto* addr =
      const_cast<std::atomic<std::uint32_t>*>(word);  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  return ::syscall(SYS_futex, addr, op, val, ts, nullptr, val3);
}
}  // namespace

bool wait(const std::atomic<std::uint32_t>* word, std::uint32_t expected, const Deadline& deadline) {
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time (plain FUTEX_WAIT
  // a relative one), so retrying after EINTR does not stretch the wait.
  timespec abs{};
  const timespec* ts = nullptr;
  if (!deadline.is_forever()) {
    if (deadline.expired()) return false;
    abs = deadline.monotonic_abs();
    ts = &abs;
  }
  const long rc = futex_call(word, FUTEX_WAIT_BITSET, expected, ts, FUTEX_BITSET_MATCH_ANY);
  if (rc == 0) return true;
  switch (errno) {
    case EAGAIN:  // the word had already changed
    case EINTR:   // a signal: let the caller re-check
      return true;
    case ETIMEDOUT: return false;
    default: throw_errno("futex");
  }
}

int wake(const std::atomic<std::uint32_t>* word, int n) {
  return static_cast<int>(
      sys("futex", [&] { return futex_call(word, FUTEX_WAKE, static_cast<std::uint32_t>(n), nullptr, 0); }));
}

int wake_all(const std::atomic<std::uint32_t>* word) { return wake(word, INT_MAX); }

}  // namespace mp::detail::futex
