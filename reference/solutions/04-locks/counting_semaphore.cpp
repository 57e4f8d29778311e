// Lesson 04, exercise 2: counting_semaphore (see counting_semaphore.hpp for the contract).
// Reference solution.
#include "counting_semaphore.hpp"

#include <mutex>
#include <string>

#include <mp/error.hpp>

namespace lesson04 {

namespace {

int checked(int value, int max_value) {
  if (value < 0)
    throw mp::ValueError("CountingSemaphore: the initial value must be >= 0, not " + std::to_string(value));
  if (max_value < value)
    throw mp::ValueError("CountingSemaphore: max_value " + std::to_string(max_value) +
                         " is below the value " + std::to_string(value));
  return value;
}

}  // namespace

// The counter changes only under cond_'s lock, one store at a time, so a
// process killed while holding the lock (owner_died()) leaves it consistent:
// there is nothing to repair.
CountingSemaphore::CountingSemaphore(int value, int max_value)
    : value_(checked(value, max_value)), max_value_(max_value) {}

bool CountingSemaphore::acquire(bool block, mp::Timeout timeout) {
  std::unique_lock guard(cond_);
  if (!block && value_.value() == 0) return false;
  // wait_for re-checks the counter after every wake-up (spurious, or a unit
  // that another process took first) and keeps one deadline for the whole wait.
  if (!cond_.wait_for([this] { return value_.value() > 0; }, block ? timeout : mp::Timeout::zero()))
    return false;
  value_.get_obj() -= 1;
  return true;
}

void CountingSemaphore::release(int n) {
  if (n < 1)
    throw mp::ValueError("CountingSemaphore::release(n): n must be one or more, not " + std::to_string(n));
  std::lock_guard guard(cond_);
  if (value_.value() > max_value_ - n)
    throw mp::ValueError("CountingSemaphore::release(): released too many times (value " +
                         std::to_string(value_.value()) + ", bound " + std::to_string(max_value_) + ")");
  value_.get_obj() += n;
  cond_.notify(n);  // one waiter per unit: each takes one
}

int CountingSemaphore::get_value() const {
  std::lock_guard guard(cond_);
  return value_.value();
}

}  // namespace lesson04
