// Lesson 00, exercise 2: latch (see latch.hpp for the contract).
// Reference solution.
#include "latch.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include <mp/error.hpp>
#include <mp/timeout.hpp>

namespace lesson00 {

namespace {
std::int64_t checked(std::int64_t count) {
  if (count < 0) throw mp::ValueError("Latch: count must be >= 0, not " + std::to_string(count));
  return count;
}
}  // namespace

Latch::Latch(std::int64_t count) : count_(checked(count)) {}

void Latch::count_down(std::int64_t n) {
  std::lock_guard guard(mutex_);
  if (n < 0 || n > count_)
    throw mp::ValueError("Latch::count_down(" + std::to_string(n) + ") with a count of " +
                         std::to_string(count_));
  count_ -= n;
  if (count_ == 0 && n > 0) opened_.notify_all();  // every waiter, not one
}

bool Latch::try_wait() const {
  std::lock_guard guard(mutex_);
  return count_ == 0;
}

bool Latch::wait(mp::Timeout timeout) {
  std::unique_lock guard(mutex_);
  const auto open = [this] { return count_ == 0; };
  if (timeout.is_forever()) {
    opened_.wait(guard, open);  // loops: checks the count after every wake-up
    return true;
  }
  // wait_until with one deadline: a spurious wake-up does not restart the clock.
  return opened_.wait_until(guard, std::chrono::steady_clock::now() + timeout.duration(), open);
}

std::int64_t Latch::count() const {
  std::lock_guard guard(mutex_);
  return count_;
}

}  // namespace lesson00
