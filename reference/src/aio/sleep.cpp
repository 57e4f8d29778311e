// mp::aio::sleep (mp/aio/sleep.hpp).
#include "mp/aio/sleep.hpp"

#include "mp/aio/loop.hpp"

namespace mp::aio::detail {

EventLoop& SleepAwaiter::loop() const noexcept { return *task_->future->loop(); }

SleepAwaiter::~SleepAwaiter() {
  if (armed()) loop().disarm(*this);  // the frame goes while it sleeps (its loop closed)
}

bool SleepAwaiter::await_suspend(std::coroutine_handle<> h) {
  task_ = &current_task("aio::sleep");
  if (task_->must_cancel) return false;  // a cancel() came while it ran: await_resume throws
  task_->resume_point = h;
  if (yield_) {
    loop().schedule(&TaskState::step_fn, task_);  // a bare yield, as Python's sleep(0)
    return true;
  }
  fire = &SleepAwaiter::on_time;
  loop().arm(*this, when);
  task_->waiting_on = this;
  return true;
}

void SleepAwaiter::on_time(TimerNode* self) { static_cast<SleepAwaiter&>(*self).task_->step(); }

bool SleepAwaiter::cancel_wait(const std::string& /*message*/) {
  if (!armed()) return false;  // it fired: its wake-up is on its way
  loop().disarm(*this);
  cancelled_ = true;
  loop().schedule(&TaskState::step_fn, task_);
  return true;
}

void SleepAwaiter::await_resume() {
  if (task_ == nullptr) return;
  task_->waiting_on = nullptr;
  if (cancelled_) throw CancelledError(task_->message());
  task_->throw_if_must_cancel();
}

}  // namespace mp::aio::detail
