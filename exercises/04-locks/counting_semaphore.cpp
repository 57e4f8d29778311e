// Lesson 04, exercise 2: counting_semaphore (see counting_semaphore.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 04
#include "counting_semaphore.hpp"

#include <mutex>
#include <string>

#include <mp/error.hpp>

namespace lesson04 {

CountingSemaphore::CountingSemaphore([[maybe_unused]] int value, [[maybe_unused]] int max_value) {
  // TODO(task 3): check the arguments (mp::ValueError); start the shared
  //   counter at `value` (value_ = mp::RawValue<int>(value), or better in the
  //   member initialiser list) and remember `max_value`.
  throw mp::NotImplemented("04/task 3: CountingSemaphore() in exercises/04-locks/counting_semaphore.cpp");
}

bool CountingSemaphore::acquire([[maybe_unused]] bool block, [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 3): under cond_'s lock (std::unique_lock): wait while the
  //   counter is 0 (or do not wait at all when !block), re-checking it after
  //   every wake-up, within ONE deadline; then take a unit.
  throw mp::NotImplemented(
      "04/task 3: CountingSemaphore::acquire() in exercises/04-locks/counting_semaphore.cpp");
}

void CountingSemaphore::release([[maybe_unused]] int n) {
  // TODO(task 3): check n and the bound (mp::ValueError, nothing released);
  //   under cond_'s lock add n to the counter and wake n waiters.
  throw mp::NotImplemented(
      "04/task 3: CountingSemaphore::release() in exercises/04-locks/counting_semaphore.cpp");
}

int CountingSemaphore::get_value() const {
  // TODO(task 3): the counter, read under the lock.
  throw mp::NotImplemented(
      "04/task 3: CountingSemaphore::get_value() in exercises/04-locks/counting_semaphore.cpp");
}

}  // namespace lesson04
