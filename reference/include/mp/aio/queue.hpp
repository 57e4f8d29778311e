#pragma once
/// @file
/// @brief `mp::aio::Queue`, PriorityQueue, LifoQueue: queues between the tasks
/// of one event loop (Python's `asyncio.Queue`, `PriorityQueue`, `LifoQueue`).
///
/// | Python | C++ |
/// |---|---|
/// | `q = asyncio.Queue(maxsize=10)` | `aio::Queue<Item> q(10);` (0: unbounded) |
/// | `await q.put(x)`, `x = await q.get()` | `co_await q.put(x);`, `Item x = co_await q.get();` |
/// | `q.put_nowait(x)`, `q.get_nowait()` | the same; they throw mp::Full, mp::Empty |
/// | `asyncio.QueueFull`, `asyncio.QueueEmpty` | mp::Full, mp::Empty |
/// | `q.qsize()`, `q.empty()`, `q.full()`, `q.maxsize` | `q.qsize()`, `q.empty()`, `q.full()`, `q.maxsize()` |
/// | `q.task_done()`, `await q.join()` | `q.task_done();`, `co_await q.join();` |
/// | `asyncio.PriorityQueue()` (smallest first) | `aio::PriorityQueue<Item>` (smallest by `Compare`, default std::less) |
/// | `asyncio.LifoQueue()` (last in, first out) | `aio::LifoQueue<Item>` |
///
/// Items are moved in and out (move-only types work). Nothing is copied or
/// serialised: these queues live in one thread (use mp::Queue between
/// processes). A put() or get() that need not wait does not suspend and
/// allocates nothing but the queue's own storage as it grows; a task that
/// must wait gets one future (as asyncio, see mp/aio/lock.hpp).
///
/// **Waiting.** get() on an empty queue waits, FIFO among getters, until a
/// put makes an item available; put() on a full queue waits, FIFO among
/// putters, until a get makes room. The woken task takes the item (makes
/// its put) when the loop runs it, the round after; as in Python, a task
/// arriving in between may take that item first, and the woken one waits
/// again, at the back.
///
/// **Cancellation.** A get() cancelled while it waits throws
/// aio::CancelledError and takes no item: an item put for it stays in the
/// queue and its wake-up goes to the next getter. A cancelled put() puts
/// nothing, and passes a room wake-up on to the next putter.
///
/// Not thread-safe; keep a queue alive while tasks wait on it. Not copyable.
#include <algorithm>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "mp/aio/lock.hpp"
#include "mp/error.hpp"

namespace mp::aio {

namespace detail {

/// The items of aio::Queue: first in, first out.
template <class T>
class FifoStore {
public:
  void push(T v) { ring_.push_back(std::move(v)); }
  T pop() { return ring_.pop_front(); }
  [[nodiscard]] std::size_t size() const noexcept { return ring_.size(); }

private:
  Ring<T> ring_;
};

/// The items of aio::LifoQueue: last in, first out.
template <class T>
class LifoStore {
public:
  void push(T v) { v_.push_back(std::move(v)); }
  T pop() {
    T v = std::move(v_.back());
    v_.pop_back();
    return v;
  }
  [[nodiscard]] std::size_t size() const noexcept { return v_.size(); }

private:
  std::vector<T> v_;
};

/// The items of aio::PriorityQueue: a binary heap, the smallest by `Compare` first.
template <class T, class Compare>
class PriorityStore {
public:
  void push(T v) {
    v_.push_back(std::move(v));
    std::push_heap(v_.begin(), v_.end(), Greater{&cmp_});
  }
  T pop() {
    std::pop_heap(v_.begin(), v_.end(), Greater{&cmp_});
    T v = std::move(v_.back());
    v_.pop_back();
    return v;
  }
  [[nodiscard]] std::size_t size() const noexcept { return v_.size(); }

private:
  struct Greater {  // std's heaps put the largest on top: invert for a min-heap
    Compare* cmp;
    bool operator()(const T& a, const T& b) const { return (*cmp)(b, a); }
  };
  std::vector<T> v_;
  Compare cmp_{};
};

}  // namespace detail

/// A queue of T for tasks, its order given by `Store`; use the aliases
/// aio::Queue, aio::LifoQueue, aio::PriorityQueue. See the file notes.
template <class T, class Store>
class BasicQueue {
public:
  /// At most `maxsize` items (Python's `maxsize`); 0: no limit.
  explicit BasicQueue(std::size_t maxsize = 0) : maxsize_(maxsize) { finished_.set(); }
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;

  /// What get() returns: `co_await` it once, at once (see get()).
  class GetAwaiter {
  public:
    /// What get() returns: waits (if it must) for an item, then takes it.
    explicit GetAwaiter(BasicQueue& q) noexcept : q_(&q) {}
    /// Ready when an item is there and no getter waits before it.
    [[nodiscard]] bool await_ready() const noexcept { return !q_->empty(); }
    /// Waits in the getters' FIFO.
    bool await_suspend(std::coroutine_handle<> h) {
      return wait_.suspend(q_->getters_, h, "aio::Queue::get", &BasicQueue::is_empty, q_);
    }
    /// The item. @throws aio::CancelledError when cancelled while it waited (no item taken).
    T await_resume() {
      if (wait_.waited() && !wait_.end(q_->getters_)) {
        // Woken by a put but cancelled before it ran: the item stays, the next getter gets the wake-up.
        if (!q_->empty() && wait_.woken()) detail::pop_and_wake(q_->getters_);
        wait_.throw_cancelled();
      }
      return q_->get_nowait();
    }

  private:
    BasicQueue* q_;
    detail::WaiterWait wait_;
  };

  /// What put() returns: `co_await` it once, at once (see put()); it holds
  /// the item until the item is in the queue.
  class PutAwaiter {
  public:
    /// What put() returns: waits (if it must) for room, then puts `item`.
    PutAwaiter(BasicQueue& q, T item) : q_(&q), item_(std::move(item)) {}
    /// Ready when there is room and no putter waits before it.
    [[nodiscard]] bool await_ready() const noexcept { return !q_->full(); }
    /// Waits in the putters' FIFO.
    bool await_suspend(std::coroutine_handle<> h) {
      return wait_.suspend(q_->putters_, h, "aio::Queue::put", &BasicQueue::is_full, q_);
    }
    /// Puts the item. @throws aio::CancelledError when cancelled while it waited (nothing put).
    void await_resume() {
      if (wait_.waited() && !wait_.end(q_->putters_)) {
        if (!q_->full() && wait_.woken()) detail::pop_and_wake(q_->putters_);
        wait_.throw_cancelled();
      }
      q_->put_nowait(std::move(item_));
    }

  private:
    BasicQueue* q_;
    T item_;
    detail::WaiterWait wait_;
  };

  /// `co_await q.put(item)` (Python's `await q.put(item)`): puts it at once
  /// when there is room, else waits (FIFO among putters) until a get makes
  /// room (resumes in a later round). The item is moved into the awaitable.
  /// @throws aio::CancelledError when cancelled while it waits: the item is
  ///         not put (it is dropped with the awaitable). @throws aio::RuntimeError outside a task.
  [[nodiscard]] PutAwaiter put(T item) { return PutAwaiter(*this, std::move(item)); }
  /// `co_await q.get()` (Python's `await q.get()`): the next item, at once
  /// when there is one, else waits (FIFO among getters) for a put.
  /// @throws aio::CancelledError when cancelled while it waits: it takes no
  ///         item, and none is lost. @throws aio::RuntimeError outside a task.
  [[nodiscard]] GetAwaiter get() noexcept { return GetAwaiter(*this); }

  /// Puts `item` now (Python's `q.put_nowait(item)`) and wakes the first
  /// waiting getter. @throws mp::Full when the queue is full (the item is
  /// then left as it was: it is moved only on success).
  void put_nowait(T&& item) {
    if (full()) throw Full();
    items_.push(std::move(item));
    ++unfinished_;
    finished_.clear();
    detail::pop_and_wake(getters_);
  }
  /// Copies `item` in (see the other overload).
  void put_nowait(const T& item) requires std::copy_constructible<T> { put_nowait(T(item)); }
  /// Takes the next item now (Python's `q.get_nowait()`) and wakes the first
  /// waiting putter. @throws mp::Empty when the queue is empty.
  T get_nowait() {
    if (empty()) throw Empty();
    T v = items_.pop();
    detail::pop_and_wake(putters_);
    return v;
  }

  /// Items in the queue (Python's `q.qsize()`).
  [[nodiscard]] std::size_t qsize() const noexcept { return items_.size(); }
  /// Whether it has no item (Python's `q.empty()`).
  [[nodiscard]] bool empty() const noexcept { return items_.size() == 0; }
  /// Whether it holds maxsize() items (never when maxsize() is 0) (Python's `q.full()`).
  [[nodiscard]] bool full() const noexcept { return maxsize_ > 0 && items_.size() >= maxsize_; }
  /// The bound given to the constructor (Python's `q.maxsize`); 0: none.
  [[nodiscard]] std::size_t maxsize() const noexcept { return maxsize_; }

  /// Marks one item got earlier as processed (Python's `q.task_done()`);
  /// when every item put has been marked, join() returns.
  /// @throws mp::ValueError when called more times than items were put.
  void task_done() {
    if (unfinished_ == 0) throw ValueError("aio::Queue::task_done() called too many times");
    if (--unfinished_ == 0) finished_.set();
  }
  /// `co_await q.join()` (Python's `await q.join()`): returns once
  /// task_done() was called for every item put (at once if so already).
  /// @throws aio::CancelledError when cancelled while it waits.
  [[nodiscard]] detail::WaiterAwaiter join() noexcept {
    detail::WaiterAwaiter w = finished_.wait();
    w.what = "aio::Queue::join";
    return w;
  }

private:
  static bool is_empty(const void* q) { return static_cast<const BasicQueue*>(q)->empty(); }
  static bool is_full(const void* q) { return static_cast<const BasicQueue*>(q)->full(); }

  Store items_;
  detail::Waiters getters_;
  detail::Waiters putters_;
  Event finished_;  // set while unfinished_ is 0
  std::size_t maxsize_;
  std::size_t unfinished_ = 0;
};

/// A first-in first-out queue for tasks (Python's `asyncio.Queue`).
template <class T>
using Queue = BasicQueue<T, detail::FifoStore<T>>;
/// A last-in first-out queue for tasks (Python's `asyncio.LifoQueue`).
template <class T>
using LifoQueue = BasicQueue<T, detail::LifoStore<T>>;
/// A queue that gives its smallest item first (Python's `asyncio.PriorityQueue`;
/// put `std::pair{priority, item}` as Python puts `(priority, item)`).
template <class T, class Compare = std::less<T>>
using PriorityQueue = BasicQueue<T, detail::PriorityStore<T, Compare>>;

}  // namespace mp::aio
