// Lesson 08, exercise 2: tiny_queue (see tiny_queue.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 08
#include "tiny_queue.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <mp/aio.hpp>
#include <mp/error.hpp>

namespace lesson08 {

TinyQueue::TinyQueue() {
  // TODO(task 4): nothing to set up (the members start empty): remove this throw.
  throw mp::NotImplemented("08/task 4: TinyQueue::TinyQueue() in exercises/08-coroutines/tiny_queue.cpp");
}

TinyQueue::~TinyQueue() = default;

void TinyQueue::put_nowait([[maybe_unused]] std::int64_t item) {
  // TODO(task 4): append the item, then wake the first getter whose future is not done.
  throw mp::NotImplemented("08/task 4: TinyQueue::put_nowait() in exercises/08-coroutines/tiny_queue.cpp");
}

std::int64_t TinyQueue::get_nowait() {
  // TODO(task 4): mp::Empty when there is no item; else take the first.
  throw mp::NotImplemented("08/task 4: TinyQueue::get_nowait() in exercises/08-coroutines/tiny_queue.cpp");
}

mp::aio::Task<std::int64_t> TinyQueue::get() {
  // TODO(task 5): while the queue is empty, wait on a future of your own
  //   (mp::aio::create_future<void>()) kept in getters_; then take the first item.
  // TODO(task 6): when the wait throws (the task was cancelled), forget the future, and
  //   if it had been woken already and an item waits, pass the wake-up on. Rethrow.
  throw mp::NotImplemented("08/task 5: TinyQueue::get() in exercises/08-coroutines/tiny_queue.cpp");
}

std::size_t TinyQueue::qsize() const noexcept { return items_.size(); }

bool TinyQueue::empty() const noexcept { return items_.empty(); }

}  // namespace lesson08
