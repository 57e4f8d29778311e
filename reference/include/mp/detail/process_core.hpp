#pragma once
/// @file
/// @brief ProcessCore, the process pool engine under mp::Pool and
/// mp::ProcessPoolExecutor, and the records it shares with its workers
/// (PoolShared, WorkerSlot). Sources: process_core.cpp (set-up, submitting,
/// the handler thread), process_core_results.cpp (reading results, waiting),
/// process_core_worker.cpp (the forked worker's side).
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "mp/detail/byte_ring.hpp"
#include "mp/detail/job.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/process.hpp"

namespace mp::detail {

/// The shared header of a process pool: how workers wake the parent. Lives
/// in an anonymous shared mapping, followed by one WorkerSlot per worker.
struct alignas(64) PoolShared {
  explicit PoolShared(int eventfd) : wake_fd(eventfd) {}
  /// Bumped by a worker after a result when `fg_waiters` > 0; callers of
  /// get() sleep on it (futex). Release; the Dekker pairing is done by fences.
  alignas(64) std::atomic<std::uint32_t> fg_seq{0};
  /// Parent threads asleep on fg_seq. seq_cst (with fences; see process_core.cpp).
  std::atomic<std::uint32_t> fg_waiters{0};
  /// Parent threads inside wait_until (awake or asleep): they read results,
  /// so workers need not wake the handler thread. seq_cst.
  std::atomic<std::uint32_t> fg_active{0};
  /// 1 while the handler thread sleeps in poll(); the worker that clears it
  /// (exchange) writes the eventfd: one write per sleep. seq_cst.
  alignas(64) std::atomic<std::uint32_t> bg_waiting{0};
  /// The handler thread's eventfd (inherited by the workers at fork).
  const int wake_fd;
  /// Tasks being streamed into the task ring (larger than it takes whole):
  /// idle workers then read with blocking gets, which a stream needs. seq_cst.
  alignas(64) std::atomic<std::uint32_t> task_streams{0};
};

/// One worker's shared record, written by the worker, read by the parent
/// once the worker has ended (then nothing changes it any more).
struct alignas(64) WorkerSlot {
  /// The task the worker runs (0 = none), stored before the task leaves the
  /// ring and cleared after its result is in the result ring. Release.
  std::atomic<std::uint64_t> job{0};
  std::atomic<std::uint64_t> part{0};
  /// With tracing on: when the worker started its task (trace::now_ns), so
  /// that the parent can draw the task of a worker killed in it. Relaxed.
  std::atomic<std::int64_t> traced_from{0};
  /// Results larger than the ring takes whole that this worker started to
  /// put (streamed: the parent must read them while they are written).
  /// Bumped seq_cst before the put (Dekker with the parent's sleep).
  std::atomic<std::uint64_t> streams{0};
  /// How the worker left: 0 running, 1 took a stop message, 2 retired (maxtasksperchild).
  std::atomic<std::uint32_t> exit_reason{0};
  /// Tasks this worker finished (a retired worker's replacement starts at 0).
  std::atomic<std::uint64_t> tasks_done{0};
  /// 0 working, 1 spinning for the next task, 2 asleep on `wake_seq`, 3 being
  /// woken (a waker moved it 2 → 3 by CAS, so that no second waker picks it).
  /// The worker sets 0 when it runs again; the parent when it dies. seq_cst:
  /// the Dekker pairing of wake_workers() and wait_for_task().
  std::atomic<std::uint32_t> idle{0};
  /// The worker's futex word while asleep; bumped (release) by its waker.
  std::atomic<std::uint32_t> wake_seq{0};
  /// The worker's pid, stored by the worker before it takes its first task
  /// (release), so that worker_pids() lists it before the parent's own record
  /// of the fork is written; cleared by the parent when the worker has ended.
  std::atomic<std::int32_t> pid{0};
};

/// The process pool engine under mp::Pool and mp::ProcessPoolExecutor.
/// Made with std::make_shared; owned by the pool object and by every job.
///
/// Threads: the *handler* thread (results when nobody waits, callbacks,
/// worker deaths, replacements) and the *feeder* thread (tasks that did not
/// fit in the task ring at once). Both start in the constructor, after the
/// first workers are forked.
///
/// **Lock order.** Mutexes taken while another is held, and only in this order:
/// - `join_mutex_` → `submit_mutex_` (join() stops the feeder);
/// - `drain_mutex_` → `jobs_mutex_` (a result's job looked up), and
///   `drain_mutex_` → a job's own mutex (JobBase::deliver_*), never both at
///   once: the table lock is released before delivering;
/// - `workers_mutex_`, `broken_mutex_` and `callbacks_mutex_` are leaves:
///   nothing is locked while one is held.
/// `submit_mutex_` is taken after `drain_mutex_` is released (drain() wakes
/// the feeder once it has unlocked), and no job's mutex is held while a core
/// mutex is taken: deliveries, abandon() and callbacks run with no core lock.
class ProcessCore final : public CoreBase {
public:
  struct Options {
    int processes = 0;                   ///< 0: cpu_count()
    std::function<void()> initializer;   ///< run once in each worker
    int maxtasksperchild = 0;            ///< 0: workers live as long as the pool
    bool break_on_worker_death = false;  ///< executor semantics (BrokenProcessPool)
    std::size_t window = 0;              ///< max tasks in the ring or running; 0: no limit
    std::string kind = "Pool";           ///< for messages
  };

  explicit ProcessCore(Options options);
  ~ProcessCore() override;
  ProcessCore(const ProcessCore&) = delete;
  ProcessCore& operator=(const ProcessCore&) = delete;

  [[nodiscard]] int processes() const noexcept { return processes_; }
  /// Makes `job` known (assigns its id) so that its results find it.
  /// @throws mp::ValueError after close/terminate; mp::BrokenPool when broken.
  void register_job(const std::shared_ptr<JobBase>& job);
  /// Queues one task message (TaskHeader + arguments) of `job`. The job's
  /// state decides at hand-over whether the task still runs (JobBase::try_start:
  /// a cancelled future, or a later chunk of a map that already failed, does not).
  /// @throws as register_job.
  void send(std::string_view message, const std::shared_ptr<JobBase>& job, std::uint64_t part = 0);
  void forget(const JobBase& job) noexcept override;
  /// Fails a job that could not be sent completely, and forgets it.
  void fail_unsent(const std::shared_ptr<JobBase>& job, std::exception_ptr e) noexcept;

  void close();
  void terminate();
  void join();
  /// Python's shutdown(cancel_futures=True): cancels every task not yet handed over.
  void cancel_pending();
  [[nodiscard]] bool is_closed() const noexcept;
  /// Throws mp::ValueError when called from a process other than the pool's owner.
  void check_owner(const char* what) const;

  bool wait_until(JobBase& job, FunctionRef<bool()> ready, const Deadline& deadline) override;
  void schedule_callbacks(std::shared_ptr<JobBase> job) override;

  /// The pid of each live worker (for tests and diagnostics).
  [[nodiscard]] std::vector<pid_t> worker_pids() const;

private:
  struct DrainContext;
  struct Pending {
    std::string message;
    std::shared_ptr<JobBase> job;  // null for stop messages
    bool stop = false;
    std::uint64_t part = 0;
    bool started = false;  // already claimed by try_start_part (a fast put that found the ring full)
  };
  enum class Phase { running, closing, terminating, broken, stopped };

  // ---- worker process ----
  static void worker_entry(ProcessCore* core, std::size_t index);
  void worker_main(std::size_t index);
  void put_result(WorkerSlot& s, std::string& out);
  bool wait_for_task(WorkerSlot& s, void* take_context);
  void notify_parent() noexcept;
  void wake_workers(bool all) noexcept;

  // ---- parent: results ----
  bool drain(bool block);
  bool drain(bool block, FunctionRef<void(DrainContext&)> then);
  static void on_result(void* ctx, const ByteRing::Message& message);
  void dispatch(DrainContext& ctx, const ResultHeader& h, std::string_view payload);
  void finished(DrainContext& ctx, const std::shared_ptr<JobBase>& job);
  [[nodiscard]] bool results_waiting() const noexcept;
  [[nodiscard]] bool any_streaming() const noexcept;
  void wake_fg() noexcept;
  void wake_handler() noexcept;
  void leave_fg() noexcept;
  void run_job_callbacks(JobBase& job) noexcept;
  void run_scheduled_callbacks(bool last);

  // ---- parent: handler and feeder threads ----
  void handler_loop();
  void feeder_loop();
  void start_worker(std::size_t index);
  void on_worker_exit(std::size_t index);
  std::size_t live_workers();
  void stop_all_workers();
  void abandon_all(const std::exception_ptr& e);
  void shutdown_workers(const std::exception_ptr& e);
  void break_pool(std::exception_ptr e);
  void check_accepting() const;
  [[nodiscard]] WorkerSlot& slot(std::size_t i) const noexcept;
  [[nodiscard]] bool window_open() const noexcept;

  Options options_;
  int processes_;
  pid_t owner_;
  ByteRing tasks_;
  ByteRing results_;
  std::size_t task_whole_limit_;    // largest task put without streaming
  std::size_t result_whole_limit_;  // largest result put without streaming
  int wake_fd_ = -1;
  std::shared_ptr<PoolShared> shared_;  // header + processes_ WorkerSlots
  /// Streamed results received per worker slot (compare WorkerSlot::streams).
  /// Written under drain_mutex_; read anywhere (relaxed).
  std::unique_ptr<std::atomic<std::uint64_t>[]> streams_seen_;

  // Written by the handler thread only (and the constructor), under
  // workers_mutex_ for worker_pids().
  mutable std::mutex workers_mutex_;
  std::vector<Process> workers_;
  std::vector<pid_t> live_pids_;             // (workers_mutex_) 0 where no worker runs
  std::vector<std::uint32_t> early_deaths_;  // consecutive deaths before a first task, per slot
  std::uint64_t workers_started_ = 0;        // names the workers, as Python counts them

  // The job table (jobs_mutex_): jobs waiting for results, by id.
  mutable std::mutex jobs_mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<JobBase>> jobs_;
  std::uint64_t next_job_id_ = 1;

  // Task submission (submit_mutex_): the backlog that the feeder thread puts.
  mutable std::mutex submit_mutex_;
  std::condition_variable feeder_cv_;
  std::deque<Pending> backlog_;
  bool feeder_waiting_ = false;
  bool feeder_busy_ = false;  // the feeder holds a popped task not yet in the ring
  bool feeder_stop_ = false;
  /// Tasks handed over without a result yet (window accounting). Relaxed:
  /// only a heuristic bound; the feeder is woken under submit_mutex_.
  std::atomic<std::size_t> in_flight_{0};
  /// Stored under submit_mutex_ (release), read anywhere (acquire).
  std::atomic<Phase> phase_{Phase::running};
  mutable std::mutex broken_mutex_;
  std::exception_ptr broken_error_;  // (broken_mutex_) why the pool is broken

  // Reading results: one drainer at a time (drain_mutex_); draining_ tells
  // waiters that a drain is under way (seq_cst: Dekker with fg_waiters).
  std::mutex drain_mutex_;
  std::atomic<bool> draining_{false};
  std::string joined_;             // (drain_mutex_) a result that wrapped around the ring's end
  std::exception_ptr init_error_;  // (drain_mutex_) a worker's initializer failed

  // Callbacks for the handler thread (callbacks_mutex_).
  std::mutex callbacks_mutex_;
  std::vector<std::shared_ptr<JobBase>> callbacks_;
  bool handler_gone_ = false;  // (callbacks_mutex_) callers then run callbacks themselves

  std::atomic<bool> terminate_requested_{false};  // release/acquire
  std::atomic<bool> break_requested_{false};      // release/acquire
  std::mutex join_mutex_;
  std::unique_ptr<std::thread> handler_;
  std::unique_ptr<std::thread> feeder_;
};

}  // namespace mp::detail
