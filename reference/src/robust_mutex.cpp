#include "mp/detail/robust_mutex.hpp"

#include <cerrno>
#include <chrono>
#include <ctime>

#include "mp/detail/futex.hpp"
#include "mp/detail/robust_fast_path.hpp"
#include "mp/detail/syscall.hpp"

#if defined(__SANITIZE_THREAD__)
#define MP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MP_TSAN 1
#endif
#endif
#ifndef MP_TSAN
#define MP_TSAN 0
#endif

namespace mp::detail {

RobustMutex::RobustMutex(bool recursive) : m_(), recursive_(recursive) {
  pthread_mutexattr_t attr;
  check_pthread("pthread_mutexattr_init", pthread_mutexattr_init(&attr));
  check_pthread("pthread_mutexattr_setpshared", pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED));
  check_pthread("pthread_mutexattr_setrobust", pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST));
  check_pthread(
      "pthread_mutexattr_settype",
      pthread_mutexattr_settype(&attr, recursive ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_ERRORCHECK));
  const int rc = pthread_mutex_init(&m_, &attr);
  pthread_mutexattr_destroy(&attr);
  check_pthread("pthread_mutex_init", rc);
}

RobustMutex::~RobustMutex() { pthread_mutex_destroy(&m_); }

// EOWNERDEAD: we hold it now; make it usable again and say so.
Acquire RobustMutex::settle(int rc, const char* call) {
  switch (rc) {
    case 0: return Acquire::acquired;
    case EOWNERDEAD:
      check_pthread("pthread_mutex_consistent", pthread_mutex_consistent(&m_));
      return Acquire::owner_died;
    case ETIMEDOUT:
    case EBUSY: return Acquire::timed_out;
    default: check_pthread(call, rc); return Acquire::timed_out;  // unreachable
  }
}

// One bounded wait for the mutex, until `until`.
int RobustMutex::timed_lock(const Deadline& until) {
#if MP_TSAN
  // ThreadSanitizer (gcc 12, clang 14) does not intercept pthread_mutex_clocklock
  // and then reports false races; its timedlock takes CLOCK_REALTIME.
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const auto left = until.remaining().count();
  long long ns = now.tv_nsec + left % 1'000'000'000;
  const timespec abs{static_cast<time_t>(now.tv_sec + left / 1'000'000'000 + ns / 1'000'000'000),
                     static_cast<long>(ns % 1'000'000'000)};
  return pthread_mutex_timedlock(&m_, &abs);
#else
  const timespec abs = until.monotonic_abs();
  return pthread_mutex_clocklock(&m_, CLOCK_MONOTONIC, &abs);
#endif
}

// Never one unbounded sleep. glibc's robust (non-PI) mutex wakes one sleeper
// at unlock and clears the FUTEX_WAITERS bit; the woken one sets it again
// when it takes the lock. Killed in between, while another process takes the
// lock without the bit, nobody ever wakes the remaining sleepers, even once
// the lock is free. A sleeper that times out after recheck_interval and calls
// again sets the bit itself (or finds the lock free), so a lost wake-up costs
// at most that delay. (A priority-inheritance mutex would hand the lock over
// in the kernel instead, but forces a hand-off to the sleeper at every
// contended unlock: a lock convoy, many times slower under contention.)
Acquire RobustMutex::lock(const Deadline& deadline) {
  if (!recursive_) {
    robust::Fast got = robust::try_lock(&m_);
    if (got == robust::Fast::busy && deadline.is_forever()) {
      constexpr long slice_ns = std::chrono::nanoseconds(futex::recheck_interval).count();
      got = robust::lock_contended(&m_, slice_ns);
    }
    if (got == robust::Fast::done) return Acquire::acquired;
  }
  const Acquire fast = settle(pthread_mutex_trylock(&m_), "pthread_mutex_trylock");
  if (fast != Acquire::timed_out) return fast;
  for (;;) {
    const Acquire got = settle(timed_lock(futex::recheck_slice(deadline)), "pthread_mutex_clocklock");
    if (got != Acquire::timed_out || deadline.expired()) return got;
  }
}

Acquire RobustMutex::try_lock() {
  if (!recursive_) {
    const robust::Fast got = robust::try_lock(&m_);
    if (got == robust::Fast::done) return Acquire::acquired;
    if (got == robust::Fast::busy) return Acquire::timed_out;
  }
  return settle(pthread_mutex_trylock(&m_), "pthread_mutex_trylock");
}

void RobustMutex::unlock() {
  if (!recursive_ && robust::unlock(&m_) == robust::Fast::done) return;
  check_pthread("pthread_mutex_unlock", pthread_mutex_unlock(&m_));
}

}  // namespace mp::detail
