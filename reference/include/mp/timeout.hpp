#pragma once
/// @file
/// @brief `mp::Timeout`: how long a blocking call may wait ("timeout=None" or seconds in Python).
#include <chrono>
#include <ctime>
#include <limits>

namespace mp {

/// How long a blocking call may wait. Python passes `timeout=None` (forever)
/// or a number of seconds; here any `std::chrono::duration` converts
/// implicitly (`100ms`, `1.5s`), and a default-constructed Timeout waits forever.
/// A negative duration counts as zero: the call does not block.
class Timeout {
public:
  /// Wait forever (Python's `timeout=None`).
  constexpr Timeout() noexcept = default;
  /// Wait at most `d`.
  template <class Rep, class Period>
  constexpr Timeout(std::chrono::duration<Rep, Period> d) noexcept  // NOLINT(google-explicit-constructor)
      : ns_(clamp(std::chrono::duration<double, std::nano>(d).count())), forever_(false) {}

  /// A timeout of zero: do not block.
  static constexpr Timeout zero() noexcept { return Timeout(std::chrono::nanoseconds::zero()); }
  /// No limit: wait forever (the same as a default-constructed Timeout).
  static constexpr Timeout forever() noexcept { return Timeout(); }

  /// Whether this is "no limit".
  [[nodiscard]] constexpr bool is_forever() const noexcept { return forever_; }
  /// The duration; meaningless when is_forever().
  [[nodiscard]] constexpr std::chrono::nanoseconds duration() const noexcept { return ns_; }

private:
  // Negative -> 0; beyond ~31 years -> ~31 years (no overflow in clock arithmetic).
  static constexpr std::chrono::nanoseconds clamp(double ns) noexcept {
    constexpr double max_ns = 1e18;
    if (!(ns > 0)) return std::chrono::nanoseconds::zero();
    if (ns > max_ns) ns = max_ns;
    auto whole = static_cast<std::chrono::nanoseconds::rep>(ns);
    return std::chrono::nanoseconds(whole < ns ? whole + 1 : whole);
  }

  std::chrono::nanoseconds ns_{0};
  bool forever_ = true;
};

/// A point on the monotonic clock by which a blocking call must return.
/// Made once from a Timeout at the start of a call, so that retries after
/// spurious wake-ups or EINTR do not stretch the wait.
class Deadline {
public:
  using clock = std::chrono::steady_clock;  ///< Monotonic: changes of the wall clock do not move a deadline.

  /// The deadline `t` from now (never, when `t` is forever).
  explicit Deadline(Timeout t) noexcept
      : forever_(t.is_forever()), at_(forever_ ? clock::time_point::max() : clock::now() + t.duration()) {}

  /// Whether there is no deadline.
  [[nodiscard]] bool is_forever() const noexcept { return forever_; }
  /// Whether the deadline has passed (never when forever).
  [[nodiscard]] bool expired() const noexcept { return !forever_ && clock::now() >= at_; }
  /// The deadline on clock (`time_point::max()` when forever).
  [[nodiscard]] clock::time_point at() const noexcept { return at_; }

  /// Time left, never negative; `nanoseconds::max()` when forever.
  [[nodiscard]] std::chrono::nanoseconds remaining() const noexcept {
    if (forever_) return std::chrono::nanoseconds::max();
    auto left = at_ - clock::now();
    return left < left.zero() ? std::chrono::nanoseconds::zero()
                              : std::chrono::duration_cast<std::chrono::nanoseconds>(left);
  }

  /// Milliseconds left for poll(2): -1 forever, rounded up so we never spin.
  [[nodiscard]] int poll_ms() const noexcept {
    if (forever_) return -1;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(remaining()).count();
    return ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max() : static_cast<int>(ms);
  }

  /// Absolute CLOCK_MONOTONIC time for pthread_*_clock*, sem_clockwait.
  /// steady_clock is CLOCK_MONOTONIC in libstdc++ and libc++ on Linux.
  [[nodiscard]] timespec monotonic_abs() const noexcept {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at_.time_since_epoch()).count();
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  }

  /// Relative time left as a timespec, for futex waits.
  [[nodiscard]] timespec relative() const noexcept {
    auto ns = remaining().count();
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  }

private:
  bool forever_;
  clock::time_point at_;
};

}  // namespace mp
