#pragma once
/// @file
/// @brief Spin-waiting (detail): the pause hint and the one bounded spin loop.
///
/// A side that waits for another process or thread usually finds it in the
/// middle of an operation on another core, done within microseconds, while a
/// futex sleep plus a cross-core wake-up costs tens of them. So every blocking
/// path of the runtime first spins for a short budget with spin_until(), and
/// only then sleeps by its own protocol (a futex word, a condition variable).
#include <chrono>

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

/// Polls `ready()` with cpu_relax() between polls until it returns true, or
/// until `budget` has passed, or `limit` (when it comes first). The clock is
/// read once every 16 polls, which keeps its cost (vDSO, ~25 ns) out of the loop.
/// @return true when ready() returned true; false when the time ran out.
template <class Ready>
bool spin_until(Ready&& ready, std::chrono::nanoseconds budget,
                std::chrono::steady_clock::time_point limit = std::chrono::steady_clock::time_point::max()) {
  const auto now = std::chrono::steady_clock::now();
  const auto until = limit - now < budget ? limit : now + budget;
  do {
    for (int i = 0; i < 16; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
  } while (std::chrono::steady_clock::now() < until);
  return ready();
}

}  // namespace mp::detail
