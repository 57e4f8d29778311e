#pragma once
/// @file
/// @brief `mp::aio::Future`: a result that will exist (Python's `asyncio.Future`);
/// what create_task() returns, what gather() returns, what a coroutine awaits.
///
/// A future belongs to one event loop (the thread running it) and is
/// **pending** until it is **finished** (a result or an exception) or
/// **cancelled**. `co_await f` inside a task suspends the task until `f` is
/// done, then gives its result (a copy: several tasks may await one future),
/// or throws its exception, or mp::aio::CancelledError if it was cancelled.
/// Awaiting suspends only when `f` is pending.
///
/// | Python | C++ |
/// |---|---|
/// | `loop.create_future()` | `aio::create_future<T>()` |
/// | `f.done()`, `f.cancelled()` | `f.done()`, `f.cancelled()` |
/// | `f.result()`, `f.exception()` | `f.result()`, `f.exception()` |
/// | `f.set_result(v)`, `f.set_exception(e)` | `f.set_result(v)`, `f.set_exception(e)` |
/// | `f.cancel(msg)` | `f.cancel(msg)` |
/// | `f.add_done_callback(fn)` | `f.add_done_callback(fn)` (`fn(f)`, run by the loop soon after) |
///
/// Copies share the future (as Python's references do). Not thread-safe, not
/// even copying or destroying a handle (its count is not atomic): use a
/// future only in its loop's thread; to reach it from another thread, move a
/// handle into a function given to EventLoop::call_soon_threadsafe.
///
/// **Never retrieved.** A future that ends with an exception nobody read
/// (result(), exception(), or an await) reports it when its last copy goes:
/// "mp::aio: Task exception was never retrieved: ..." through
/// aio::set_exception_handler() (stderr by default), as asyncio logs it.
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mp/aio/error.hpp"

namespace mp::aio {

class EventLoop;

/// Where the loop reports what nobody else can handle: an exception thrown
/// by a done-callback, an exception never retrieved, a task destroyed while
/// pending (Python: the loop's exception handler, which logs). The default
/// prints the message to stderr. Process-wide; thread-safe.
void set_exception_handler(std::function<void(const std::string& message)> handler);
/// Passes `message` to the exception handler.
void report(const std::string& message);

namespace detail {

class FutureBase;
struct TaskState;

/// A done-callback: `fn(arg, future)`. `drop(arg)`, when set, frees `arg` if
/// the callback never runs (its future is destroyed while pending).
struct Callback {
  void (*fn)(void* arg, FutureBase& future) = nullptr;
  void* arg = nullptr;
  void (*drop)(void* arg) = nullptr;
};

/// What a suspended task waits for (Python's `_fut_waiter`): cancel_wait()
/// ends the wait so that the task resumes with CancelledError; false when it
/// is too late (the wait has ended and the task's resumption is on its way).
class Waitable {
public:
  virtual bool cancel_wait(const std::string& message) = 0;

protected:
  Waitable() = default;
  Waitable(const Waitable&) = default;
  Waitable& operator=(const Waitable&) = default;
  ~Waitable() = default;
};

/// The state of a future, without its value's type. Reference-counted by
/// Future handles and, for a task, by the loop until the task is done.
class FutureBase : public Waitable {
public:
  enum class State : std::uint8_t { pending, cancelled, finished };

  FutureBase(const FutureBase&) = delete;
  FutureBase& operator=(const FutureBase&) = delete;

  [[nodiscard]] bool done() const noexcept { return state_ != State::pending; }
  [[nodiscard]] bool cancelled() const noexcept { return state_ == State::cancelled; }
  [[nodiscard]] EventLoop* loop() const noexcept { return loop_; }
  /// The task this future belongs to, or nullptr for a plain future.
  [[nodiscard]] virtual TaskState* task() const noexcept { return nullptr; }

  /// Python's Future.cancel / Task.cancel (a task: a request, delivered at its next wait).
  bool cancel(const std::string& message = {});
  bool cancel_wait(const std::string& message) override { return cancel(message); }

  /// The exception (null when it finished with a result). Marks it retrieved.
  /// @throws mp::InvalidStateError when pending; CancelledError when cancelled.
  std::exception_ptr exception();
  /// Throws what result() throws before giving the value: InvalidStateError
  /// when pending, CancelledError when cancelled, the exception. Marks it retrieved.
  void check_result();
  /// @throws mp::InvalidStateError when done already.
  void set_exception(std::exception_ptr e);
  /// Ends a pending future as cancelled with `message` (no-op when done).
  void set_cancelled(const std::string& message);

  /// Runs `cb` soon after the future is done (soon, if done already).
  void add_callback(Callback cb);
  /// Removes the callbacks whose arg is `arg`; how many.
  std::size_t remove_callbacks(const void* arg) noexcept;

  void ref() noexcept { ++refs_; }
  void unref() noexcept {
    if (--refs_ == 0) destroy();
  }

  /// The CancelledError that awaiting a cancelled future throws.
  [[nodiscard]] CancelledError cancelled_error() const;
  /// The message of the last cancel() ("" when none).
  [[nodiscard]] std::string cancel_message() const {
    return cancel_message_ ? *cancel_message_ : std::string();
  }
  /// Keeps `message` as the cancel message (a task's cancel() request).
  void set_cancel_message(const std::string& message);

protected:
  explicit FutureBase(EventLoop* loop) noexcept : loop_(loop) {}
  virtual ~FutureBase();
  /// Frees the object (delete, or the coroutine frame that holds it).
  virtual void destroy() noexcept = 0;
  /// cancel() of a future that is not a task: ends it cancelled now. A
  /// combinator's future (gather) overrides it to cancel its children.
  virtual bool do_cancel(const std::string& message);
  /// Sets the state and schedules the callbacks.
  void finish(State state);
  void require_pending(const char* call) const;
  void bind_loop(EventLoop* loop) noexcept { loop_ = loop; }
  void mark_task() noexcept { is_task_ = true; }
  /// A coroutine's exception, kept until its task ends (or its awaiter takes it).
  void stash_exception(std::exception_ptr e) noexcept { exception_ = std::move(e); }
  /// Takes the stashed exception: nobody is told it was never retrieved.
  std::exception_ptr take_exception() noexcept { return std::exchange(exception_, nullptr); }
  [[nodiscard]] bool has_exception() const noexcept { return static_cast<bool>(exception_); }

private:
  friend class mp::aio::EventLoop;
  static void run_callbacks(void* self);
  void schedule_callbacks();

  // Kept small: a sleeping task's frame holds one (100k tasks, 100k of these).
  EventLoop* loop_;
  std::exception_ptr exception_;
  std::unique_ptr<std::string> cancel_message_;
  Callback first_;  // the first callback (a waiting task, a gather): no allocation
  std::unique_ptr<std::vector<Callback>> more_;  // the others
  std::uint32_t refs_ = 0;
  State state_ = State::pending;
  bool retrieved_ = false;
  bool callbacks_scheduled_ = false;
  bool is_task_ = false;
};

/// Value storage of a future: an optional T, nothing for void.
template <class T>
class FutureCore : public FutureBase {
public:
  /// @throws mp::InvalidStateError when done already.
  void set_result(T value) {
    require_pending("set_result");
    value_.emplace(std::move(value));
    finish(State::finished);
  }
  /// The result; throws as check_result().
  const T& result() {
    check_result();
    return *value_;
  }
  /// Moves the result out (the one consumer of an inline-awaited task).
  T take_result() {
    check_result();
    return std::move(*value_);
  }

protected:
  using FutureBase::FutureBase;
  std::optional<T> value_;
};

template <>
class FutureCore<void> : public FutureBase {
public:
  void set_result() {
    require_pending("set_result");
    finish(State::finished);
  }
  void result() { check_result(); }
  void take_result() { check_result(); }

protected:
  using FutureBase::FutureBase;
};

/// A future made by create_future() or by a combinator: freed with delete.
template <class T>
class HeapFuture final : public FutureCore<T> {
public:
  explicit HeapFuture(EventLoop* loop) noexcept : FutureCore<T>(loop) {}

private:
  void destroy() noexcept override { delete this; }
};

/// The running task, the loop's checks, and the suspension of a task on a
/// future (future_awaiter.cpp): shared by every awaitable of mp::aio.
TaskState& current_task(const char* what);
/// Suspends the current task on `f` (resumed when `f` is done).
void suspend_on(FutureBase& f, TaskState& t, void* resume_address);

/// Awaits a Future<T> from a task.
template <class T>
struct FutureAwaiter {
  FutureCore<T>* core;
  TaskState* task = nullptr;

  [[nodiscard]] bool await_ready() const noexcept { return core->done(); }
  template <class H>
  bool await_suspend(H h) {
    task = &current_task("co_await on an aio::Future");
    suspend_on(*core, *task, h.address());
    return true;
  }
  T await_resume();
};

/// After a suspension: the task no longer waits, and a cancel() that came
/// while its wake-up was on its way is delivered now (CancelledError).
void resume_checks(TaskState* t);

template <class T>
T FutureAwaiter<T>::await_resume() {
  resume_checks(task);
  if constexpr (std::is_void_v<T>) {
    core->result();
  } else {
    return core->result();
  }
}

}  // namespace detail

/// A handle on a future (Python's `asyncio.Future` / `asyncio.Task`). Copies
/// share it. An empty handle (default-constructed) only compares and assigns.
template <class T>
class Future {
public:
  Future() noexcept = default;
  /// Shares the future (Python: another reference to it).
  Future(const Future& o) noexcept : core_(o.core_) {
    if (core_ != nullptr) core_->ref();
  }
  /// Takes `o`'s future; `o` is left empty.
  Future(Future&& o) noexcept : core_(std::exchange(o.core_, nullptr)) {}
  /// Shares `o`'s future instead of this one's.
  Future& operator=(Future o) noexcept {
    std::swap(core_, o.core_);
    return *this;
  }
  ~Future() {
    if (core_ != nullptr) core_->unref();
  }

  /// Whether it is finished or cancelled.
  [[nodiscard]] bool done() const noexcept { return core_->done(); }
  /// Whether it was cancelled.
  [[nodiscard]] bool cancelled() const noexcept { return core_->cancelled(); }
  /// Cancels it (Python's cancel(msg)): a future ends cancelled now; a task
  /// is asked to stop: CancelledError is raised where it waits, next time the
  /// loop runs it. False when it is done already.
  bool cancel(const std::string& message = {}) const { return core_->cancel(message); }

  /// The result (a reference into the future).
  /// @throws mp::InvalidStateError when pending; CancelledError when
  ///         cancelled; the exception it finished with.
  decltype(auto) result() const { return core_->result(); }
  /// The exception it finished with; null when it has a result.
  /// @throws mp::InvalidStateError when pending; CancelledError when cancelled.
  [[nodiscard]] std::exception_ptr exception() const { return core_->exception(); }

  /// Finishes it with `value` (futures made by create_future()).
  /// @throws mp::InvalidStateError when done already.
  template <class... V>
  void set_result(V&&... value) const {
    core_->set_result(std::forward<V>(value)...);
  }
  /// Finishes it with the exception `e`. @throws mp::InvalidStateError when done already.
  void set_exception(std::exception_ptr e) const { core_->set_exception(std::move(e)); }

  /// Calls `fn(future)` soon after it is done (at once if done already: in
  /// the loop's next round). An exception thrown by `fn` goes to the
  /// exception handler.
  void add_done_callback(std::function<void(Future<T>&)> fn) const {
    using Fn = std::function<void(Future<T>&)>;
    core_->add_callback({[](void* arg, detail::FutureBase& f) {
                           const std::unique_ptr<Fn> holder(static_cast<Fn*>(arg));
                           Future<T> self(static_cast<detail::FutureCore<T>*>(&f));
                           (*holder)(self);
                         },
                         new Fn(std::move(fn)), [](void* arg) { delete static_cast<Fn*>(arg); }});
  }

  /// `co_await future` in a task: suspends until done, then the result.
  auto operator co_await() const noexcept { return detail::FutureAwaiter<T>{core_}; }

  /// Whether this handle refers to a future.
  explicit operator bool() const noexcept { return core_ != nullptr; }
  /// Whether both handles refer to the same future.
  friend bool operator==(const Future& a, const Future& b) noexcept { return a.core_ == b.core_; }

  /// The shared state (for the library's combinators). Takes a reference.
  explicit Future(detail::FutureCore<T>* core) noexcept : core_(core) {
    if (core_ != nullptr) core_->ref();
  }
  /// The shared state (the library's combinators).
  [[nodiscard]] detail::FutureCore<T>* core() const noexcept { return core_; }

private:
  detail::FutureCore<T>* core_ = nullptr;
};

/// A pending future of the running loop (Python's `loop.create_future()`).
/// @throws mp::aio::RuntimeError when no loop runs in this thread.
template <class T = void>
Future<T> create_future();

}  // namespace mp::aio
