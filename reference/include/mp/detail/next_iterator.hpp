#pragma once
/// @file
/// @brief detail::NextIterator: the range-for iterator of a type whose next()
/// returns std::optional (mp::IMapIterator, mp::AsCompleted).
#include <cstddef>
#include <iterator>
#include <optional>

namespace mp::detail {

/// An input iterator over `owner->next()`: each step calls it, and the first
/// nullopt is the end. The owner outlives the iteration (a range-for keeps
/// it alive); whatever next() throws leaves the step.
template <class Owner, class V>
class NextIterator {
public:
  using iterator_category = std::input_iterator_tag;  ///< single pass
  using value_type = V;                               ///< what next() yields
  using difference_type = std::ptrdiff_t;             ///< required by the iterator concepts
  using pointer = V*;                                 ///< to the current value
  using reference = V&;                               ///< to the current value

  /// A past-the-end iterator.
  NextIterator() = default;
  /// Starts iterating `owner`: waits for its first value.
  explicit NextIterator(Owner* owner) : owner_(owner) { ++*this; }
  /// The current value.
  V& operator*() { return *current_; }
  /// The current value.
  V* operator->() { return &*current_; }
  /// Waits for the next value (or the end).
  NextIterator& operator++() {
    current_ = owner_->next();
    return *this;
  }
  /// As prefix ++ (input iterators return nothing useful here).
  void operator++(int) { ++*this; }
  /// Whether the iteration reached the end.
  friend bool operator==(const NextIterator& it, std::default_sentinel_t) noexcept { return !it.current_; }

private:
  Owner* owner_ = nullptr;
  std::optional<V> current_;
};

}  // namespace mp::detail
