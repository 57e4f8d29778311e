// Lesson 00, exercise 2: latch (see latch.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 00
#include "latch.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include <mp/error.hpp>
#include <mp/timeout.hpp>

namespace lesson00 {

Latch::Latch([[maybe_unused]] std::int64_t count) : count_(0) {
  // TODO(task 2): check `count` (mp::ValueError), and start count_ at it
  //   (better: in the member initialiser list above).
  (void)count_;  // (until you use count_: keeps clang's -Wunused-private-field quiet)
  throw mp::NotImplemented("00/task 2: Latch() in exercises/00-threads/latch.cpp");
}

void Latch::count_down([[maybe_unused]] std::int64_t n) {
  // TODO(task 2): under the lock: check n (mp::ValueError, count unchanged),
  //   subtract it; at zero wake EVERY waiter.
  throw mp::NotImplemented("00/task 2: Latch::count_down() in exercises/00-threads/latch.cpp");
}

bool Latch::try_wait() const {
  // TODO(task 2): whether the count is zero (read it under the lock).
  throw mp::NotImplemented("00/task 2: Latch::try_wait() in exercises/00-threads/latch.cpp");
}

bool Latch::wait([[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 2): under the lock, wait on opened_ until the count is zero,
  //   within ONE deadline when there is a timeout; return whether it is open.
  throw mp::NotImplemented("00/task 2: Latch::wait() in exercises/00-threads/latch.cpp");
}

std::int64_t Latch::count() const {
  // TODO(task 2): the count (read it under the lock).
  throw mp::NotImplemented("00/task 2: Latch::count() in exercises/00-threads/latch.cpp");
}

}  // namespace lesson00
