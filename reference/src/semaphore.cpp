#include "mp/semaphore.hpp"

#include <cerrno>
#include <climits>
#include <string>

#include <semaphore.h>

#include "mp/detail/futex.hpp"
#include "mp/detail/robust_mutex.hpp"
#include "mp/detail/schedule_point.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/detail/syscall.hpp"

namespace mp {

struct Semaphore::State {
  State(unsigned value, bool is_bounded) : max_value(value), bounded(is_bounded) {
    detail::sys("sem_init", [&] { return ::sem_init(&sem, 1, value); });
  }
  ~State() { ::sem_destroy(&sem); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  sem_t sem{};
  const unsigned max_value;
  const bool bounded;
  // BoundedSemaphore only: makes "check the value, then post" one step, so two
  // releasers cannot both pass the check. Acquirers never take it: they only
  // lower the value, which cannot invalidate a passed check.
  detail::RobustMutex release_mutex{false};
};

namespace {

// SEM_VALUE_MAX is INT_MAX on Linux, so any non-negative int fits.
static_assert(SEM_VALUE_MAX >= INT_MAX);

unsigned checked_initial_value(int value) {
  if (value < 0) throw ValueError("Semaphore: the initial value must be >= 0, got " + std::to_string(value));
  return static_cast<unsigned>(value);
}

void post(sem_t* sem) {
  if (::sem_post(sem) == 0) return;
  if (errno == EOVERFLOW) throw ValueError("Semaphore.release(): the value would exceed SEM_VALUE_MAX");
  detail::throw_errno("sem_post");
}

}  // namespace

Semaphore::Semaphore(int value) : Semaphore(value, false) {}

Semaphore::Semaphore(int value, bool bounded)
    : state_(detail::make_shared_object<State>(checked_initial_value(value), bounded)) {}

BoundedSemaphore::BoundedSemaphore(int value) : Semaphore(value, true) {}

bool Semaphore::acquire(bool block, Timeout timeout) {
  detail::reach_schedule_point("semaphore.acquiring");
  sem_t* sem = &state_->sem;
  if (!block) {
    if (detail::sys_nothrow([&] { return ::sem_trywait(sem); }) == 0) return true;
    if (errno == EAGAIN) return false;
    detail::throw_errno("sem_trywait");
  }
  // In slices, never one unbounded sleep: sem_post raises the value and
  // then wakes one sleeper, which then takes the value. A poster killed
  // between the two, or a woken sleeper killed before it takes the value,
  // leaves the value up and the other sleepers asleep; each sleeper's next
  // slice finds it.
  const Deadline deadline(timeout);
  for (;;) {
    const timespec abs = detail::futex::recheck_slice(deadline).monotonic_abs();
    // Retrying after EINTR with the same absolute time keeps the deadline.
    if (detail::sys_nothrow([&] { return ::sem_clockwait(sem, CLOCK_MONOTONIC, &abs); }) == 0) return true;
    if (errno != ETIMEDOUT) detail::throw_errno("sem_clockwait");
    if (deadline.expired()) return false;
  }
}

void Semaphore::release(int n) {
  if (n < 1) throw ValueError("Semaphore.release(n): n must be one or more, got " + std::to_string(n));
  detail::reach_schedule_point("semaphore.releasing");
  State& s = *state_;
  if (!s.bounded) {
    for (int i = 0; i < n; ++i) post(&s.sem);
    return;
  }
  // Robust: a releaser that died here left nothing half-done worth repairing
  // (the value is the semaphore's own), so owner_died needs no action.
  s.release_mutex.lock();
  try {
    int value = 0;
    detail::sys("sem_getvalue", [&] { return ::sem_getvalue(&s.sem, &value); });
    if (static_cast<long long>(value) + n > static_cast<long long>(s.max_value))
      throw ValueError("BoundedSemaphore.release(): semaphore released too many times (value " +
                       std::to_string(value) + " + " + std::to_string(n) + " > initial value " +
                       std::to_string(s.max_value) + ")");
    for (int i = 0; i < n; ++i) post(&s.sem);
  } catch (...) {
    s.release_mutex.unlock();
    throw;
  }
  s.release_mutex.unlock();
}

int Semaphore::get_value() const {
  int value = 0;
  detail::sys("sem_getvalue", [&] { return ::sem_getvalue(&state_->sem, &value); });
  return value < 0 ? 0 : value;  // POSIX allows -waiters; Python reports 0 then
}

}  // namespace mp
