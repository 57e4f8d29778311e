// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in bounded_queue.cpp (the members declared here, and the
//  struct BoundedQueue::Ring).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 02, exercise 2 ("build it"): a bounded FIFO queue between
/// processes, made of shared memory, two semaphores and a lock: the classic
/// construction behind `multiprocessing.Queue(maxsize)`.
///
/// Python counterpart (the same design, with Python's primitives):
/// @code{.py}
/// class BoundedQueue:
///     def __init__(self, capacity):
///         self.slots = Array('q', capacity, lock=False)   # the ring
///         self.head = Value('Q', 0, lock=False)             # next slot to read
///         self.tail = Value('Q', 0, lock=False)             # next slot to write
///         self.free_slots = Semaphore(capacity)
///         self.items = Semaphore(0)
///         self.lock = Lock()
///     def put(self, item, timeout=None):
///         if not self.free_slots.acquire(timeout=timeout): raise queue.Full
///         with self.lock:
///             self.slots[self.tail.value % len(self.slots)] = item
///             self.tail.value += 1
///         self.items.release()
///     def get(self, timeout=None):
///         if not self.items.acquire(timeout=timeout): raise queue.Empty
///         with self.lock:
///             item = self.slots[self.head.value % len(self.slots)]
///             self.head.value += 1
///         self.free_slots.release()
///         return item
/// @endcode
///
/// Lesson: lessons/02-queues/README.md, "Exercise 2: bounded_queue".
#include <cstddef>
#include <cstdint>
#include <memory>

#include <mp/lock.hpp>
#include <mp/semaphore.hpp>
#include <mp/timeout.hpp>

namespace lesson02 {

/// A FIFO queue of at most capacity() 64-bit integers, shared by processes.
///
/// **Handle.** A BoundedQueue is a handle, like mp::Queue: copies, and the
/// copies that forked children inherit, are the same queue. Make it before
/// starting the processes that use it.
///
/// **Design (fixed by the members below).** The items live in a ring of
/// `capacity` slots in anonymous shared memory (`Ring`, which you define in
/// bounded_queue.cpp and make with mp::make_shared_object_with_extra).
/// Two counting semaphores say how many slots are free and how many hold an
/// item, so that put() sleeps while the queue is full and get() while it is
/// empty; a lock makes the update of the ring's read/write positions atomic
/// when several producers or several consumers run at once.
///
/// | state         | put(x) / put(x, t)                   | put_nowait(x) | get() / get(t)                      | get_nowait() |
/// |---------------|--------------------------------------|---------------|-------------------------------------|--------------|
/// | empty         | stores x                             | stores x      | waits (forever / at most t, then mp::Empty) | mp::Empty |
/// | 0 < n < cap   | stores x                             | stores x      | returns the oldest item             | oldest item  |
/// | full (n = cap)| waits (forever / at most t, then mp::Full) | mp::Full | returns the oldest item            | oldest item  |
///
/// **Order.** Items come out in the order their puts stored them (FIFO),
/// across all processes.
///
/// **Processes that die.** A process killed while it waits in put() or get()
/// (inside a semaphore's acquire) takes nothing with it: the queue keeps its
/// items, its free slots and its order. (A process killed in the few
/// instructions between a semaphore and the lock may lose one slot or one
/// item; mp::Lock is robust, so the lock itself is never left held.)
///
/// **Thread and process safety.** Every member may be called at the same time
/// from any thread of any process that has a handle.
///
/// @code
/// lesson02::BoundedQueue q(2);
/// mp::Process producer([q]() mutable { for (std::int64_t i = 0; i < 5; ++i) q.put(i); });
/// producer.start();                        // it blocks whenever 2 items wait
/// for (int i = 0; i < 5; ++i) std::cout << q.get() << ' ';   // 0 1 2 3 4
/// producer.join();
/// @endcode
class BoundedQueue {
public:
  /// An empty queue of `capacity` slots, in shared memory.
  /// @throws mp::ValueError when `capacity` is 0 or above INT32_MAX (what a
  ///         semaphore can count); std::system_error when mmap fails.
  explicit BoundedQueue(std::size_t capacity);

  /// Stores `item` at the end. Waits while the queue is full: forever by
  /// default, at most `timeout` otherwise.
  /// @throws mp::Full when no slot became free in time (nothing was stored).
  void put(std::int64_t item, mp::Timeout timeout = mp::Timeout());

  /// Removes and returns the oldest item. Waits while the queue is empty:
  /// forever by default, at most `timeout` otherwise.
  /// @throws mp::Empty when no item came in time.
  [[nodiscard]] std::int64_t get(mp::Timeout timeout = mp::Timeout());

  /// put() that never waits. @throws mp::Full at once when the queue is full.
  void put_nowait(std::int64_t item);

  /// get() that never waits. @throws mp::Empty at once when the queue is empty.
  [[nodiscard]] std::int64_t get_nowait();

  /// Number of items in the queue: exact while no put or get is under way,
  /// approximate while others use the queue (as Python's qsize). Never blocks
  /// for long.
  [[nodiscard]] std::size_t qsize() const;

  /// The number of slots given at construction.
  [[nodiscard]] std::size_t capacity() const;

private:
  /// The queue's shared memory: defined in bounded_queue.cpp.
  struct Ring;
  std::shared_ptr<Ring> ring_;
  /// Counts free slots: put() takes one (waits at 0), get() gives one back.
  mp::Semaphore free_slots_;
  /// Counts stored items: get() takes one (waits at 0), put() gives one back.
  mp::Semaphore items_;
  /// Guards the ring's read and write positions (mutable: qsize() may lock it).
  mutable mp::Lock lock_;
};

}  // namespace lesson02
