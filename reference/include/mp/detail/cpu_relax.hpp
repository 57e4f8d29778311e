#pragma once
/// @file
/// @brief The pause hint for spin-wait loops (detail).
///
/// A spinning core that executes `pause` (x86) or `yield` (ARM) lets its
/// hyper-thread sibling run and avoids the memory-order flush that a tight
/// loop of loads causes when the awaited store finally lands.

namespace mp::detail {

/// One iteration's pause in a spin-wait loop; no effect on other architectures.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace mp::detail
