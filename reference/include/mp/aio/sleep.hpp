#pragma once
/// @file
/// @brief `mp::aio::sleep`: suspends the running task for a while (Python's
/// `asyncio.sleep`), letting the loop run the others.
///
/// `co_await aio::sleep(100ms);` resumes the task in the first round after
/// 100 ms have passed (never before; later when the loop is busy).
/// `co_await aio::sleep(0s);` yields: the task goes to the back of the ready
/// queue, and every task ready now runs once before it continues.
/// Cancelled while it sleeps: throws aio::CancelledError at once (next round).
/// @throws mp::aio::RuntimeError outside a task.
#include <chrono>
#include <coroutine>
#include <string>

#include "mp/aio/future.hpp"
#include "mp/aio/timer_heap.hpp"

namespace mp::aio {

namespace detail {

/// What aio::sleep returns: a timer and a wait, in the awaiting coroutine's frame.
class SleepAwaiter final : public Waitable, public TimerNode {
public:
  explicit SleepAwaiter(std::chrono::steady_clock::duration delay) noexcept {
    when = std::chrono::steady_clock::now() + delay;  // the deadline counts from the call
    yield_ = delay <= std::chrono::steady_clock::duration::zero();
  }
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  ~SleepAwaiter();

  [[nodiscard]] bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h);
  void await_resume();
  bool cancel_wait(const std::string& message) override;

private:
  static void on_time(TimerNode* self);
  [[nodiscard]] EventLoop& loop() const noexcept;
  // Kept small: 100k sleeping tasks hold 100k of these.
  TaskState* task_ = nullptr;
  bool yield_ = false;
  bool cancelled_ = false;
};

}  // namespace detail

/// Suspends the running task for `delay` (see the file notes).
template <class Rep, class Period>
[[nodiscard]] detail::SleepAwaiter sleep(std::chrono::duration<Rep, Period> delay) {
  return detail::SleepAwaiter(std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay));
}

/// Suspends the running task for `seconds` (Python's `asyncio.sleep(0.5)`).
[[nodiscard]] inline detail::SleepAwaiter sleep(double seconds) {
  return detail::SleepAwaiter(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(seconds)));
}

}  // namespace mp::aio
