#pragma once
/// @file
/// @brief `mp::Lock` and mp::RLock: process-shared mutexes (Python's
/// `multiprocessing.Lock` and `multiprocessing.RLock`) that survive the death
/// of their owner.
///
/// Both are **handles**: copying one gives another handle to the *same* lock,
/// which lives in an anonymous shared mapping. Make the lock before you start
/// the processes that use it; a forked child uses its inherited copy.
///
/// @code
/// mp::Lock lock;                                // before fork
/// mp::Process p([&] {
///   std::lock_guard guard(lock);                // Python: `with lock:`
///   std::cout << "hello from the child\n";
/// });
/// p.start();
/// { std::lock_guard guard(lock); std::cout << "hello from the parent\n"; }
/// p.join();
/// @endcode
///
/// ### When the owner dies
/// A process that dies while holding a Lock (killed, crashed, `_exit` in the
/// critical section) does **not** leave everyone else blocked, as it would in
/// Python: the kernel hands the lock to the next process that asks for it
/// (robust mutex, `EOWNERDEAD`). That acquisition succeeds, and
/// owner_died() then returns true, because the data the lock guards may be
/// half-updated. Check it after acquiring and repair what the lock protects:
///
/// @code
/// struct Account { long balance; long pending; };   // invariant: pending == 0 outside the lock
///
/// std::lock_guard guard(lock);
/// if (lock.owner_died()) {
///   // The previous holder died mid-update: restore the invariant before using the data.
///   account->balance -= account->pending;
///   account->pending = 0;
/// }
/// account->pending = amount; account->balance += amount; account->pending = 0;
/// @endcode
///
/// owner_died() stays true until the next acquisition that finds a living
/// owner's release (a "normal" one), so any later holder also sees it until then.
///
/// ### Differences from Python, and why
/// - **Relocking in the same thread raises mp::Error** (for a blocking or
///   timed acquire). Python's Lock would wait for itself forever (or until the
///   timeout): a deadlock, which here becomes an error that names the bug.
///   A non-blocking acquire (`acquire(false)`, `try_lock()`) returns false, as in
///   Python. Use mp::RLock when re-entering is what you mean.
/// - **Only the holder may release.** Releasing a Lock the calling thread does
///   not hold raises mp::ValueError (Python: `ValueError: semaphore or lock
///   released too many times` / `release unlocked lock`). Python's Lock is a
///   semaphore and lets *another* process release it; ours cannot, because
///   surviving the owner's death needs an owner: the kernel must know whose
///   death frees the lock.
///
/// ### States
/// | state     | acquire (blocking)              | acquire(false) / try_lock | release            |
/// |-----------|---------------------------------|---------------------------|--------------------|
/// | unlocked  | → held by caller                | → held by caller, true    | mp::ValueError     |
/// | held by caller | mp::Error (self-deadlock)  | false                     | → unlocked         |
/// | held by another | waits until released or the timeout: → held by caller, or false | false | mp::ValueError |
/// | owner died while holding | → held by caller, owner_died() true | → held by caller, true, owner_died() true | mp::ValueError |
///
/// **Cost.** Uncontended acquire+release is one atomic compare-and-swap each way
/// (about 15-20 ns, no system call); a waiter sleeps in the kernel (futex).
///
/// **Thread and process safety.** Every member is safe to call from any thread
/// of any process that shares the lock. The handle object itself (its
/// shared_ptr) follows the rules of std::shared_ptr.
#include <atomic>
#include <memory>

#include "mp/detail/robust_mutex.hpp"
#include "mp/error.hpp"
#include "mp/timeout.hpp"

namespace mp {

namespace detail {
struct TestAccess;  // defined only by the fault tests, to reach a lock's mutex
}  // namespace detail

class Condition;

/// The API that mp::Lock and mp::RLock share (the role of Python's
/// `multiprocessing.synchronize.SemLock`, their common base): acquire, release,
/// the C++ Lockable protocol and owner_died(). Use it through those two
/// classes; they differ only in what a re-acquisition by the holding thread
/// does (see each one's state table). A handle: copies share the lock.
class BasicLock {
public:
  /// Python's `acquire(block=True, timeout=None)`.
  /// - `block` true, no timeout: waits until the lock is free; returns true.
  /// - `block` true with `timeout`: waits at most `timeout`; returns whether it got the lock.
  /// - `block` false: never waits; returns whether it got the lock (`timeout` is
  ///   ignored, as Python's multiprocessing does).
  ///
  /// When the calling thread already holds it: an mp::RLock is taken once more
  /// (never raises for re-entry: that is what an RLock is for); an mp::Lock
  /// answers false to a non-blocking acquire.
  /// @throws mp::Error (mp::Lock only) when the calling thread already holds it and `block` is true.
  bool acquire(bool block = true, Timeout timeout = {});

  /// Python's `release()`; an mp::RLock releases one level.
  /// @throws mp::ValueError when the calling thread does not hold the lock.
  void release();

  /// @name Lockable protocol
  /// For std::lock_guard, std::unique_lock and std::scoped_lock (C++
  /// BasicLockable and Lockable); an mp::RLock may be taken again by the thread
  /// that holds it, like acquire().
  //! @{

  /// acquire(true): blocks until held.
  /// @throws mp::Error (mp::Lock only) when the calling thread already holds it.
  void lock() { acquire(true); }
  /// acquire(false): never blocks; whether it got the lock.
  [[nodiscard]] bool try_lock() { return acquire(false); }
  /// release(); throws as it does.
  void unlock() { release(); }
  //! @}

  /// Whether the most recent acquisition took the lock from a process (or
  /// thread) that died holding it, so the data it guards may be inconsistent.
  /// Meaningful to the current holder; stays true until an acquisition that
  /// follows a normal release.
  [[nodiscard]] bool owner_died() const noexcept;

protected:
  /// Makes a new lock, unlocked, in shared memory; `recursive` for an mp::RLock.
  /// @throws std::system_error when the shared mapping or the mutex cannot be made.
  explicit BasicLock(bool recursive);

private:
  friend class Condition;
  friend struct detail::TestAccess;

  struct State {
    explicit State(bool is_recursive) : mutex(is_recursive), recursive(is_recursive) {}
    detail::RobustMutex mutex;
    const bool recursive;  // names the type in error messages
    // Written only by the holder, right after acquiring; relaxed is enough:
    // the mutex's own acquire/release ordering carries it to the next holder,
    // and a reader that does not hold the lock only gets a hint anyway.
    std::atomic<bool> owner_died{false};
  };

  std::shared_ptr<State> state_;
};

/// A non-recursive, process-shared, robust lock (Python's `multiprocessing.Lock`).
/// See the file's documentation for owner death, misuse and the state table;
/// the members are mp::BasicLock's.
class Lock : public BasicLock {
public:
  /// Makes a new lock, unlocked, in shared memory.
  /// @throws std::system_error when the shared mapping or the mutex cannot be made.
  Lock() : BasicLock(false) {}
};

/// A recursive, process-shared, robust lock (Python's `multiprocessing.RLock`):
/// the thread that holds it may acquire it again, and must release it as many
/// times as it acquired it. Owner death works as for mp::Lock; the members are
/// mp::BasicLock's.
///
/// | state     | acquire (blocking)      | acquire(false) / try_lock | release            |
/// |-----------|-------------------------|---------------------------|--------------------|
/// | unlocked  | → held once by caller   | → held once, true         | mp::ValueError     |
/// | held n times by caller | → held n+1 times | → held n+1 times, true | → held n-1 times (unlocked at 0) |
/// | held by another | waits (or until the timeout) | false         | mp::ValueError     |
/// | owner died while holding | → held once by caller, owner_died() true | same, true | mp::ValueError |
///
/// @code
/// mp::RLock rlock;
/// std::lock_guard outer(rlock);
/// { std::lock_guard inner(rlock); }   // fine: same thread
/// @endcode
class RLock : public BasicLock {
public:
  /// Makes a new recursive lock, unlocked, in shared memory.
  /// @throws std::system_error when the shared mapping or the mutex cannot be made.
  RLock() : BasicLock(true) {}
};

}  // namespace mp
