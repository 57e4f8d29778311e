// Lesson 08, exercise 2: tiny_queue (see tiny_queue.hpp for the contract).
// Reference solution: CPython's asyncio.Queue, unbounded: one future per waiting
// getter, woken first come first served, and a cancelled getter that had been woken
// passes its wake-up on.
#include "tiny_queue.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <mp/aio.hpp>
#include <mp/error.hpp>

namespace lesson08 {

namespace {

// Sets the first future of `getters` that is still pending (a cancelled one is skipped).
void wake_next(std::deque<mp::aio::Future<void>>& getters) {
  while (!getters.empty()) {
    mp::aio::Future<void> waiter = std::move(getters.front());
    getters.pop_front();
    if (!waiter.done()) {
      waiter.set_result();
      return;
    }
  }
}

}  // namespace

TinyQueue::TinyQueue() = default;

TinyQueue::~TinyQueue() = default;

void TinyQueue::put_nowait(std::int64_t item) {
  items_.push_back(item);
  wake_next(getters_);
}

std::int64_t TinyQueue::get_nowait() {
  if (items_.empty()) throw mp::Empty();
  const std::int64_t item = items_.front();
  items_.pop_front();
  return item;
}

mp::aio::Task<std::int64_t> TinyQueue::get() {
  while (items_.empty()) {
    mp::aio::Future<void> getter = mp::aio::create_future<void>();
    getters_.push_back(getter);
    try {
      co_await getter;
    } catch (...) {  // cancelled (no co_await in here: C++20 forbids it in a handler)
      getter.cancel();
      const auto it = std::find(getters_.begin(), getters_.end(), getter);
      if (it != getters_.end()) getters_.erase(it);
      if (!items_.empty() && !getter.cancelled()) wake_next(getters_);  // woken, then cancelled
      throw;
    }
  }
  co_return get_nowait();
}

std::size_t TinyQueue::qsize() const noexcept { return items_.size(); }

bool TinyQueue::empty() const noexcept { return items_.empty(); }

}  // namespace lesson08
