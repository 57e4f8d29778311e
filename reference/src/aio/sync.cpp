// mp::aio's synchronisation primitives: the waiters' FIFO and their wait,
// Lock, Event, Condition (mp/aio/lock.hpp), Semaphore, BoundedSemaphore,
// Barrier (mp/aio/semaphore.hpp). aio::Queue is a template (mp/aio/queue.hpp).
// The algorithms are asyncio's (Lib/asyncio/locks.py, 3.12).
#include <exception>
#include <limits>
#include <string>

#include "mp/aio/lock.hpp"
#include "mp/aio/loop.hpp"
#include "mp/aio/semaphore.hpp"
#include "mp/error.hpp"

namespace mp::aio {

namespace detail {

namespace {
constexpr std::size_t all = std::numeric_limits<std::size_t>::max();
}  // namespace

// ---------------------------------------------------------------- waiters

bool remove_waiter(Waiters& q, const Future<void>& w) noexcept {
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (q[i] == w) {
      q.erase(i);
      return true;
    }
  }
  return false;
}

void wake_first(Waiters& q) {
  if (!q.empty() && !q.front().done()) q.front().set_result();
}

std::size_t wake_pending(Waiters& q, std::size_t n) {
  std::size_t woken = 0;
  for (std::size_t i = 0; i < q.size() && woken < n; ++i) {
    if (!q[i].done()) {
      q[i].set_result();  // schedules the waiter's resumption: nothing runs now
      ++woken;
    }
  }
  return woken;
}

void pop_and_wake(Waiters& q) {
  while (!q.empty()) {
    const Future<void> w = q.pop_front();
    if (!w.done()) {
      w.set_result();
      return;
    }
  }
}

bool any_not_cancelled(const Waiters& q) noexcept {
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (!q[i].cancelled()) return true;
  }
  return false;
}

bool WaiterWait::suspend(Waiters& q, std::coroutine_handle<> h, const char* what, Retry retry,
                         const void* owner) {
  task_ = &current_task(what);
  if (task_->must_cancel) return false;  // a cancel() came while it ran: end() delivers it
  q_ = &q;
  retry_ = retry;
  owner_ = owner;
  fut_ = Future<void>(new HeapFuture<void>(task_->future->loop()));
  q.push_back(fut_);
  task_->resume_point = h;
  task_->waiting_on = fut_.core();  // the task's cancel() cancels the future: on_done resumes it
  fut_.core()->add_callback({&WaiterWait::on_done, this, nullptr});
  return true;
}

// The waiter's future is done (woken or cancelled), in the loop's next
// round: the task resumes now, or, when it must wait again (a Queue whose
// item was taken by a faster task), it waits again at the back, as
// Python's `while self.empty(): await getter` does, without resuming.
void WaiterWait::on_done(void* self, FutureBase& f) {
  auto* w = static_cast<WaiterWait*>(self);
  TaskState* t = w->task_;
  if (w->retry_ != nullptr && !f.cancelled() && !t->must_cancel && w->retry_(w->owner_)) {
    remove_waiter(*w->q_, w->fut_);
    w->fut_ = Future<void>(new HeapFuture<void>(f.loop()));
    w->q_->push_back(w->fut_);
    t->waiting_on = w->fut_.core();
    w->fut_.core()->add_callback({&WaiterWait::on_done, w, nullptr});
    return;
  }
  t->step();
}

bool WaiterWait::end(Waiters& q) {
  task_->waiting_on = nullptr;
  if (fut_) remove_waiter(q, fut_);
  if (task_->must_cancel) {  // cancelled after its wake-up was on its way (or before it waited)
    task_->must_cancel = false;
    return false;
  }
  return !fut_.cancelled();
}

void WaiterWait::throw_cancelled() const { throw CancelledError(task_->message()); }

// ---------------------------------------------------------------- Lock

bool LockAcquire::await_ready() noexcept {
  // Python 3.11+: free, and no waiter that is not cancelled (a woken waiter
  // that has not run yet stays in the FIFO: a newcomer does not overtake it).
  if (lock_->locked_ || any_not_cancelled(lock_->waiters_)) return false;
  lock_->locked_ = true;
  return true;
}

void LockAcquire::await_resume() {
  if (!wait_.waited()) return;
  if (!wait_.end(lock_->waiters_)) {
    if (!lock_->locked_) wake_first(lock_->waiters_);  // a release meant for it goes on
    wait_.throw_cancelled();
  }
  lock_->locked_ = true;
}

}  // namespace detail

void Lock::release() {
  if (!locked_) throw RuntimeError("aio::Lock::release: the lock is not acquired");
  locked_ = false;
  detail::wake_first(waiters_);
}

// ---------------------------------------------------------------- Event

void Event::set() {
  if (value_) return;
  value_ = true;
  detail::wake_pending(waiters_, detail::all);
}

// ---------------------------------------------------------------- Condition

Task<void> Condition::wait() {
  if (!lock_->locked()) throw RuntimeError("aio::Condition::wait: the lock is not acquired");
  lock_->release();
  std::exception_ptr cancelled;
  try {
    co_await detail::WaiterAwaiter{&waiters_, nullptr, "aio::Condition::wait"};
  } catch (const CancelledError&) {
    cancelled = std::current_exception();
  }
  // The lock is re-acquired even when cancelled (C++ forbids co_await in a
  // handler: the handlers only record the latest cancellation).
  for (;;) {
    try {
      co_await lock_->acquire();
      break;
    } catch (const CancelledError&) {
      cancelled = std::current_exception();
    }
  }
  if (cancelled) {
    // It may have been notified before the cancellation: notify another
    // in its place (a spurious wake-up at worst, as Python's).
    detail::wake_pending(waiters_, 1);
    std::rethrow_exception(cancelled);
  }
}

void Condition::notify(std::size_t n) {
  if (!lock_->locked()) throw RuntimeError("aio::Condition::notify: the lock is not acquired");
  detail::wake_pending(waiters_, n);
}

void Condition::notify_all() { notify(detail::all); }

// ---------------------------------------------------------------- Semaphore

namespace {

std::size_t initial_value(std::int64_t value) {
  if (value < 0) throw ValueError("aio::Semaphore: the initial value must be >= 0");
  return static_cast<std::size_t>(value);
}

}  // namespace

Semaphore::Semaphore(std::int64_t value) : value_(initial_value(value)) {}

BoundedSemaphore::BoundedSemaphore(std::int64_t value) : Semaphore(value) { bound_ = this->value(); }

bool Semaphore::locked() const noexcept { return value_ == 0 || detail::any_not_cancelled(waiters_); }

void Semaphore::release() {
  if (value_ >= bound_) throw ValueError("aio::BoundedSemaphore released too many times");
  ++value_;
  wake_up_next();
}

// Python 3.12's _wake_up_next: the unit goes to the first pending waiter now.
bool Semaphore::wake_up_next() {
  for (std::size_t i = 0; i < waiters_.size(); ++i) {
    if (!waiters_[i].done()) {
      --value_;
      waiters_[i].set_result();
      return true;
    }
  }
  return false;
}

void Semaphore::wake_while_free() {
  while (value_ > 0 && wake_up_next()) {
  }
}

namespace detail {

bool SemaphoreAcquire::await_ready() noexcept {
  if (sem_->locked()) return false;
  --sem_->value_;
  return true;
}

void SemaphoreAcquire::await_resume() {
  if (!wait_.waited()) return;
  const bool acquired = wait_.end(sem_->waiters_);
  if (!acquired && wait_.woken()) ++sem_->value_;  // handed a unit, cannot take it: give it back
  sem_->wake_while_free();  // units free while others wait (FIFO made them wait): hand them on
  if (!acquired) wait_.throw_cancelled();
}

}  // namespace detail

// ---------------------------------------------------------------- Barrier

Barrier::Barrier(std::size_t parties) : parties_(parties) {
  if (parties == 0) throw ValueError("aio::Barrier: parties must be > 0");
}

Task<std::size_t> Barrier::wait() {
  auto guard = co_await cond_.scoped();
  co_await block();
  const std::size_t index = count_++;
  try {
    if (index + 1 == parties_) {
      state_ = State::draining;  // the last: release the others
      cond_.notify_all();
    } else {
      co_await wait_filled();
    }
  } catch (...) {
    --count_;
    exit_one();
    throw;
  }
  --count_;
  exit_one();
  co_return index;
}

Task<void> Barrier::block() {
  (void)co_await cond_.wait_for([this] { return state_ != State::draining && state_ != State::resetting; });
  if (state_ == State::broken) throw BrokenBarrierError("aio::Barrier: the barrier is broken (aborted)");
}

Task<void> Barrier::wait_filled() {
  (void)co_await cond_.wait_for([this] { return state_ != State::filling; });
  if (state_ == State::broken || state_ == State::resetting) {
    throw BrokenBarrierError("aio::Barrier: aborted or reset while waiting");
  }
}

void Barrier::exit_one() {
  if (count_ == 0) {
    if (state_ == State::resetting || state_ == State::draining) state_ = State::filling;
    cond_.notify_all();  // tasks blocked while it drained may enter
  }
}

Task<void> Barrier::reset() {
  auto guard = co_await cond_.scoped();
  state_ = count_ > 0 ? State::resetting : State::filling;
  cond_.notify_all();
}

Task<void> Barrier::abort() {
  auto guard = co_await cond_.scoped();
  state_ = State::broken;
  cond_.notify_all();
}

}  // namespace mp::aio
