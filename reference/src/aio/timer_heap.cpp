// The event loop's timer heap (mp/aio/timer_heap.hpp).
#include "mp/aio/timer_heap.hpp"

namespace mp::aio::detail {

void TimerHeap::push(TimerNode& n) {
  n.seq = next_seq_++;
  heap_.push_back(&n);
  sift_up(heap_.size() - 1);
}

void TimerHeap::remove(TimerNode& n) noexcept {
  if (!n.armed()) return;
  const std::size_t i = n.index;
  TimerNode* last = heap_.back();
  heap_.pop_back();
  n.index = TimerNode::not_armed;
  if (last == &n) return;
  place(i, last);
  sift_up(i);
  sift_down(last->index);
}

TimerNode* TimerHeap::pop() noexcept {
  TimerNode* t = top();
  if (t != nullptr) remove(*t);
  return t;
}

void TimerHeap::sift_up(std::size_t i) noexcept {
  TimerNode* n = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!before(n, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, n);
}

void TimerHeap::sift_down(std::size_t i) noexcept {
  TimerNode* n = heap_[i];
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], n)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, n);
}

}  // namespace mp::aio::detail
