#pragma once
/// @file
/// @brief The proxies of mp::Manager's synchronisation objects and queues:
/// mp::LockProxy, mp::EventProxy, mp::SemaphoreProxy, mp::ConditionProxy,
/// mp::BarrierProxy, mp::QueueProxy, mp::JoinableQueueProxy (Python's
/// `AcquirerProxy`, `EventProxy`, `ConditionProxy`, `BarrierProxy`, and the
/// manager's `Queue` / `JoinableQueue`). See mp/proxy.hpp for what every
/// proxy is; each blocking method blocks the calling thread until the
/// manager answers, at most its timeout.
#include <cstdint>
#include <tuple>

#include "mp/detail/managed_sync.hpp"
#include "mp/detail/managed_types.hpp"
#include "mp/error.hpp"
#include "mp/proxy.hpp"
#include "mp/timeout.hpp"

namespace mp {

namespace detail::manager {
/// A Timeout as the manager's methods take it: nanoseconds, -1 for forever.
inline std::int64_t timeout_ns(Timeout t) {
  return t.is_forever() ? -1 : static_cast<std::int64_t>(t.duration().count());
}
}  // namespace detail::manager

/// A lock in a manager (Python's `manager.Lock()` / `manager.RLock()`). Its
/// owner is the thread and process that acquired it: only the owner releases
/// it. When the owner ends or is killed while it holds the lock, the manager
/// releases it and the next acquire() succeeds with owner_died() true (as
/// mp::Lock does). Also the C++ Lockable protocol (std::lock_guard).
class LockProxy : public BaseProxy {
public:
  /// The server-side type.
  using Managed = detail::manager::ManagedLock;
  using BaseProxy::BaseProxy;

  /// Takes the lock (Python's `acquire(block=True, timeout=None)`). Blocks
  /// until it is free, at most `timeout`. @return whether it was taken.
  bool acquire(bool block = true, Timeout timeout = {}) {
    const auto [taken, died] =
        this->template call<std::tuple<bool, bool>>("acquire", block, detail::manager::timeout_ns(timeout));
    if (taken) owner_died_ = died;
    return taken;
  }
  /// Gives the lock back. @throws mp::ValueError when this thread does not hold it.
  void release() { this->template call<void>("release"); }
  /// Whether someone holds it now.
  [[nodiscard]] bool locked() const { return this->template call<bool>("locked"); }
  /// Whether the last acquire() took the lock from an owner that died holding it.
  [[nodiscard]] bool owner_died() const noexcept { return owner_died_; }

  /// Lockable: acquire().
  void lock() { (void)acquire(); }
  /// Lockable: acquire(false).
  bool try_lock() { return acquire(false); }
  /// Lockable: release().
  void unlock() { release(); }

private:
  bool owner_died_ = false;
};

/// An event in a manager (Python's `manager.Event()`).
class EventProxy : public BaseProxy {
public:
  /// The server-side type.
  using Managed = detail::manager::ManagedEvent;
  using BaseProxy::BaseProxy;
  /// Sets the flag and wakes every waiter.
  void set() const { this->template call<void>("set"); }
  /// Clears the flag.
  void clear() const { this->template call<void>("clear"); }
  /// Whether the flag is set.
  [[nodiscard]] bool is_set() const { return this->template call<bool>("is_set"); }
  /// Blocks until the flag is set, at most `timeout`; whether it is set.
  bool wait(Timeout timeout = {}) const {
    return this->template call<bool>("wait", detail::manager::timeout_ns(timeout));
  }
};

/// A semaphore in a manager (Python's `manager.Semaphore(n)` /
/// `BoundedSemaphore(n)`). Also the C++ Lockable protocol.
class SemaphoreProxy : public BaseProxy {
public:
  /// The server-side type.
  using Managed = detail::manager::ManagedSemaphore;
  using BaseProxy::BaseProxy;
  /// Takes one unit, blocking while there is none, at most `timeout`; whether taken.
  bool acquire(bool block = true, Timeout timeout = {}) const {
    return this->template call<bool>("acquire", block, detail::manager::timeout_ns(timeout));
  }
  /// Gives back `n` units. @throws mp::ValueError past a bounded semaphore's initial value.
  void release(std::int64_t n = 1) const { this->template call<void>("release", n); }
  /// The units available now.
  [[nodiscard]] std::int64_t get_value() const { return this->template call<std::int64_t>("get_value"); }
  /// Lockable: acquire().
  void lock() const { (void)acquire(); }
  /// Lockable: acquire(false).
  bool try_lock() const { return acquire(false); }
  /// Lockable: release().
  void unlock() const { release(); }
};

/// A condition in a manager, over its own recursive lock (Python's
/// `manager.Condition()`). wait() and notify() need the lock held by the caller.
class ConditionProxy : public BaseProxy {
public:
  /// The server-side type.
  using Managed = detail::manager::ManagedCondition;
  using BaseProxy::BaseProxy;
  /// Takes the lock (recursive). @return whether taken within `timeout`.
  bool acquire(bool block = true, Timeout timeout = {}) const {
    return this->template call<bool>("acquire", block, detail::manager::timeout_ns(timeout));
  }
  /// Gives the lock back once. @throws mp::ValueError when not held by the caller.
  void release() const { this->template call<void>("release"); }
  /// Releases the lock, waits for notify() at most `timeout`, takes the lock
  /// back; whether notified. @throws mp::ValueError when the lock is not held.
  bool wait(Timeout timeout = {}) const {
    return this->template call<bool>("wait", detail::manager::timeout_ns(timeout));
  }
  /// Waits until `pred()` holds (checked with the lock held), at most `timeout`; the last pred().
  template <class Pred>
  bool wait_for(Pred pred, Timeout timeout = {}) const {
    const Deadline deadline(timeout);
    while (!pred()) {
      if (deadline.expired()) return false;
      (void)wait(deadline.is_forever() ? Timeout() : Timeout(deadline.remaining()));
    }
    return true;
  }
  /// Wakes up to `n` waiters. @throws mp::ValueError when the lock is not held.
  void notify(std::int64_t n = 1) const { this->template call<void>("notify", n); }
  /// Wakes every waiter.
  void notify_all() const { this->template call<void>("notify", std::int64_t{-1}); }
  /// Lockable: acquire().
  void lock() const { (void)acquire(); }
  /// Lockable: acquire(false).
  bool try_lock() const { return acquire(false); }
  /// Lockable: release().
  void unlock() const { release(); }
};

/// A barrier in a manager (Python's `manager.Barrier(parties)`).
class BarrierProxy : public BaseProxy {
public:
  /// The server-side type.
  using Managed = detail::manager::ManagedBarrier;
  using BaseProxy::BaseProxy;
  /// Waits until `parties` callers wait; returns 0..parties-1 (one caller
  /// gets 0). A timeout breaks the barrier. @throws mp::BrokenBarrierError.
  std::int64_t wait(Timeout timeout = {}) const {
    return this->template call<std::int64_t>("wait", detail::manager::timeout_ns(timeout));
  }
  /// Breaks the barrier: every waiter, and every later wait(), raises mp::BrokenBarrierError.
  void abort() const { this->template call<void>("abort"); }
  /// Mends it (Python's `reset()`): the callers waiting now raise mp::BrokenBarrierError.
  void reset() const { this->template call<void>("reset"); }
  /// Callers waiting now.
  [[nodiscard]] std::int64_t n_waiting() const { return this->template call<std::int64_t>("n_waiting"); }
  /// Whether it is broken.
  [[nodiscard]] bool broken() const { return this->template call<bool>("broken"); }
};

/// A queue in a manager (Python's `manager.Queue(maxsize)`). A consumer
/// killed while it waits in get() loses no item: the manager puts it back.
template <class T>
class QueueProxy : public BaseProxy {
public:
  /// The server-side type.
  using Managed = detail::manager::ManagedQueue<T>;
  using BaseProxy::BaseProxy;
  /// Appends `item`, waiting for room at most `timeout`. @throws mp::Full.
  void put(const T& item, bool block = true, Timeout timeout = {}) const {
    this->template call<void>("put", item, block, detail::manager::timeout_ns(timeout));
  }
  /// put(item, false). @throws mp::Full.
  void put_nowait(const T& item) const { put(item, false); }
  /// Takes the first item, waiting at most `timeout`. @throws mp::Empty.
  T get(bool block = true, Timeout timeout = {}) const {
    return this->template call<T>("get", block, detail::manager::timeout_ns(timeout));
  }
  /// get(false). @throws mp::Empty.
  T get_nowait() const { return get(false); }
  /// The number of items now.
  [[nodiscard]] std::size_t qsize() const {
    return static_cast<std::size_t>(this->template call<std::uint64_t>("qsize"));
  }
  /// Whether it holds no item now.
  [[nodiscard]] bool empty() const { return qsize() == 0; }
};

/// A joinable queue in a manager (Python's `manager.JoinableQueue()`).
template <class T>
class JoinableQueueProxy : public QueueProxy<T> {
public:
  using QueueProxy<T>::QueueProxy;
  /// One item taken by get() is done. @throws mp::ValueError when called more often than put().
  void task_done() const { this->template call<void>("task_done"); }
  /// Blocks until every item put is done, at most `timeout`; whether all are.
  bool join(Timeout timeout = {}) const {
    return this->template call<bool>("join", detail::manager::timeout_ns(timeout));
  }
};

}  // namespace mp
