// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in tiny_queue.cpp.
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 08, exercise 2 ("build it"): a queue between the coroutines of one
/// event loop (Python's `asyncio.Queue`, unbounded), built from futures: a getter that
/// finds the queue empty waits on a future of its own, and a cancelled getter never
/// loses an item.
///
/// Python counterpart (CPython's asyncio/queues.py, reduced to what is asked here):
/// @code{.py}
/// class TinyQueue:
///     def __init__(self):
///         self._items = collections.deque()
///         self._getters = collections.deque()
///     def _wakeup_next(self):
///         while self._getters:
///             waiter = self._getters.popleft()
///             if not waiter.done():
///                 waiter.set_result(None)
///                 break
///     def put_nowait(self, item):
///         self._items.append(item)
///         self._wakeup_next()
///     def get_nowait(self):
///         if not self._items: raise QueueEmpty
///         return self._items.popleft()
///     async def get(self):
///         while not self._items:
///             getter = asyncio.get_running_loop().create_future()
///             self._getters.append(getter)
///             try:
///                 await getter
///             except:
///                 getter.cancel()
///                 try: self._getters.remove(getter)
///                 except ValueError: pass
///                 if self._items and not getter.cancelled():
///                     self._wakeup_next()
///                 raise
///         return self.get_nowait()
/// @endcode
///
/// Lesson: lessons/08-coroutines/README.md, "Exercise 2: tiny_queue".
#include <cstddef>
#include <cstdint>
#include <deque>

#include <mp/aio/future.hpp>
#include <mp/aio/task.hpp>

namespace lesson08 {

/// An unbounded first-in first-out queue of integers for the tasks of one event loop.
/// Not thread-safe (one loop, one thread), not copyable. Keep it alive while tasks wait
/// on it.
///
/// | state | get() |
/// |---|---|
/// | items in the queue | takes the first at once, without suspending |
/// | empty | waits on a new future put at the back of `getters_`; a put_nowait() sets the first pending one |
/// | woken, but another task took the item first | waits again, at the back |
/// | cancelled while it waits | throws aio::CancelledError, takes no item |
/// | woken by a put, then cancelled before it ran | throws aio::CancelledError, and wakes the next getter (the item stays) |
class TinyQueue {
public:
  /// An empty queue.
  TinyQueue();
  ~TinyQueue();
  TinyQueue(const TinyQueue&) = delete;
  TinyQueue& operator=(const TinyQueue&) = delete;

  /// Appends `item` (Python's `put_nowait`; never full) and wakes the first getter that
  /// waits and is not done (cancelled). Never suspends. Call it from the loop's thread.
  void put_nowait(std::int64_t item);

  /// Takes the first item now (Python's `get_nowait`). @throws mp::Empty when empty.
  std::int64_t get_nowait();

  /// `co_await q.get()` (Python's `await q.get()`): the first item; waits (FIFO among
  /// getters) while the queue is empty.
  /// @throws mp::aio::CancelledError when its task is cancelled while it waits: it then
  ///         takes no item, and an item whose wake-up it had received goes to the next
  ///         getter (no item is ever lost, no getter left waiting while items wait).
  mp::aio::Task<std::int64_t> get();

  /// How many items are in the queue (Python's `qsize`).
  [[nodiscard]] std::size_t qsize() const noexcept;
  /// Whether it has no item (Python's `empty`).
  [[nodiscard]] bool empty() const noexcept;

private:
  std::deque<std::int64_t> items_;             ///< the items, first in first out
  std::deque<mp::aio::Future<void>> getters_;  ///< one future per waiting get(), first come first served
};

}  // namespace lesson08
