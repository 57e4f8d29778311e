#pragma once
/// @file
/// @brief The sleeping half of the runtime's wait protocol, written once (detail).
///
/// Every blocking path of the runtime (the byte ring's put and get, a pool's
/// worker waiting for a task, a caller waiting for a result, a job's waiters,
/// as_completed) first spins for a short budget (spin_until, mp/detail/spin.hpp)
/// and then sleeps on a futex word that its waker bumps. The sleep is always
/// the same handshake (a Dekker pairing: store, fence, load on both sides):
///
///     waiter: seen = word; announce(); fence; ready()?  → no sleep
///             futex_wait(word, seen)                     → the kernel sleeps only if word == seen
///     waker:  make ready; bump word; fence; announced?  → futex_wake(word)
///
/// Either the waker sees the announcement and wakes the waiter, or the
/// waiter's re-check sees the change, or the kernel sees the bumped word and
/// returns at once: no wake-up is lost. A waker killed between its change and
/// its wake leaves a sleeper that nobody wakes: callers that can meet such a
/// waker sleep in slices (futex::recheck_slice) and look again.
#include <atomic>
#include <cstdint>

#include "mp/detail/futex.hpp"
#include "mp/timeout.hpp"

namespace mp::detail {

/// How sleep_announced() ended.
enum class SleepEnd {
  ready,     ///< ready() held once announced: no sleep
  woken,     ///< the futex wait returned early (a wake, the word changed, a signal)
  timed_out  ///< `until` passed
};

/// Sleeps on `word` while it holds `seen` (read by the caller before its own
/// last check), announced to the waker: runs `announce()` (the store or
/// increment that the waker reads), a seq_cst fence, re-checks `ready()`,
/// then waits at most until `until`. `retract()` runs on every way out,
/// also when the futex call throws. See the file notes for the pairing.
template <class Ready, class Announce, class Retract>
SleepEnd sleep_announced(std::atomic<std::uint32_t>& word, std::uint32_t seen, Ready&& ready,
                         Announce&& announce, Retract&& retract, const Deadline& until) {
  announce();
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (ready()) {
    retract();
    return SleepEnd::ready;
  }
  bool woken = false;
  try {
    woken = futex::wait(&word, seen, until);
  } catch (...) {
    retract();
    throw;
  }
  retract();
  return woken ? SleepEnd::woken : SleepEnd::timed_out;
}

/// As above, reading `seen` from `word` first (acquire).
template <class Ready, class Announce, class Retract>
SleepEnd sleep_announced(std::atomic<std::uint32_t>& word, Ready&& ready, Announce&& announce,
                         Retract&& retract, const Deadline& until) {
  const std::uint32_t seen = word.load(std::memory_order_acquire);
  return sleep_announced(word, seen, ready, announce, retract, until);
}

}  // namespace mp::detail
