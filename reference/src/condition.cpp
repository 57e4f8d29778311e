#include "mp/condition.hpp"

#include <cerrno>
#include <climits>
#include <string>
#include <system_error>

#include <pthread.h>

#include "mp/detail/fault_point.hpp"
#include "mp/detail/futex.hpp"
#include "mp/detail/shared_region.hpp"

namespace mp::detail {

SharedCondVar::Outcome SharedCondVar::wait(RobustMutex& m, const Deadline& deadline) {
  const std::uint32_t seen = seq_.load(std::memory_order_relaxed);  // under m, as every bump
  waiters_.fetch_add(1, std::memory_order_seq_cst);
  try {
    m.unlock();
  } catch (...) {
    waiters_.fetch_sub(1, std::memory_order_seq_cst);
    throw;
  }
  bool notified = true;
  try {
    // In slices: a notifier killed between its bump of seq_ and its wake
    // system call woke nobody, but the bump is there for the next look.
    while (!futex::wait(&seq_, seen, futex::recheck_slice(deadline))) {
      if (seq_.load(std::memory_order_relaxed) != seen) break;  // notified, the wake lost
      if (deadline.expired()) {
        notified = false;
        break;
      }
    }
  } catch (...) {
    waiters_.fetch_sub(1, std::memory_order_seq_cst);
    m.lock();  // the caller expects to hold it, even when we throw
    throw;
  }
  waiters_.fetch_sub(1, std::memory_order_seq_cst);
  return Outcome{notified, m.lock()};
}

void SharedCondVar::wake(int n) {
  seq_.fetch_add(1, std::memory_order_seq_cst);
  if (waiters_.load(std::memory_order_seq_cst) == 0) return;  // nobody to wake: no system call
  reach_fault_point("condvar.counted");
  futex::wake(&seq_, n);
}

void SharedCondVar::notify(int n) {
  if (n > 0) wake(n);
}

void SharedCondVar::notify_all() { wake(INT_MAX); }

}  // namespace mp::detail

namespace mp {

Condition::Condition(Lock lock)
    : lock_(std::move(lock)), cv_(detail::make_shared_object<detail::SharedCondVar>()) {}

bool Condition::wait(Timeout timeout) { return wait_until(Deadline(timeout)); }

bool Condition::wait_until(const Deadline& deadline) {
  Lock::State& s = *lock_.state_;
  detail::SharedCondVar::Outcome out{};
  try {
    out = cv_->wait(s.mutex, deadline);
  } catch (const std::system_error& e) {
    if (e.code() != std::errc::operation_not_permitted) throw;
    throw Error(
        "Condition.wait(): the calling thread must hold the condition's lock (Python: \"cannot wait on "
        "un-acquired lock\")");
  }
  // We are the holder again: record how we got the lock, as Lock::acquire does.
  s.owner_died.store(out.relocked == detail::Acquire::owner_died, std::memory_order_relaxed);
  return out.notified;
}

// Python checks ownership before notifying; so do we. pthread_mutex_trylock on
// a robust error-checking mutex that the caller holds answers EDEADLK (glibc),
// which costs no system call; the tests pin this behaviour.
void Condition::require_held(const char* what) {
  pthread_mutex_t* m = lock_.state_->mutex.native();
  const int rc = ::pthread_mutex_trylock(m);
  if (rc == EDEADLK) return;
  if (rc == 0 || rc == EOWNERDEAD) {  // it was free: we must not keep it
    if (rc == EOWNERDEAD) ::pthread_mutex_consistent(m);
    ::pthread_mutex_unlock(m);
  }
  throw Error(std::string("Condition.") + what +
              "(): the calling thread must hold the condition's lock (Python: \"cannot notify on un-acquired "
              "lock\")");
}

void Condition::notify(int n) {
  if (n < 0) throw ValueError("Condition.notify(n): n must be >= 0, got " + std::to_string(n));
  require_held("notify");
  cv_->notify(n);
}

void Condition::notify_all() {
  require_held("notify_all");
  cv_->notify_all();
}

}  // namespace mp
