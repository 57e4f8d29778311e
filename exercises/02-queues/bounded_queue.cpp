// Lesson 02, exercise 2: bounded_queue (see bounded_queue.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 02
#include "bounded_queue.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>

#include <mp/error.hpp>
#include <mp/shared_object.hpp>

namespace lesson02 {

// The ring, at the start of an anonymous shared mapping; its slots follow it
// in the same mapping (mp::make_shared_object_with_extra<Ring>(extra_bytes, args...)).
struct BoundedQueue::Ring {
  // TODO(task 2): the ring's state: its capacity, where the next get reads
  //   and the next put writes (say which lock guards each), and a way to
  //   reach the slots that follow the struct (reinterpret_cast<std::int64_t*>(this + 1)).
};

BoundedQueue::BoundedQueue([[maybe_unused]] std::size_t capacity) {
  // TODO(task 2): check `capacity` (mp::ValueError); make ring_ in shared
  //   memory; start free_slots_ at `capacity` and items_ at 0 (assign new
  //   mp::Semaphore objects, or better, initialise them in the member
  //   initialiser list: free_slots_(...), items_(...)).
  throw mp::NotImplemented("02/task 2: BoundedQueue() in exercises/02-queues/bounded_queue.cpp");
}

void BoundedQueue::put([[maybe_unused]] std::int64_t item, [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 2): take a free slot (free_slots_.acquire with what is left of
  //   ONE mp::Deadline; mp::Full when it fails), store the item under lock_,
  //   then give an item to the consumers (items_.release()).
  throw mp::NotImplemented("02/task 2: BoundedQueue::put() in exercises/02-queues/bounded_queue.cpp");
}

std::int64_t BoundedQueue::get([[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 2): the mirror image of put(): take an item (items_; mp::Empty
  //   when it fails), read the oldest slot under lock_, free the slot.
  throw mp::NotImplemented("02/task 2: BoundedQueue::get() in exercises/02-queues/bounded_queue.cpp");
}

void BoundedQueue::put_nowait([[maybe_unused]] std::int64_t item) {
  // TODO(task 2): as put(), with a semaphore acquire that does not block.
  throw mp::NotImplemented("02/task 2: BoundedQueue::put_nowait() in exercises/02-queues/bounded_queue.cpp");
}

std::int64_t BoundedQueue::get_nowait() {
  // TODO(task 2): as get(), with a semaphore acquire that does not block.
  throw mp::NotImplemented("02/task 2: BoundedQueue::get_nowait() in exercises/02-queues/bounded_queue.cpp");
}

std::size_t BoundedQueue::qsize() const {
  // TODO(task 2): how many items are in the ring now?
  throw mp::NotImplemented("02/task 2: BoundedQueue::qsize() in exercises/02-queues/bounded_queue.cpp");
}

std::size_t BoundedQueue::capacity() const {
  // TODO(task 2): the capacity given to the constructor.
  throw mp::NotImplemented("02/task 2: BoundedQueue::capacity() in exercises/02-queues/bounded_queue.cpp");
}

}  // namespace lesson02
