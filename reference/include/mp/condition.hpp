#pragma once
/// @file
/// @brief `mp::Condition`: a process-shared condition variable (Python's
/// `multiprocessing.Condition`), and detail::SharedCondVar, the futex-based
/// wait queue under Condition, Event and Barrier.
///
/// A Condition pairs a Lock with a wait queue. A process holding the lock
/// finds that it cannot go on (the queue is empty, the work is not ready),
/// and wait() releases the lock, sleeps until another process calls notify(),
/// and takes the lock back before returning. Always wait in a loop on the
/// condition you need, or use wait_for(), which does that loop for you:
///
/// @code
/// // Shared: struct Box { int items = 0; } made with mp::detail::make_shared_object
/// mp::Condition cond;                         // before fork
///
/// // consumer (any process)
/// std::unique_lock guard(cond);               // Python: `with cond:`
/// if (cond.wait_for([&] { return box->items > 0; }, 1s)) --box->items;
///
/// // producer (any process)
/// { std::lock_guard guard(cond); ++box->items; cond.notify(); }
/// @endcode
///
/// ### Why a Lock and not Python's default RLock
/// A condition wait must release the lock *completely* and take it back
/// afterwards. Python's Condition does that with an RLock by saving and
/// restoring its recursion count; a futex or pthread condition wait releases
/// the mutex exactly once, so an RLock held twice would stay held while we
/// sleep and nobody could ever notify us. A Lock is held exactly once, which
/// makes that mistake impossible.
///
/// ### Why not pthread_cond_t
/// glibc's condition variable keeps per-waiter counts in the shared object.
/// A process killed while waiting (SIGKILL, crash) never gives its count back,
/// and later notify() calls can then wait for it forever (we reproduced this
/// with glibc 2.36: the next waiter is never woken). Our wait queue keeps only
/// a sequence number that waiters read, so a dead waiter changes nothing for
/// the living.
///
/// ### States of one waiter
/// | state                 | event                        | next state / result             |
/// |-----------------------|------------------------------|---------------------------------|
/// | holding the lock      | wait(timeout)                | sleeping, lock released         |
/// | sleeping              | notify()/notify_all(), or a spurious wake-up | re-acquiring the lock → wait() returns true |
/// | sleeping              | the timeout passes           | re-acquiring the lock → wait() returns false |
/// | not holding the lock  | wait() or notify()           | mp::Error, nothing changes      |
///
/// **Blocking.** wait() blocks until notified or the timeout passes (CLOCK_MONOTONIC),
/// then also until it gets the lock back (without a time limit, as in Python).
/// notify() never blocks. A notify reaches only processes already waiting; it
/// is not remembered (use mp::Event or mp::Semaphore for that).
///
/// **Owner death.** The lock is a robust mp::Lock: if the holder dies, the next
/// process to get the lock, including one returning from wait(), sees
/// owner_died() true. A process killed while waiting affects nobody. A
/// process killed inside notify(), after it counted the notify and before its
/// wake-up call, wakes nobody at once: sleepers look again every 50 ms
/// (mp::detail::futex::recheck_interval) and return from wait() then. The
/// same look makes waiters that a notify(1) did not wake return within 50 ms
/// too (a spurious wake-up, which wait_for() absorbs).
///
/// **Thread and process safety.** Every member may be called from any thread
/// of any process sharing the condition; wait/notify need the lock held.
#include <atomic>
#include <concepts>
#include <cstdint>
#include <memory>
#include <utility>

#include "mp/detail/robust_mutex.hpp"
#include "mp/error.hpp"
#include "mp/lock.hpp"
#include "mp/timeout.hpp"

namespace mp::detail {

/// A wait queue in shared memory, used together with a RobustMutex: the
/// building block of Condition, Event and Barrier. Waiters sleep on a futex
/// over a sequence number that every notify bumps; nothing in it belongs to a
/// particular waiter, so a waiter that dies leaves it intact.
/// Construct it in shared memory (it is not copyable).
class SharedCondVar {
public:
  SharedCondVar() = default;
  SharedCondVar(const SharedCondVar&) = delete;
  SharedCondVar& operator=(const SharedCondVar&) = delete;

  /// How a wait ended.
  struct Outcome {
    bool notified;     ///< false: the deadline passed (true may also be a spurious wake-up)
    Acquire relocked;  ///< how the mutex was taken back (owner_died: repair the data)
  };

  /// The caller holds `m`. Releases it, sleeps until a notify or the
  /// deadline, and takes `m` back (without a deadline) before returning.
  /// @throws std::system_error(EPERM) from the unlock when the caller does not
  /// hold `m` (nothing has changed then).
  Outcome wait(RobustMutex& m, const Deadline& deadline);

  /// Wakes at least min(n, number of waiters) waiters, possibly more.
  /// Call it holding the mutex the waiters use.
  void notify(int n = 1);
  /// Wakes every waiter. Call it holding the mutex the waiters use.
  void notify_all();

private:
  void wake(int n);

  // The futex word. Bumped by every notify, read by a waiter before it
  // releases the mutex: a notify after that read changes it, so the futex
  // wait returns at once and no wake-up is lost. Both accesses happen under
  // the mutex, which orders them; seq_cst on the bump pairs with the waiter
  // count below (store-then-load on both sides).
  std::atomic<std::uint32_t> seq_{0};
  // Waiters between "registered" and "woke up": lets notify skip the wake
  // system call when nobody waits. seq_cst, see above. A waiter killed while
  // sleeping leaves it one too high: notify then only makes a needless call.
  std::atomic<std::uint32_t> waiters_{0};
};

}  // namespace mp::detail

namespace mp {

/// A process-shared condition variable bound to an mp::Lock (Python's
/// `multiprocessing.Condition`). A handle: copies share the lock and the wait
/// queue. See the file's documentation for the rules and the state table.
class Condition {
public:
  /// A condition over `lock` (a new Lock by default). Pass an existing Lock
  /// to guard data with the same lock that other code already takes.
  explicit Condition(Lock lock = Lock());

  /// Acquires the underlying lock; see Lock::acquire.
  bool acquire(bool block = true, Timeout timeout = {}) { return lock_.acquire(block, timeout); }
  /// Releases the underlying lock; see Lock::release.
  void release() { lock_.release(); }
  /// Lock::lock on the underlying lock.
  void lock() { lock_.lock(); }
  /// Lock::try_lock on the underlying lock.
  [[nodiscard]] bool try_lock() { return lock_.try_lock(); }
  /// Lock::unlock on the underlying lock.
  void unlock() { lock_.unlock(); }
  /// Whether the last acquisition of the lock (including the one at the end
  /// of a wait) took it from a holder that died; see Lock::owner_died.
  [[nodiscard]] bool owner_died() const noexcept { return lock_.owner_died(); }

  /// Python's `wait(timeout=None)`: releases the lock, sleeps until notified
  /// or until `timeout` passes, re-acquires the lock. Returns false when it
  /// timed out. May also return true without a notify (spurious wake-up):
  /// check your condition again, or use wait_for().
  /// @throws mp::Error when the calling thread does not hold the lock.
  bool wait(Timeout timeout = {});

  /// Python's `wait_for(predicate, timeout=None)`: waits until `pred()` is
  /// true or `timeout` passes (one deadline for the whole loop) and returns
  /// the last value of `pred()`, which is evaluated with the lock held.
  /// Returns at once when it is already true.
  /// @throws mp::Error when the calling thread does not hold the lock.
  template <class Predicate>
  requires std::invocable<Predicate&>
  auto wait_for(Predicate pred, Timeout timeout = {}) -> decltype(pred()) {
    const Deadline deadline(timeout);
    auto result = pred();
    while (!result) {
      if (deadline.expired()) break;
      wait_until(deadline);
      result = pred();
    }
    return result;
  }

  /// Python's `notify(n=1)`: wakes up at least min(n, waiting) of the
  /// processes waiting now (possibly more: waiters re-check their condition).
  /// Never blocks. @throws mp::Error when the calling thread does not hold the lock;
  /// mp::ValueError when n < 0.
  void notify(int n = 1);
  /// Python's `notify_all()`: wakes every process waiting now. Never blocks.
  /// @throws mp::Error when the calling thread does not hold the lock.
  void notify_all();

private:
  bool wait_until(const Deadline& deadline);
  void require_held(const char* what);

  Lock lock_;
  std::shared_ptr<detail::SharedCondVar> cv_;
};

}  // namespace mp
