#pragma once
/// @file
/// @brief The event loop's timers (detail): a binary min-heap of nodes that
/// know their own position, so that a cancelled timer leaves in O(log n)
/// and nothing is allocated per timer (a sleeping task's node lives in its
/// coroutine frame).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mp::aio::detail {

/// One timer. `fire(node)` runs when it is due (the loop's thread).
struct TimerNode {
  static constexpr std::uint32_t not_armed = 0xFFFFFFFFU;
  std::chrono::steady_clock::time_point when{};
  std::uint32_t seq = 0;  ///< arming order (wrapping): equal deadlines fire first-armed first
  std::uint32_t index = not_armed;
  void (*fire)(TimerNode* self) = nullptr;

  [[nodiscard]] bool armed() const noexcept { return index != not_armed; }
};

class TimerHeap {
public:
  /// Adds `n` (not armed) at `n.when`.
  void push(TimerNode& n);
  /// Removes `n` if armed.
  void remove(TimerNode& n) noexcept;
  /// The earliest node; nullptr when empty.
  [[nodiscard]] TimerNode* top() const noexcept { return heap_.empty() ? nullptr : heap_.front(); }
  /// Removes and returns the earliest node.
  TimerNode* pop() noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }

private:
  static bool before(const TimerNode* a, const TimerNode* b) noexcept {
    return a->when < b->when || (a->when == b->when && static_cast<std::int32_t>(a->seq - b->seq) < 0);
  }
  void place(std::size_t i, TimerNode* n) noexcept {
    heap_[i] = n;
    n->index = static_cast<std::uint32_t>(i);
  }
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;

  std::vector<TimerNode*> heap_;
  std::uint32_t next_seq_ = 0;
};

}  // namespace mp::aio::detail
