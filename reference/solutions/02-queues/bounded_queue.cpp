// Lesson 02, exercise 2: bounded_queue (see bounded_queue.hpp for the contract).
// Reference solution.
#include "bounded_queue.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>

#include <mp/error.hpp>
#include <mp/shared_object.hpp>

namespace lesson02 {

// The ring, at the start of an anonymous shared mapping; its `capacity`
// slots follow it in the same mapping (make_shared_object_with_extra).
// head and tail count gets and puts since the start; slot i % capacity
// holds item number i. Both change only under lock_, each with one store,
// so a process killed while holding the lock leaves them consistent.
struct BoundedQueue::Ring {
  explicit Ring(std::size_t slots) : capacity(slots) {}
  const std::size_t capacity;
  std::uint64_t head = 0;  // next item to get    (guarded by lock_)
  std::uint64_t tail = 0;  // next item to put    (guarded by lock_)
  std::int64_t* slots() { return reinterpret_cast<std::int64_t*>(this + 1); }
};

namespace {

// Every semaphore wait of one call uses what is left of one deadline.
mp::Timeout left(const mp::Deadline& deadline) {
  return deadline.is_forever() ? mp::Timeout() : mp::Timeout(deadline.remaining());
}

std::size_t checked(std::size_t capacity) {
  if (capacity == 0 || capacity > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw mp::ValueError("BoundedQueue: capacity must be between 1 and INT32_MAX, not " +
                         std::to_string(capacity));
  return capacity;
}

// The ring's two updates, under the lock. (Templates: the private type Ring
// is deduced here, never named.)
template <class R>
void store(R& ring, mp::Lock& lock, std::int64_t item) {
  std::lock_guard guard(lock);
  ring.slots()[ring.tail % ring.capacity] = item;
  ring.tail = ring.tail + 1;  // publishes the item to the next get
}

template <class R>
std::int64_t take(R& ring, mp::Lock& lock) {
  std::lock_guard guard(lock);
  const std::int64_t item = ring.slots()[ring.head % ring.capacity];
  ring.head = ring.head + 1;
  return item;
}

}  // namespace

BoundedQueue::BoundedQueue(std::size_t capacity)
    : ring_(mp::make_shared_object_with_extra<Ring>(checked(capacity) * sizeof(std::int64_t), capacity)),
      free_slots_(static_cast<int>(capacity)),
      items_(0) {}

void BoundedQueue::put(std::int64_t item, mp::Timeout timeout) {
  const mp::Deadline deadline(timeout);
  if (!free_slots_.acquire(true, left(deadline)))
    throw mp::Full("BoundedQueue::put timed out: the queue stayed full (" + std::to_string(ring_->capacity) +
                   " items)");
  store(*ring_, lock_, item);
  items_.release();  // wakes one waiting get()
}

std::int64_t BoundedQueue::get(mp::Timeout timeout) {
  const mp::Deadline deadline(timeout);
  if (!items_.acquire(true, left(deadline)))
    throw mp::Empty("BoundedQueue::get timed out: the queue stayed empty");
  const std::int64_t item = take(*ring_, lock_);
  free_slots_.release();  // wakes one waiting put()
  return item;
}

void BoundedQueue::put_nowait(std::int64_t item) {
  if (!free_slots_.acquire(false)) throw mp::Full("BoundedQueue::put_nowait: the queue is full");
  store(*ring_, lock_, item);
  items_.release();
}

std::int64_t BoundedQueue::get_nowait() {
  if (!items_.acquire(false)) throw mp::Empty("BoundedQueue::get_nowait: the queue is empty");
  const std::int64_t item = take(*ring_, lock_);
  free_slots_.release();
  return item;
}

std::size_t BoundedQueue::qsize() const {
  std::lock_guard guard(lock_);
  return static_cast<std::size_t>(ring_->tail - ring_->head);
}

std::size_t BoundedQueue::capacity() const { return ring_->capacity; }

}  // namespace lesson02
