#pragma once
/// @file
/// @brief Futex wait/wake on a 32-bit word in memory shared between processes.
///
/// A futex is the kernel's "sleep while this word still holds this value"
/// primitive. The runtime's own blocking objects (the queue's byte ring) are
/// built on it: the fast path is a plain atomic operation in user space, and
/// the kernel is entered only to sleep or to wake a sleeper.
///
/// These helpers never use `FUTEX_PRIVATE_FLAG`: the words live in `MAP_SHARED`
/// memory that forked children map too, and a private futex would only match
/// waiters of the calling process.
///
/// Usage (the classic "sequence word" pattern; `seq` and `ready` in shared memory):
/// @code
/// // waiter
/// std::uint32_t seen = seq.load(std::memory_order_acquire);
/// while (!ready.load(std::memory_order_acquire)) {
///   if (!mp::detail::futex::wait(&seq, seen, deadline)) throw mp::TimeoutError("...");
///   seen = seq.load(std::memory_order_acquire);
/// }
/// // waker
/// ready.store(true, std::memory_order_release);
/// seq.fetch_add(1, std::memory_order_release);
/// mp::detail::futex::wake(&seq, 1);
/// @endcode
#include <atomic>
#include <chrono>
#include <cstdint>

#include "mp/timeout.hpp"

namespace mp::detail::futex {

/// Sleeps while `*word == expected`, until woken, or until `deadline` passes.
///
/// Returns at once when the word no longer holds `expected` (so a wake that
/// happened between reading the word and calling wait() is never lost).
/// May also return spuriously (a signal, another futex user): callers
/// always re-check their condition in a loop.
///
/// @return false when the deadline passed, true otherwise (woken, value
///         changed, or interrupted: re-check the condition).
/// @throws std::system_error("futex") on unexpected kernel errors (EFAULT, EINVAL).
/// Thread- and process-safe.
bool wait(const std::atomic<std::uint32_t>* word, std::uint32_t expected, const Deadline& deadline);

/// Wakes up to `n` threads (in any process) sleeping in wait() on `word`.
/// @return how many were woken. @throws std::system_error("futex") on kernel errors.
int wake(const std::atomic<std::uint32_t>* word, int n);

/// Wakes every thread sleeping in wait() on `word`.
int wake_all(const std::atomic<std::uint32_t>* word);

/// The longest a runtime sleeper sleeps before it re-checks the state it
/// waits on by itself. A waker killed between publishing a change and its
/// wake system call (or a woken waiter killed before it passes the wake on)
/// would otherwise leave sleepers asleep forever; with bounded sleeps such a
/// lost wake-up costs at most this much delay. Long enough that an idle
/// sleeper costs nothing measurable (a few wake-ups a second), short enough
/// that a survivor of a kill goes on well within any test's deadline.
inline constexpr std::chrono::milliseconds recheck_interval{50};

/// `deadline`, or `recheck_interval` from now when that comes first: the
/// deadline of one bounded sleep.
inline Deadline recheck_slice(const Deadline& deadline) noexcept {
  if (!deadline.is_forever() && deadline.remaining() <= recheck_interval) return deadline;
  return Deadline(Timeout(recheck_interval));
}

}  // namespace mp::detail::futex
