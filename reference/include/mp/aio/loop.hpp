#pragma once
/// @file
/// @brief `mp::aio::EventLoop`: one thread's scheduler of tasks, timers and
/// I/O (Python's `asyncio` event loop).
///
/// A loop runs in one thread and runs one task at a time. Each **round** it
/// waits (epoll) for the first of: a file descriptor ready, the earliest
/// timer due, a call from another thread; then it runs, in order, every
/// callback that was ready when the round began (a task's next step is one):
///
/// ```
///        ┌──────────── ready queue (FIFO) ◄── call_soon, a future done, a task woken
///        │                   ▲           ▲
///  run one round ──► epoll ──┘ fd ready  │ timers (a heap: sleep, wait_for, timeout)
///        ▲                               │
///        └──── call_soon_threadsafe (eventfd) from any thread
/// ```
///
/// A task that never awaits (a CPU loop, a blocking call) stops the whole
/// loop: timers fire late and other tasks wait. Run such work with
/// aio::to_thread() (mp/aio/executor.hpp).
///
/// Most programs never touch a loop: aio::run(main()) (mp/aio/run.hpp) makes
/// one, runs `main` to its end, and closes it. EventLoop::running() is
/// Python's `asyncio.get_running_loop()`.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mp/aio/future.hpp"
#include "mp/aio/task.hpp"
#include "mp/aio/timer_heap.hpp"

namespace mp::aio {

/// An event loop. Construct, then run_until_complete() or run_forever(), in
/// one thread. Not copyable; destroy it in its thread, after it stopped.
class EventLoop {
public:
  /// The loop's clock: monotonic.
  using Clock = std::chrono::steady_clock;

  /// @throws std::system_error when epoll or eventfd cannot be made.
  EventLoop();
  /// Tasks still pending are reported ("Task was destroyed but it is
  /// pending") and dropped, as Python does when a loop closes under them.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// The loop running in this thread (Python's `asyncio.get_running_loop()`).
  /// @throws mp::aio::RuntimeError when none runs.
  static EventLoop& running();
  /// As running(), or nullptr.
  static EventLoop* running_or_null() noexcept;

  /// Runs `task` as a task and the loop until it is done; its result.
  /// @throws what the task threw; CancelledError if it was cancelled;
  ///         mp::aio::RuntimeError if stop() came first or the loop runs already.
  template <class T>
  T run_until_complete(Task<T> task) {
    Future<T> f = create_task_on(*this, std::move(task));
    run_until_done(*f.core());
    return f.core()->take_result();
  }
  /// Runs until stop().
  void run_forever();
  /// Ends run_forever() / run_until_complete() after the current round.
  void stop() noexcept { stopping_ = true; }
  /// Whether it runs now.
  [[nodiscard]] bool is_running() const noexcept { return running_; }

  /// Runs `fn` in a later round (Python's `call_soon`). Loop's thread only.
  void call_soon(std::function<void()> fn);
  /// Runs `fn` in the loop's thread, from any thread (Python's
  /// `call_soon_threadsafe`): wakes the loop if it sleeps.
  void call_soon_threadsafe(std::function<void()> fn);
  /// Runs `fn` after `delay` (Python's `call_later`); the returned function
  /// cancels it if it has not run yet.
  std::function<void()> call_later(Clock::duration delay, std::function<void()> fn);
  /// The loop's clock (Python's `loop.time()`, monotonic).
  [[nodiscard]] static Clock::time_point time() noexcept { return Clock::now(); }

  /// Calls `fn(arg)` in a later round once `fd` is readable (or writable),
  /// then forgets it (one-shot). One reader and one writer per descriptor.
  void add_reader(int fd, void (*fn)(void*), void* arg);
  /// As add_reader, for writable.
  void add_writer(int fd, void (*fn)(void*), void* arg);
  /// Forgets the reader (writer) of `fd`; whether there was one.
  bool remove_reader(int fd) noexcept;
  /// As remove_reader, for the writer.
  bool remove_writer(int fd) noexcept;
  /// Keeps `fd`'s epoll registration armed between waits (no system call
  /// when a reader fires and the next one is added in the same round: a
  /// stream read in a loop). The caller promises to call forget(fd) before
  /// it closes `fd`.
  void keep_armed(int fd);
  /// Drops everything the loop knows of `fd` (before closing it).
  void forget(int fd) noexcept;

  /// Cancels every unfinished task and runs the loop until they are done
  /// (what aio::run does when its main task ends).
  void shutdown_tasks();
  /// How many tasks have started and not finished.
  [[nodiscard]] std::size_t unfinished_tasks() const noexcept { return task_count_; }

  // ---- for the library's awaitables (detail) ----
  /// call_soon without an allocation: `fn(arg)` in a later round.
  void schedule(void (*fn)(void*), void* arg) { ready_.push_back({fn, arg}); }
  /// The task that runs now, or nullptr.
  [[nodiscard]] detail::TaskState* current_task() const noexcept { return current_; }
  /// Arms `node` to fire at `when` / disarms it.
  void arm(detail::TimerNode& node, Clock::time_point when) {
    node.when = when;
    timers_.push(node);
  }
  /// Takes an armed `node` off the timers (no effect if it is not armed).
  void disarm(detail::TimerNode& node) noexcept { timers_.remove(node); }
  /// Runs rounds until `f` is done. @throws RuntimeError as run_until_complete.
  void run_until_done(detail::FutureBase& f);

private:
  friend struct detail::TaskState;
  friend void detail::start_task(EventLoop&, detail::FutureBase&, detail::TaskState&,
                                 std::coroutine_handle<>);
  friend void detail::end_task(detail::FutureBase&, detail::TaskState&);

  struct ReadyItem {
    void (*fn)(void*);
    void* arg;
  };
  struct FdWatch {
    int fd = -1;
    bool registered = false;  // in the epoll set (armed or not)
    bool keep = false;        // level-triggered, kept armed between waits (keep_armed)
    std::uint32_t armed = 0;  // the events epoll reports now (0 once one fired)
    ReadyItem reader{nullptr, nullptr};
    ReadyItem writer{nullptr, nullptr};
  };

  void run_once();
  void poll_io(int timeout_ms);
  void take_threadsafe_calls();
  void watch(int fd, bool write, ReadyItem item);
  bool unwatch(int fd, bool write) noexcept;
  void update_interest(FdWatch& w);
  void set_armed(FdWatch& w, std::uint32_t events);
  static std::uint32_t wanted(const FdWatch& w) noexcept;

  class Running;  // marks the loop running in this thread for a scope

  std::deque<ReadyItem> ready_;
  detail::TimerHeap timers_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: call_soon_threadsafe wakes the loop
  std::mutex threadsafe_mutex_;
  std::vector<std::function<void()>> threadsafe_;  // (threadsafe_mutex_)
  std::atomic<bool> threadsafe_pending_{false};
  std::unordered_map<int, std::unique_ptr<FdWatch>> watches_;  // never erased while the loop lives
  std::size_t armed_watches_ = 0;
  static constexpr unsigned rounds_per_poll = 16;
  unsigned rounds_since_poll_ = 0;
  detail::TaskState* current_ = nullptr;
  detail::TaskState tasks_;  // sentinel of the unfinished tasks' list
  std::size_t task_count_ = 0;
  bool stopping_ = false;
  bool running_ = false;
};

template <class T>
Future<T> create_task(Task<T> task) {
  return create_task_on(EventLoop::running(), std::move(task));
}

template <class T>
Future<T> create_future() {
  return Future<T>(new detail::HeapFuture<T>(&EventLoop::running()));
}

}  // namespace mp::aio
