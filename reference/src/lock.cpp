#include "mp/lock.hpp"

#include <cerrno>
#include <string>
#include <system_error>

#include <pthread.h>

#include "mp/detail/robust_fast_path.hpp"
#include "mp/detail/schedule_point.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/detail/syscall.hpp"
#include "mp/trace.hpp"

namespace mp {

namespace {

using detail::Acquire;

[[noreturn]] void throw_relock(const char* type) {
  throw Error(std::string(type) +
              ".acquire(): the calling thread already holds this lock, so waiting for it would deadlock "
              "(use mp::RLock to acquire it again)");
}

[[noreturn]] void throw_not_held(const char* type) {
  throw ValueError(
      std::string(type) +
      ".release(): the calling thread does not hold this lock (Python: \"release unlocked lock\"); "
      "only the holder may release it");
}

// The type the user holds, for the messages: only the two derived classes exist.
const char* type_name(bool recursive) { return recursive ? "RLock" : "Lock"; }

// The general body of BasicLock::acquire (a template only to reach its private
// State). Kept out of line so that the fast path below needs no stack frame.
template <class State>
[[gnu::noinline]] bool acquire_impl(State& s, bool block, Timeout timeout) {
  Acquire got = Acquire::timed_out;
  try {
    got = block ? s.mutex.lock(Deadline(timeout)) : s.mutex.try_lock();
  } catch (const std::system_error& e) {
    if (e.code() != std::errc::resource_deadlock_would_occur) throw;
    // Only a non-recursive mutex reports EDEADLK: the caller already holds it.
    if (!block) return false;  // Python's acquire(False) just says no
    throw_relock(type_name(s.recursive));
  }
  if (got == Acquire::timed_out) return false;
  s.owner_died.store(got == Acquire::owner_died, std::memory_order_relaxed);
  return true;
}

// An RLock, and a Lock the fast path left to glibc (see BasicLock::acquire).
template <class State>
[[gnu::noinline]] bool lock_impl(State& s) {
  const int rc = ::pthread_mutex_trylock(s.mutex.native());
  if (rc == 0) {
    s.owner_died.store(false, std::memory_order_relaxed);
    return true;
  }
  if (rc == EBUSY) return acquire_impl(s, true, Timeout::forever());
  if (rc == EOWNERDEAD) {
    detail::check_pthread("pthread_mutex_consistent", ::pthread_mutex_consistent(s.mutex.native()));
    s.owner_died.store(true, std::memory_order_relaxed);
    return true;
  }
  if (rc == EDEADLK) throw_relock(type_name(s.recursive));
  detail::check_pthread("pthread_mutex_trylock", rc);
  return false;  // unreachable
}

template <class State>
[[gnu::noinline]] void unlock_impl(State& s) {
  const int rc = ::pthread_mutex_unlock(s.mutex.native());
  if (rc == 0) {
    detail::reach_schedule_point("lock.released");
    return;
  }
  if (rc == EPERM) throw_not_held(type_name(s.recursive));
  detail::check_pthread("pthread_mutex_unlock", rc);
}

}  // namespace

BasicLock::BasicLock(bool recursive) : state_(detail::make_shared_object<State>(recursive)) {}

// The fast path of a blocking acquire without timeout: a free Lock is taken
// by robust_fast_path.hpp (a compare-and-swap and the robust list's links, as
// glibc does, without glibc's general function around them), with no stack
// frame; everything else (an RLock, a busy lock, an owner that died, a
// relock, errors) goes to the out-of-line paths above, which never sleep
// unboundedly (see robust_mutex.cpp).
namespace {

// A Lock another thread holds: RobustMutex::lock sleeps on it (the fast
// path's protocol for a forever wait: bounded sleeps, no clock reads; an owner
// that died goes to glibc), seen as a wait on the trace's timeline.
template <class State>
[[gnu::noinline]] bool acquire_busy(State& s) {
  const trace::Span traced("acquire: wait", "lock");
  return acquire_impl(s, true, Timeout::forever());
}

template <class State>
inline bool acquire_body(State& s, bool block, Timeout timeout) {
  if (block && timeout.is_forever()) {
    if (!s.recursive) {
      const auto fast = detail::robust::try_lock(s.mutex.native());
      if (fast == detail::robust::Fast::done) [[likely]] {
        s.owner_died.store(false, std::memory_order_relaxed);
        return true;
      }
      if (fast == detail::robust::Fast::busy) return acquire_busy(s);
    }
    return lock_impl(s);
  }
  return acquire_impl(s, block, timeout);
}

// With a schedule-point hook linked in (tests only): the hook, then the same.
template <class State>
[[gnu::noinline]] bool acquire_after_schedule_point(State& s, bool block, Timeout timeout) {
  detail::reach_schedule_point("lock.acquiring");
  return acquire_body(s, block, timeout);
}

}  // namespace

bool BasicLock::acquire(bool block, Timeout timeout) {
  if (detail::schedule_points_linked()) [[unlikely]]
    return acquire_after_schedule_point(*state_, block, timeout);
  return acquire_body(*state_, block, timeout);
}

void BasicLock::release() {
  State& s = *state_;
  if (!s.recursive && detail::robust::unlock(s.mutex.native()) == detail::robust::Fast::done) [[likely]] {
    detail::reach_schedule_point("lock.released");
    return;
  }
  unlock_impl(s);
}

bool BasicLock::owner_died() const noexcept { return state_->owner_died.load(std::memory_order_relaxed); }

}  // namespace mp
