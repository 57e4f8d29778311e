#pragma once
/// @file
/// @brief Spin-waiting (detail): the pause hint and the one bounded spin loop.
///
/// A side that waits for another process or thread usually finds it in the
/// middle of an operation on another core, done within microseconds, while a
/// futex sleep plus a cross-core wake-up costs tens of them. So every blocking
/// path of the runtime first spins for a short budget with spin_until(), and
/// only then sleeps by its own protocol (a futex word, a condition variable).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

namespace mp::detail {

/// One iteration's pause in a spin-wait loop: `pause` (x86) or `yield` (ARM)
/// lets a hyper-thread sibling run and avoids the memory-order flush that a
/// tight loop of loads causes when the awaited store lands. No effect elsewhere.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

/// How a spin ended.
enum class SpinEnd {
  ready,      ///< ready() returned true
  timed_out,  ///< the budget (or the limit) ran out
  preempted,  ///< the spinner lost its core for a while: the machine is oversubscribed
};

/// A gap this long between two of a spin's clock reads (which come every
/// 16 polls, well under a microsecond apart) means the spinner was not
/// running: another thread had its core for a time slice. Spinning on would
/// take the core from the very thread it waits for, so the spin ends there.
/// (Shorter gaps happen on a quiet VM too, from interrupts and the
/// hypervisor: measured, 20 us cut a quiet Manager's calls by 20%.)
inline constexpr std::chrono::microseconds preempted_gap{200};

/// Polls `ready()` with cpu_relax() between polls until it returns true, or
/// until `budget` has passed, or `limit` (when it comes first), or the
/// spinner is found preempted (see preempted_gap). The clock is read once
/// every 16 polls, which keeps its cost (vDSO, ~25 ns) out of the loop.
/// `now`: the clock's reading at the call, when the caller has it already.
template <class Ready>
SpinEnd spin_for(Ready&& ready, std::chrono::nanoseconds budget,
                 std::chrono::steady_clock::time_point limit = std::chrono::steady_clock::time_point::max(),
                 std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
  const auto until = limit - now < budget ? limit : now + budget;
  for (;;) {
    for (int i = 0; i < 16; ++i) {
      if (ready()) return SpinEnd::ready;
      cpu_relax();
    }
    const auto before = now;
    now = std::chrono::steady_clock::now();
    if (now - before > preempted_gap) return ready() ? SpinEnd::ready : SpinEnd::preempted;
    if (now >= until) return ready() ? SpinEnd::ready : SpinEnd::timed_out;
  }
}

/// One call site's spin budget, which backs off while the machine is
/// oversubscribed: after a spin that found itself preempted, the site spins
/// only a token amount (1/32 of its budget) until `calm` has passed without
/// another preemption, then its full budget again. Spinning on a busy
/// machine takes the core from the thread being waited for, and a futex sleep
/// costs no more than the lost time slice. (A budget that also shrank after
/// spins that simply ran out would never grow back where every wait is a
/// little longer than the shrunken budget: measured, a Manager's calls went
/// 10x slower.) A static per site, shared by the process's threads; relaxed,
/// since a lost update only changes one spin.
class SpinBudget {
public:
  /// How long after its last preemption a site keeps spinning short.
  static constexpr std::chrono::milliseconds calm{250};

  explicit constexpr SpinBudget(std::chrono::nanoseconds full) noexcept : full_(full) {}

  /// The budget for a spin starting at `now`.
  std::chrono::nanoseconds next(std::chrono::steady_clock::time_point now) const noexcept {
    const auto since = now.time_since_epoch().count() - preempted_at_.load(relaxed);
    return since < std::chrono::nanoseconds(calm).count() ? full_ / 32 : full_;
  }

  /// Adapts the budget to how a spin ended at `now`.
  void record(SpinEnd end, std::chrono::steady_clock::time_point now) noexcept {
    if (end == SpinEnd::preempted) preempted_at_.store(now.time_since_epoch().count(), relaxed);
  }

private:
  static constexpr auto relaxed = std::memory_order_relaxed;
  const std::chrono::nanoseconds full_;
  std::atomic<std::int64_t> preempted_at_{std::numeric_limits<std::int64_t>::min() / 2};
};

/// spin_for() with a fixed budget: whether ready() returned true.
template <class Ready>
bool spin_until(Ready&& ready, std::chrono::nanoseconds budget,
                std::chrono::steady_clock::time_point limit = std::chrono::steady_clock::time_point::max()) {
  return spin_for(ready, budget, limit) == SpinEnd::ready;
}

/// spin_for() with a call site's adaptive budget, which it then adapts.
template <class Ready>
bool spin_until(Ready&& ready, SpinBudget& budget,
                std::chrono::steady_clock::time_point limit = std::chrono::steady_clock::time_point::max()) {
  const auto now = std::chrono::steady_clock::now();  // one clock read for the budget and the spin
  const SpinEnd end = spin_for(ready, budget.next(now), limit, now);
  if (end == SpinEnd::preempted) budget.record(end, std::chrono::steady_clock::now());
  return end == SpinEnd::ready;
}

}  // namespace mp::detail
