#include "mp/lock.hpp"

#include <cerrno>
#include <string>
#include <system_error>

#include <pthread.h>

#include "mp/detail/schedule_point.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/detail/syscall.hpp"

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

// The fast path of a blocking acquire without timeout: straight to glibc, a
// free lock costs one compare-and-swap and one store. A busy lock, and
// anything unusual (owner died, relock, errors), goes through RobustMutex's
// general path, which never sleeps unboundedly (see robust_mutex.cpp).
template <class State>
bool lock_impl(State& s) {
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

}  // namespace

BasicLock::BasicLock(bool recursive) : state_(detail::make_shared_object<State>(recursive)) {}

bool BasicLock::acquire(bool block, Timeout timeout) {
  detail::reach_schedule_point("lock.acquiring");
  if (block && timeout.is_forever()) return lock_impl(*state_);
  return acquire_impl(*state_, block, timeout);
}

void BasicLock::release() {
  const int rc = ::pthread_mutex_unlock(state_->mutex.native());
  if (rc == 0) {
    detail::reach_schedule_point("lock.released");
    return;
  }
  if (rc == EPERM) throw_not_held(type_name(state_->recursive));
  detail::check_pthread("pthread_mutex_unlock", rc);
}

bool BasicLock::owner_died() const noexcept { return state_->owner_died.load(std::memory_order_relaxed); }

}  // namespace mp
