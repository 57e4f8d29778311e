#pragma once
/// @file
/// @brief `mp::aio::Task`: a coroutine (Python's `async def` and the coroutine
/// object it returns), and create_task(), which runs one concurrently.
///
/// A function returning `aio::Task<T>` is a coroutine: it may `co_await`
/// other tasks, futures, aio::sleep(), queues, locks, streams. Calling it runs
/// nothing (Python's coroutine object): the returned Task is **lazy**, and
/// runs when it is awaited or scheduled:
///
/// | Python | C++ | runs |
/// |---|---|---|
/// | `async def f(x): ... return v` | `aio::Task<V> f(int x) { ... co_return v; }` | - |
/// | `await f(1)` | `co_await f(1)` | now, inside the awaiting task |
/// | `t = asyncio.create_task(f(1))` | `auto t = aio::create_task(f(1));` | concurrently; `t` is an aio::Future<V> |
/// | `asyncio.run(main())` | `aio::run(main())` (mp/aio/run.hpp) | the event loop, until main ends |
/// | `asyncio.current_task()` | `aio::current_task_cancelling()` etc. | - |
///
/// A Task is move-only and `[[nodiscard]]`: a coroutine called and dropped
/// never runs (Python warns "coroutine was never awaited"; here the compiler
/// does). Await it once. A task made with create_task() is kept alive by
/// its loop until it is done, even if its future is dropped.
///
/// **Lifetimes.** A coroutine's parameters live in its frame: pass values
/// (or things that outlive the task), not references to locals of a caller
/// that returns. A lambda that is a coroutine must outlive its task: name it
/// (`const auto worker = [&](int i) -> aio::Task<void> {...};`) in a scope
/// that lasts. **GCC 12 bug:** a lambda capturing by copy written inside a
/// `co_await` expression is destroyed twice; name it first, then await
/// (clang is fine; by-reference captures are harmless).
///
/// **Cancellation** (Python's): `t.cancel()` asks the task to stop; the next
/// time it waits (or at once, if it waits now), the wait throws
/// aio::CancelledError inside it. It may catch it, clean up, and rethrow;
/// a task that ends by CancelledError is cancelled (its future's
/// cancelled() is true). A task that catches and swallows it goes on.
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "mp/aio/future.hpp"

namespace mp::aio {

template <class T = void>
class Task;

namespace detail {

/// A scheduled task's own fields (Python's Task attributes).
struct TaskState {
  FutureBase* future = nullptr;          ///< the task's future (its coroutine's promise)
  std::coroutine_handle<> resume_point;  ///< where it continues (the innermost suspended coroutine)
  Waitable* waiting_on = nullptr;        ///< what it waits for now (Python's `_fut_waiter`)
  std::uint32_t cancels_requested = 0;   ///< cancel() calls not undone by uncancel()
  bool must_cancel = false;              ///< deliver CancelledError at the next suspension
  bool scheduled = false;                ///< made a task by create_task (else awaited inline)
  bool started = false;                  ///< its first step ran
  TaskState* prev = nullptr;             ///< the loop's list of unfinished tasks
  TaskState* next = nullptr;

  /// Runs the task until its next suspension or its end (the loop's thread).
  void step();
  static void step_fn(void* self) { static_cast<TaskState*>(self)->step(); }
  /// Python's Task.cancel(msg).
  bool cancel(const std::string& message);
  /// Throws CancelledError when a cancel() is to be delivered now.
  void throw_if_must_cancel();
  /// The message of the last cancel().
  [[nodiscard]] std::string message() const { return future->cancel_message(); }
};

/// The loop's side of a task's start and end (loop.cpp).
void start_task(EventLoop& loop, FutureBase& future, TaskState& state, std::coroutine_handle<> h);
void end_task(FutureBase& future, TaskState& state);

template <class T>
class TaskPromise;

/// How a Task's coroutine returns: co_return v (stored), or co_return.
template <class Promise, class T>
struct ReturnValue {
  template <class V>
  void return_value(V&& v) {
    static_cast<Promise&>(*this).value_.emplace(std::forward<V>(v));
  }
};
template <class Promise>
struct ReturnValue<Promise, void> {
  void return_void() noexcept {}
};

/// The promise of a Task<T>: its result, its inline caller, and, once
/// scheduled, the task's future and state.
template <class T>
class TaskPromise final : public FutureCore<T>, public ReturnValue<TaskPromise<T>, T> {
public:
  using Handle = std::coroutine_handle<TaskPromise>;

  TaskPromise() noexcept : FutureCore<T>(nullptr) {}
  Task<T> get_return_object() noexcept;

  /// Lazy: runs when awaited or scheduled. (A task cancelled before its
  /// first step never runs at all: TaskState::step.)
  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(Handle h) const noexcept {
      TaskPromise& p = h.promise();
      if (p.state_.scheduled) {
        p.complete();  // may free the frame: nothing of it is touched after
        return std::noop_coroutine();
      }
      return p.continuation ? p.continuation : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept { this->stash_exception(std::current_exception()); }

  /// Makes it a task of `loop`, scheduled to start.
  void schedule(EventLoop& loop) {
    state_.scheduled = true;
    this->bind_loop(&loop);
    this->mark_task();
    state_.future = this;
    start_task(loop, *this, state_, Handle::from_promise(*this));
  }

  [[nodiscard]] TaskState* task() const noexcept override {
    return state_.scheduled ? const_cast<TaskState*>(&state_) : nullptr;
  }

  std::coroutine_handle<> continuation;

private:
  template <class, class>
  friend struct ReturnValue;
  template <class>
  friend struct TaskAwaiter;

  void destroy() noexcept override { Handle::from_promise(*this).destroy(); }

  // A scheduled task ended: its future takes the outcome; the loop lets go.
  void complete() noexcept {
    if (this->has_exception()) {
      std::exception_ptr e = this->take_exception();
      try {
        std::rethrow_exception(e);
      } catch (const CancelledError& c) {
        this->set_cancelled(c.message());
      } catch (...) {
        this->set_exception(e);
      }
    } else {
      this->finish(FutureBase::State::finished);
    }
    end_task(*this, state_);
  }

  TaskState state_;
};

/// `co_await task` inline: the child runs now, in the awaiting task.
template <class T>
struct TaskAwaiter {
  std::coroutine_handle<TaskPromise<T>> h;
  [[nodiscard]] bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) const noexcept {
    h.promise().continuation = caller;
    return h;
  }
  T await_resume() const {
    TaskPromise<T>& p = h.promise();
    if (p.has_exception()) std::rethrow_exception(p.take_exception());
    if constexpr (!std::is_void_v<T>) return std::move(*p.value_);
  }
};

}  // namespace detail

/// A coroutine that produces a T (Python's coroutine object). See the file notes.
template <class T>
class [[nodiscard]] Task {
public:
  /// The coroutine's promise (C++ looks it up by this name).
  using promise_type = detail::TaskPromise<T>;
  /// The coroutine's handle.
  using Handle = std::coroutine_handle<promise_type>;

  /// Takes `o`'s coroutine; `o` is left empty.
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  /// Destroys this one's coroutine (if it never ran), then takes `o`'s.
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  /// `co_await task`: runs it inside the awaiting task; its result, or its exception.
  auto operator co_await() && noexcept { return detail::TaskAwaiter<T>{h_}; }
  /// As above, on a named Task (await it once).
  auto operator co_await() & noexcept { return detail::TaskAwaiter<T>{h_}; }

  /// Gives the coroutine away (to create_task): this Task is left empty.
  Handle release() noexcept { return std::exchange(h_, nullptr); }
  /// Whether it holds a coroutine.
  explicit operator bool() const noexcept { return static_cast<bool>(h_); }

private:
  friend class detail::TaskPromise<T>;
  explicit Task(Handle h) noexcept : h_(h) {}
  Handle h_;
};

template <class T>
Task<T> detail::TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(Handle::from_promise(*this));
}

/// Schedules `task` on `loop` and returns its future (the loop keeps the
/// task alive until it is done).
template <class T>
Future<T> create_task_on(EventLoop& loop, Task<T> task) {
  auto h = task.release();
  h.promise().schedule(loop);
  return Future<T>(&h.promise());
}

/// Schedules `task` on the running loop (Python's `asyncio.create_task`): it
/// starts in the loop's next round, concurrently with the caller.
/// @throws mp::aio::RuntimeError when no loop runs in this thread.
template <class T>
Future<T> create_task(Task<T> task);

/// The running task's cancel() requests not undone (Python's `current_task().cancelling()`).
/// @throws mp::aio::RuntimeError outside a task.
std::uint32_t cancelling();
/// Undoes one cancel() request of the running task (Python's
/// `current_task().uncancel()`), returning the requests left: what a timeout
/// scope does when it turns its own cancellation into a TimeoutError.
std::uint32_t uncancel();

}  // namespace mp::aio
