#pragma once
/// @file
/// @brief `mp::RawValue` and mp::Value: one value of type T in memory shared with
/// child processes (Python's `sharedctypes.RawValue` and `multiprocessing.Value`),
/// and mp::SynchronizedBase, the locking that mp::Value and mp::Array share.
///
/// @code
/// mp::Value<double> num(0.0);
/// mp::Process p([num]() mutable { num.set_value(3.1415927); });   // a copy of the handle
/// p.start();
/// p.join();
/// std::cout << num.value() << '\n';                                 // 3.1415927
///
/// mp::Value<int> counter(0);                                        // compound update:
/// { std::lock_guard g(counter.get_lock()); counter.get_obj() += 1; } // `with counter.get_lock():`
/// @endcode
///
/// **Handles.** A RawValue or Value is a handle: copies share one value in an
/// anonymous `MAP_SHARED` mapping. Make it *before* `mp::Process::start()`;
/// the forked child inherits the mapping, so the child's copy (captured by a
/// lambda, passed as an argument, or simply the parent's variable, which the
/// child sees too) reads and writes the parent's value. The mapping has no
/// name, so nothing can leak: the kernel frees it when the last process that
/// maps it exits, however it exits. A handle made *in* a child is shared only
/// with that child's own children.
///
/// **Why T must be trivially copyable.** The bytes of T live in raw shared
/// memory that other processes read and write directly: a pointer in T (a
/// `std::string`, a `std::vector`) would point into one process's private heap
/// and mean nothing, or something else, in the other. Python has the same rule:
/// `Value` takes a ctypes type code, never an arbitrary object. Use a fixed-size
/// array (`std::array<char, 32>`) instead of a string, or an mp::Queue or a
/// Manager for anything richer.
///
/// **No atomics.** The value is plain memory. RawValue gives no synchronisation
/// at all; Value orders every access through its mp::Lock (a process-shared
/// pthread mutex: lock is an acquire, unlock a release), so a value written
/// under the lock in one process is seen by the next process that takes it.
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#include "mp/detail/shared_region.hpp"
#include "mp/detail/shared_type.hpp"
#include "mp/lock.hpp"
#include "mp/timeout.hpp"

namespace mp {

/// The locking that mp::Value and mp::Array share (Python's
/// `multiprocessing.sharedctypes.SynchronizedBase`): the object's own
/// process-shared mp::Lock, Python's `acquire()` / `release()` / `with obj:`,
/// and the C++ Lockable protocol. Use it through those two classes. A
/// handle: copies share the lock.
///
/// Process/thread safety: every member may be called from any thread of any
/// process that holds a handle. Blocking and errors are mp::Lock's.
class SynchronizedBase {
public:
  /// The lock that guards the object (Python's `get_lock()`), for compound
  /// updates: `std::lock_guard g(v.get_lock());`. Returned by reference so
  /// that lock_guard can hold it; it is a handle, copy it to keep it.
  [[nodiscard]] Lock& get_lock() const noexcept { return lock_; }

  /// @name Locking
  /// Python's `v.acquire(block, timeout)` / `v.release()` and `with v:`;
  /// the same as calling them on get_lock(). lock()/try_lock()/unlock() make
  /// a Value or an Array usable with std::lock_guard and std::scoped_lock directly.
  //! @{

  /// Lock::acquire on get_lock().
  bool acquire(bool block = true, Timeout timeout = {}) { return lock_.acquire(block, timeout); }
  /// Lock::release on get_lock().
  void release() { lock_.release(); }
  /// Lock::lock on get_lock() (blocks).
  void lock() { lock_.lock(); }
  /// Lock::try_lock on get_lock().
  [[nodiscard]] bool try_lock() { return lock_.try_lock(); }
  /// Lock::unlock on get_lock().
  void unlock() { lock_.unlock(); }
  //! @}

protected:
  /// Guards the derived object with `lock`: a new one, or one shared with
  /// other objects (Python's `lock=` argument).
  explicit SynchronizedBase(Lock lock) : lock_(std::move(lock)) {}

private:
  mutable Lock lock_;  // a handle: locking it changes shared state, not this object
};

/// One T in shared memory, without a lock (Python's `multiprocessing.RawValue`,
/// or `Value(..., lock=False)`).
///
/// Process/thread safety: none beyond the memory itself. Two processes (or
/// threads) that access it at the same time, one of them writing, race: a
/// reader may see a torn value, and `get_obj() += 1` loses updates. Use it when
/// the accesses are ordered by something else (written before start(), read
/// after join(), or under an mp::Lock you hold), or use mp::Value.
///
/// Nothing here blocks or throws after construction.
template <class T>
class RawValue {
  static_assert(detail::RequireSharedType<T>::value);

public:
  /// A new shared value, initialised to `initial` (Python's `RawValue(typecode, initial)`).
  /// @throws std::system_error when the shared mapping cannot be made (mmap).
  explicit RawValue(T initial = T{}) : obj_(detail::make_shared_object<T>(initial)) {}

  /// The current value (Python's `v.value`). Never blocks.
  [[nodiscard]] T value() const noexcept { return *obj_; }
  /// Replaces the value (Python's `v.value = x`). Never blocks.
  void set_value(T v) noexcept { *obj_ = v; }

  //! @{
  /// The shared object itself (Python's `get_obj()`): for compound updates
  /// (`v.get_obj() += 1`, a member of a struct) that you order yourself.
  [[nodiscard]] T& get_obj() noexcept { return *obj_; }
  [[nodiscard]] const T& get_obj() const noexcept { return *obj_; }
  //! @}

private:
  std::shared_ptr<T> obj_;  // into the shared mapping; copies of the handle share it
};

/// One T in shared memory with its own process-shared lock (Python's
/// `multiprocessing.Value(typecode, value, lock=True)`).
///
/// value() and set_value() take the lock for the copy, as Python's `v.value`
/// does, so a reader never sees a torn T. A read-modify-write, however, is
/// two locked steps with a gap between them (`v.set_value(v.value() + 1)`
/// loses updates, as `v.value += 1` does in Python): hold get_lock() around
/// the whole update and use get_obj() inside it:
/// @code
/// { std::lock_guard g(v.get_lock()); v.get_obj() += 1; }
/// @endcode
///
/// **Lock, not RLock.** Python's Value defaults to an `RLock`; ours is an
/// mp::Lock, which is not recursive: calling value() or set_value() while the
/// same thread holds get_lock() would wait for itself forever; mp::Lock
/// detects it and raises mp::Error instead of hanging. Inside the lock, use
/// get_obj(). (A plain Lock is also what every compound update needs, and it
/// is cheaper: no owner count to keep.)
///
/// **A holder that dies.** The lock is robust: when a process is killed
/// holding it, the next acquirer gets it and `get_lock().owner_died()` is
/// true, since the value may be half-updated. Nobody hangs.
///
/// | state    | value()/set_value()/lock()          | try_lock()     |
/// |----------|-------------------------------------|----------------|
/// | unlocked | take the lock, copy, release        | true, locked   |
/// | locked   | block until released (or owner died) | false          |
///
/// Process/thread safety: every member may be called from any thread of any
/// process that holds a handle; get_obj() is safe only under get_lock().
/// @throws std::system_error from construction (mmap, pthread_mutex_init).
template <class T>
class Value : public SynchronizedBase {
public:
  /// A new shared value with a new lock (Python's `Value(typecode, initial)`).
  /// Pass an existing Lock to share one lock among several values, as
  /// Python's `lock=` argument does.
  explicit Value(T initial = T{}, Lock lock = Lock()) : SynchronizedBase(std::move(lock)), raw_(initial) {}

  /// The current value, copied under the lock (Python's `v.value`).
  /// Blocks while another thread or process holds the lock.
  [[nodiscard]] T value() const {
    std::lock_guard g(get_lock());
    return raw_.value();
  }
  /// Replaces the value under the lock (Python's `v.value = x`).
  /// Blocks while another thread or process holds the lock.
  void set_value(T v) {
    std::lock_guard g(get_lock());
    raw_.set_value(v);
  }

  //! @{
  /// The shared object itself (Python's `get_obj()`); use it only while you
  /// hold get_lock().
  [[nodiscard]] T& get_obj() noexcept { return raw_.get_obj(); }
  [[nodiscard]] const T& get_obj() const noexcept { return raw_.get_obj(); }
  //! @}

private:
  RawValue<T> raw_;  // guarded by get_lock()
};

}  // namespace mp
