#include "mp/lock.hpp"

#include <cerrno>
#include <string>
#include <system_error>

#include <pthread.h>

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
  throw ValueError(std::string(type) +
                   ".release(): the calling thread does not hold this lock (Python: \"release unlocked lock\"); "
                   "only the holder may release it");
}

// The shared body of Lock::acquire and RLock::acquire.
template <class State>
bool acquire_impl(State& s, bool block, Timeout timeout, const char* type) {
  Acquire got = Acquire::timed_out;
  try {
    got = block ? s.mutex.lock(Deadline(timeout)) : s.mutex.try_lock();
  } catch (const std::system_error& e) {
    if (e.code() != std::errc::resource_deadlock_would_occur) throw;
    // Only a non-recursive mutex reports EDEADLK: the caller already holds it.
    if (!block) return false;  // Python's acquire(False) just says no
    throw_relock(type);
  }
  if (got == Acquire::timed_out) return false;
  s.owner_died.store(got == Acquire::owner_died, std::memory_order_relaxed);
  return true;
}

// The fast path of a blocking acquire without timeout: straight to glibc, a
// free lock costs one compare-and-swap and one store. Anything unusual
// (owner died, relock, errors) goes through RobustMutex's general path.
template <class State>
bool lock_impl(State& s, const char* type) {
  const int rc = ::pthread_mutex_lock(s.mutex.native());
  if (rc == 0) {
    s.owner_died.store(false, std::memory_order_relaxed);
    return true;
  }
  if (rc == EOWNERDEAD) {
    detail::check_pthread("pthread_mutex_consistent", ::pthread_mutex_consistent(s.mutex.native()));
    s.owner_died.store(true, std::memory_order_relaxed);
    return true;
  }
  if (rc == EDEADLK) throw_relock(type);
  detail::check_pthread("pthread_mutex_lock", rc);
  return false;  // unreachable
}

template <class State>
void release_impl(State& s, const char* type) {
  const int rc = ::pthread_mutex_unlock(s.mutex.native());
  if (rc == 0) return;
  if (rc == EPERM) throw_not_held(type);
  detail::check_pthread("pthread_mutex_unlock", rc);
}

} // namespace

Lock::Lock() : state_(detail::make_shared_object<State>()) {}

bool Lock::acquire(bool block, Timeout timeout) {
  if (block && timeout.is_forever()) return lock_impl(*state_, "Lock");
  return acquire_impl(*state_, block, timeout, "Lock");
}

void Lock::release() { release_impl(*state_, "Lock"); }

bool Lock::owner_died() const noexcept { return state_->owner_died.load(std::memory_order_relaxed); }

RLock::RLock() : state_(detail::make_shared_object<State>()) {}

bool RLock::acquire(bool block, Timeout timeout) {
  if (block && timeout.is_forever()) return lock_impl(*state_, "RLock");
  return acquire_impl(*state_, block, timeout, "RLock");
}

void RLock::release() { release_impl(*state_, "RLock"); }

bool RLock::owner_died() const noexcept { return state_->owner_died.load(std::memory_order_relaxed); }

} // namespace mp
