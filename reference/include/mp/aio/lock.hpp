#pragma once
/// @file
/// @brief `mp::aio::Lock`, Event, Condition: synchronisation of the tasks of one
/// event loop (Python's `asyncio.Lock`, `asyncio.Event`, `asyncio.Condition`).
///
/// | Python | C++ |
/// |---|---|
/// | `lock = asyncio.Lock()` | `aio::Lock lock;` |
/// | `await lock.acquire()`, `lock.release()`, `lock.locked()` | `co_await lock.acquire();`, `lock.release();`, `lock.locked()` |
/// | `async with lock: ...` | `{ auto guard = co_await lock.scoped(); ... }` |
/// | `ev = asyncio.Event()` | `aio::Event ev;` |
/// | `await ev.wait()`, `ev.set()`, `ev.clear()`, `ev.is_set()` | the same, with `co_await` |
/// | `cond = asyncio.Condition()` / `asyncio.Condition(lock)` | `aio::Condition cond;` / `aio::Condition cond(lock);` |
/// | `async with cond: await cond.wait()` | `auto g = co_await cond.scoped(); co_await cond.wait();` |
/// | `await cond.wait_for(pred)` | `co_await cond.wait_for(pred)` |
/// | `cond.notify(n)`, `cond.notify_all()` | the same |
///
/// **How they wait** (as asyncio): each waiting task has its own pending
/// aio::Future in a FIFO; a release (set, notify) sets the first one's result
/// and the woken task, when the loop runs it (the next round), takes the lock
/// itself. Waiters are served in arrival order. A call that need not wait
/// does not suspend and allocates nothing.
///
/// **Cancellation.** A task cancelled while it waits gets aio::CancelledError
/// from the `co_await`, and never holds what it waited for. A wake-up that
/// reached it just before the cancel is passed on to the next waiter: a
/// cancelled waiter neither loses a release nor blocks the tasks behind it.
///
/// Not thread-safe (nor are Python's): use an object from the tasks of one
/// loop, and keep it alive while tasks wait on it. Not copyable.
#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "mp/aio/future.hpp"
#include "mp/aio/task.hpp"

namespace mp::aio {

namespace detail {

/// A growable ring buffer: the FIFO of waiters, and aio::Queue's items.
/// Allocates nothing until the first push; never shrinks.
template <class T>
class Ring {
public:
  Ring() noexcept = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    clear();
    if (buf_ != nullptr) std::allocator<T>().deallocate(buf_, cap_);
  }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  T& operator[](std::size_t i) noexcept { return buf_[(head_ + i) & (cap_ - 1)]; }
  const T& operator[](std::size_t i) const noexcept { return buf_[(head_ + i) & (cap_ - 1)]; }
  T& front() noexcept { return buf_[head_]; }
  void push_back(T v) {
    if (size_ == cap_) grow();
    std::construct_at(&(*this)[size_], std::move(v));
    ++size_;
  }
  T pop_front() {
    T v = std::move(buf_[head_]);
    std::destroy_at(&buf_[head_]);
    head_ = (head_ + 1) & (cap_ - 1);
    --size_;
    return v;
  }
  /// Removes the i-th element, keeping the order of the others.
  void erase(std::size_t i) {
    if (i == 0) {
      (void)pop_front();
      return;
    }
    for (; i + 1 < size_; ++i) (*this)[i] = std::move((*this)[i + 1]);
    std::destroy_at(&(*this)[size_ - 1]);
    --size_;
  }
  void clear() noexcept {
    while (size_ > 0) {
      std::destroy_at(&buf_[head_]);
      head_ = (head_ + 1) & (cap_ - 1);
      --size_;
    }
  }

private:
  void grow() {
    const std::size_t cap = cap_ == 0 ? 4 : cap_ * 2;
    T* buf = std::allocator<T>().allocate(cap);
    std::size_t n = 0;
    try {
      for (; n < size_; ++n) std::construct_at(&buf[n], std::move_if_noexcept((*this)[n]));
    } catch (...) {
      std::destroy_n(buf, n);
      std::allocator<T>().deallocate(buf, cap);
      throw;
    }
    const std::size_t size = size_;
    clear();
    if (buf_ != nullptr) std::allocator<T>().deallocate(buf_, cap_);
    buf_ = buf;
    cap_ = cap;
    head_ = 0;
    size_ = size;
  }

  T* buf_ = nullptr;
  std::size_t cap_ = 0;  // 0 or a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

/// The waiting tasks of a primitive (Python's `_waiters` deque of futures).
using Waiters = Ring<Future<void>>;

/// Removes `w` from `q` when it is there; whether it was.
bool remove_waiter(Waiters& q, const Future<void>& w) noexcept;
/// Sets the first waiter's result if it is pending (Python's Lock._wake_up_first).
void wake_first(Waiters& q);
/// Sets the results of the first `n` pending waiters (others stay); how many.
std::size_t wake_pending(Waiters& q, std::size_t n);
/// Pops waiters until a pending one, whose result it sets (Python's Queue._wakeup_next).
void pop_and_wake(Waiters& q);
/// Whether some waiter is not cancelled (pending, or woken and not yet run).
bool any_not_cancelled(const Waiters& q) noexcept;

/// One task's wait on its own waiter future, appended to a Waiters FIFO: the
/// suspension shared by every awaitable of lock.hpp, semaphore.hpp, queue.hpp.
class WaiterWait {
public:
  /// Whether the woken task must wait again, at the back (a Queue's `while`).
  using Retry = bool (*)(const void* owner);

  /// Appends a new pending future to `q` and suspends the running task on
  /// it; false (no suspension) when a cancel() is pending: end() says so.
  /// @throws mp::aio::RuntimeError outside a task.
  bool suspend(Waiters& q, std::coroutine_handle<> h, const char* what, Retry retry = nullptr,
               const void* owner = nullptr);
  /// Whether suspend() was called (the slow path was taken).
  [[nodiscard]] bool waited() const noexcept { return task_ != nullptr; }
  /// After the resumption: removes the future from `q`; false when the task
  /// was cancelled (the caller does its bookkeeping, then throw_cancelled()).
  bool end(Waiters& q);
  /// Whether the future was woken (its result set): a wake-up to pass on.
  [[nodiscard]] bool woken() const noexcept { return fut_ && fut_.done() && !fut_.cancelled(); }
  [[noreturn]] void throw_cancelled() const;

private:
  static void on_done(void* self, FutureBase& f);
  Future<void> fut_;
  TaskState* task_ = nullptr;
  Waiters* q_ = nullptr;
  Retry retry_ = nullptr;
  const void* owner_ = nullptr;
};

/// Awaits a new waiter of `q`, unless `*ready` (Event::wait, Condition::wait).
struct WaiterAwaiter {
  Waiters* q = nullptr;
  const bool* ready = nullptr;
  const char* what = nullptr;
  WaiterWait wait{};
  [[nodiscard]] bool await_ready() const noexcept { return ready != nullptr && *ready; }
  bool await_suspend(std::coroutine_handle<> h) { return wait.suspend(*q, h, what); }
  void await_resume() {
    if (wait.waited() && !wait.end(*q)) wait.throw_cancelled();
  }
};

class LockAcquire;
class LockScoped;

}  // namespace detail

/// Holds an acquired Lock or Semaphore and releases it when destroyed: the
/// end of Python's `async with lock:` block. Move-only.
template <class P>
class [[nodiscard]] Guard {
public:
  /// Holds `p`, acquired already: released when the guard goes.
  explicit Guard(P& p) noexcept : p_(&p) {}
  /// Takes over `o`'s hold; `o` releases nothing.
  Guard(Guard&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Guard& operator=(Guard&&) = delete;
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  ~Guard() {
    try {
      release();
    } catch (const std::exception& e) {
      report(std::string("mp::aio::Guard: release failed: ") + e.what());
    }
  }
  /// Releases now (once; the destructor then does nothing).
  void release() {
    if (p_ != nullptr) std::exchange(p_, nullptr)->release();
  }

private:
  P* p_;
};

/// A mutual exclusion lock for tasks (Python's `asyncio.Lock`). Not owned by
/// a task: any task may release it. Fair, as asyncio's since 3.11: a task
/// acquiring a free lock while woken waiters have not run yet waits behind them.
class Lock {
public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  /// `co_await lock.acquire()` (Python's `await lock.acquire()`): takes the
  /// lock; when it is locked (or woken waiters are due), waits in FIFO order
  /// until a release() reaches this task (resumes in the loop's next round).
  /// @throws aio::CancelledError when the task is cancelled while it waits:
  ///         it then does not hold the lock, and a release meant for it goes
  ///         to the next waiter. @throws aio::RuntimeError outside a task.
  [[nodiscard]] detail::LockAcquire acquire() noexcept;
  /// `auto guard = co_await lock.scoped();` acquires as acquire() and returns
  /// a Guard that releases at the end of the scope (Python's `async with lock:`).
  [[nodiscard]] detail::LockScoped scoped() noexcept;
  /// Releases it and wakes the first waiter (Python's `lock.release()`).
  /// @throws aio::RuntimeError when it is not locked (Python's RuntimeError).
  void release();
  /// Whether it is held (Python's `lock.locked()`).
  [[nodiscard]] bool locked() const noexcept { return locked_; }

private:
  friend class detail::LockAcquire;
  detail::Waiters waiters_;
  bool locked_ = false;
};

namespace detail {

/// What Lock::acquire returns.
class LockAcquire {
public:
  explicit LockAcquire(Lock& lock) noexcept : lock_(&lock) {}
  bool await_ready() noexcept;
  bool await_suspend(std::coroutine_handle<> h) {
    return wait_.suspend(lock_->waiters_, h, "aio::Lock::acquire");
  }
  void await_resume();

protected:
  Lock* lock_;
  WaiterWait wait_;
};

/// What Lock::scoped returns.
class LockScoped : public LockAcquire {
public:
  using LockAcquire::LockAcquire;
  Guard<Lock> await_resume() {
    LockAcquire::await_resume();
    return Guard<Lock>(*lock_);
  }
};

}  // namespace detail

inline detail::LockAcquire Lock::acquire() noexcept { return detail::LockAcquire(*this); }
inline detail::LockScoped Lock::scoped() noexcept { return detail::LockScoped(*this); }

/// An event flag tasks wait for (Python's `asyncio.Event`); initially false.
class Event {
public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  /// `co_await ev.wait()` (Python's `await ev.wait()`): returns at once when
  /// the flag is set, else waits until set() (resumes the round after it),
  /// even if clear() came in between. @throws aio::CancelledError when the
  /// task is cancelled while it waits. @throws aio::RuntimeError outside a task.
  [[nodiscard]] detail::WaiterAwaiter wait() noexcept { return {&waiters_, &value_, "aio::Event::wait"}; }
  /// Sets the flag and wakes every waiter, in FIFO order (Python's `ev.set()`).
  void set();
  /// Clears the flag (Python's `ev.clear()`).
  void clear() noexcept { value_ = false; }
  /// The flag (Python's `ev.is_set()`).
  [[nodiscard]] bool is_set() const noexcept { return value_; }

private:
  detail::Waiters waiters_;
  bool value_ = false;
};

/// A condition variable for tasks (Python's `asyncio.Condition`), over its
/// own Lock or over one shared with others (Condition(lock)).
class Condition {
public:
  /// With its own lock (Python's `asyncio.Condition()`).
  Condition() : own_(std::make_unique<Lock>()), lock_(own_.get()) {}
  /// Over `lock`, which must outlive it (Python's `asyncio.Condition(lock)`).
  explicit Condition(Lock& lock) noexcept : lock_(&lock) {}
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  /// The lock's Lock::acquire() (Python's `await cond.acquire()`).
  [[nodiscard]] detail::LockAcquire acquire() noexcept { return lock_->acquire(); }
  /// The lock's Lock::scoped() (Python's `async with cond:`).
  [[nodiscard]] detail::LockScoped scoped() noexcept { return lock_->scoped(); }
  /// The lock's Lock::release() (Python's `cond.release()`). @throws aio::RuntimeError when not locked.
  void release() { lock_->release(); }
  /// The lock's Lock::locked() (Python's `cond.locked()`).
  [[nodiscard]] bool locked() const noexcept { return lock_->locked(); }

  /// `co_await cond.wait()` (Python's `await cond.wait()`): releases the lock,
  /// waits (FIFO) until a notify() reaches this task, re-acquires the lock,
  /// returns. The lock is held again when it returns or throws.
  /// @throws aio::CancelledError when cancelled (while waiting or
  ///         re-acquiring): the lock is re-acquired first, and another waiter
  ///         is notified in its place (a spurious wake-up, as Python's).
  /// @throws aio::RuntimeError when the lock is not held.
  Task<void> wait();
  /// `co_await cond.wait_for(pred)` (Python's `await cond.wait_for(pred)`):
  /// wait() until `pred()` is true; returns pred's last result. Lock held
  /// throughout, as wait(). Throws as wait().
  template <class Pred>
  Task<std::decay_t<std::invoke_result_t<Pred&>>> wait_for(Pred pred) {
    auto result = pred();
    while (!result) {
      co_await wait();
      result = pred();
    }
    co_return result;
  }
  /// Wakes up to `n` waiting tasks, FIFO (Python's `cond.notify(n)`); each
  /// returns from wait() once it re-acquires the lock.
  /// @throws aio::RuntimeError when the lock is not held.
  void notify(std::size_t n = 1);
  /// Wakes every waiting task (Python's `cond.notify_all()`).
  /// @throws aio::RuntimeError when the lock is not held.
  void notify_all();

private:
  std::unique_ptr<Lock> own_;
  Lock* lock_;
  detail::Waiters waiters_;
};

}  // namespace mp::aio
