#pragma once
/// @file
/// @brief ThreadCore, the thread pool engine under mp::ThreadPool and mp::ThreadPoolExecutor.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "mp/detail/job.hpp"

namespace mp::detail {

/// The thread pool engine under mp::ThreadPool and mp::ThreadPoolExecutor.
///
/// mp::ThreadPool starts its threads in the constructor. With `on_demand`
/// (mp::ThreadPoolExecutor, as Python's `_adjust_thread_count`), submit()
/// starts a thread only when no thread is free to take the task, up to
/// `threads`. A thread counts as free while it waits for a task, and from the
/// moment its task publishes its result (task_finishing): a caller that
/// submits again right after result() returned finds it free.
class ThreadCore final : public CoreBase {
public:
  ThreadCore(int threads, std::function<void()> initializer, std::string kind, bool on_demand = false);
  ~ThreadCore() override;
  ThreadCore(const ThreadCore&) = delete;
  ThreadCore& operator=(const ThreadCore&) = delete;

  [[nodiscard]] int threads() const noexcept { return threads_count_; }
  /// Queues `task` (part `part` of `job`). `cancellable`: whether
  /// shutdown(cancel_futures) cancels it (futures, executor maps); the job
  /// decides at hand-over whether the part still runs (JobBase::try_start_part).
  /// @throws mp::ValueError after close/terminate; mp::BrokenPool when an
  ///         initializer failed; std::system_error when a thread cannot start.
  void submit(std::shared_ptr<JobBase> job, UniqueTask task, bool cancellable = false,
              std::uint64_t part = 0);
  /// Called by a task run by a worker of an on-demand pool just before it
  /// publishes its result: the worker counts as free from then on.
  static void task_finishing() noexcept;
  /// Checks that submissions are accepted (throws as submit).
  void check_accepting();

  void close();
  void terminate();
  void join();
  void cancel_pending();
  [[nodiscard]] bool is_closed() const noexcept;

  bool wait_until(JobBase& job, FunctionRef<bool()> ready, const Deadline& deadline) override;
  void schedule_callbacks(std::shared_ptr<JobBase> job) override;
  void forget(const JobBase& /*job*/) noexcept override {}

private:
  struct Item {
    std::shared_ptr<JobBase> job;
    UniqueTask task;
    bool cancellable;
    std::uint64_t part;
  };
  void worker_loop(std::stop_token stop);
  void abandon_queue_locked(const std::exception_ptr& e, std::deque<Item>& out);
  void start_thread_locked();  // mutex_ held

  int threads_count_;
  bool on_demand_;
  std::function<void()> initializer_;
  std::uint64_t next_job_id_ = 0;  // guarded by mutex_
  std::string kind_;
  mutable std::mutex mutex_;  // guards everything below but the atomics
  std::condition_variable cv_;
  std::deque<Item> queue_;
  int idle_ = 0;  // workers asleep on cv_
  /// Items in queue_; written under mutex_, read by spinning workers (relaxed:
  /// they re-check queue_ under the mutex).
  std::atomic<std::size_t> queued_{0};
  /// Workers spinning for the next task (changed under mutex_; relaxed):
  /// submit() wakes a sleeper only for the tasks they will not take.
  std::atomic<std::size_t> spinning_{0};
  /// Workers free to take a task: waiting for one, or finishing theirs (see
  /// task_finishing). On-demand pools start a thread when the queue holds
  /// more tasks than this. seq_cst.
  std::atomic<std::size_t> free_{0};
  bool closed_ = false;
  bool terminated_ = false;
  std::exception_ptr broken_;
  std::mutex join_mutex_;
  /// Started under mutex_ (reserved up front: never reallocated), joined by join().
  std::vector<std::jthread> threads_;
};

}  // namespace mp::detail
