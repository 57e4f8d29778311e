// The process pool engine (mp::detail::ProcessCore): set-up and submitting.
// The other sources: process_core_results.cpp (the parent reads results),
// process_core_worker.cpp (the forked worker), process_core_handler.cpp (the
// handler thread: callbacks, worker deaths, replacements). The protocol:
//
// How the parent learns that results are there
// --------------------------------------------
// Workers put result messages into `results_` (a ByteRing) and then call
// notify_parent(). The parent never sleeps inside the ring (all its gets are
// non-blocking, except while a worker streams a large result); it sleeps on
// one of two things instead:
//
//  - a thread waiting in get()/map()/next() ("foreground") sleeps on the futex
//    word PoolShared::fg_seq, counted in fg_waiters;
//  - the handler thread ("background") sleeps in poll() on an eventfd plus the
//    workers' pidfds, announced by bg_waiting.
//
// After each put a worker issues a seq_cst fence and wakes the foreground if
// anyone sleeps there, else the background if no foreground thread is active
// at all (fg_active). Every sleeper, after announcing itself, issues a seq_cst
// fence and checks the ring (qsize, streaming workers) before sleeping. The
// two fences make this a Dekker pairing (store; fence; load on both sides):
// either the worker sees the sleeper, or the sleeper sees the result. The same
// pairing covers a foreground thread that leaves (fg_active) while results
// arrive: it checks the ring once more on its way out.
//
// A foreground thread reads results itself, so apply_async(...).get() costs
// at most one wake-up of a worker and one of the caller (a pipe round trip),
// with no hand-over between threads of the parent; and none at all when both
// are still spinning from the previous call (the common loop: ~2-4 us).
//
// How workers learn that tasks are there
// --------------------------------------
// The mirror image: workers never sleep inside the task ring either. An idle
// worker spins ~50 us for the next task (WorkerSlot::idle = 1), then sleeps on
// its own futex word (idle = 2). After a put the parent wakes sleepers only
// for tasks that no spinning or waking worker will take, and at most
// max_wakeups_in_flight at a time: it claims a sleeper by CAS (idle 2 -> 3,
// "being woken"), and each woken worker wakes more if tasks remain, so the
// wake-ups spread over the CPUs as a tree. A few wake-ups in flight let the
// scheduler place each woken worker on an idle CPU; a burst of wake-ups from
// one CPU stacks workers on one CPU for milliseconds (measured: 8 workers on
// 8 CPUs took 47 ms instead of 31 ms for 16 equal chunks), and one at a time
// is a chain: the 16th of 16 workers started 0.6 ms late, 0.17 ms with four.
// Store; fence; load on both sides again (wait_for_task / wake_workers).
//
// Threads and fork
// ----------------
// The constructor forks the first workers before it starts the two threads.
// Replacement workers are forked later by the handler thread, while other
// threads of the program may run. That is safe here because the child only
// runs worker_main(): it touches the shared rings and slots (robust,
// process-shared locks) and its own copies of private memory, never a mutex of
// the parent's threads, and glibc resets the malloc and stdio locks in the
// child of a fork. (A task function that takes a lock which some other thread
// of the parent held at that moment would still hang in that worker: the same
// caveat as Python's fork start method.)
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <system_error>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "mp/detail/futex.hpp"
#include "mp/detail/process_core.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/detail/spin.hpp"
#include "mp/detail/syscall.hpp"
#include "process_core_internal.hpp"

namespace mp::detail {

using namespace process_core_tuning;  // NOLINT(google-build-using-namespace): this engine's own constants

// ================================================================ ProcessCore: setup

ProcessCore::ProcessCore(Options options)
    : options_(std::move(options)),
      processes_(options_.processes),
      owner_(current_pid()),
      tasks_(task_ring_bytes, 0),
      results_(result_ring_bytes, 0),
      task_whole_limit_(tasks_.capacity() / 4 - 8),
      result_whole_limit_(results_.capacity() / 4 - 8) {
  if (processes_ < 0)
    throw ValueError("mp::" + options_.kind + ": the number of processes must be at least 1");
  if (processes_ == 0) processes_ = cpu_count();
  if (options_.maxtasksperchild < 0) {
    throw ValueError("mp::" + options_.kind + ": maxtasksperchild must be a positive number or 0 (no limit)");
  }
  const auto n = static_cast<std::size_t>(processes_);
  wake_fd_ = sys("eventfd", [] { return ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); });
  try {
    shared_ = make_shared_object_with_extra<PoolShared>(sizeof(WorkerSlot) * n, wake_fd_);
    void* slots = reinterpret_cast<char*>(shared_.get()) + sizeof(PoolShared);
    for (std::size_t i = 0; i < n; ++i) ::new (static_cast<WorkerSlot*>(slots) + i) WorkerSlot();
    streams_seen_ = std::make_unique<std::atomic<std::uint64_t>[]>(n);
    early_deaths_.assign(n, 0);
    live_pids_.assign(n, 0);
    workers_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      workers_.emplace_back(&ProcessCore::worker_entry, this, i);
      start_worker(i);
    }
    handler_ = std::make_unique<std::thread>([this] { handler_loop(); });
    feeder_ = std::make_unique<std::thread>([this] { feeder_loop(); });
  } catch (...) {
    for (auto& w : workers_) {
      if (w.is_alive()) w.kill();
    }
    workers_.clear();  // reaps them
    ::close(wake_fd_);
    throw;
  }
}

ProcessCore::~ProcessCore() {
  if (current_pid() != owner_) {
    // A forked copy (a child that dropped the last handle): the threads and
    // workers belong to the parent. Leave them alone.
    (void)handler_.release();  // leaked on purpose: destroying a joinable std::thread aborts
    (void)feeder_.release();
    return;
  }
  try {
    terminate();
  } catch (...) {
  }
  ::close(wake_fd_);
}

WorkerSlot& ProcessCore::slot(std::size_t i) const noexcept {
  void* slots = reinterpret_cast<char*>(shared_.get()) + sizeof(PoolShared);
  return std::launder(static_cast<WorkerSlot*>(slots))[i];
}

void ProcessCore::check_owner(const char* what) const {
  if (current_pid() != owner_) {
    throw ValueError(std::string("mp::") + options_.kind + ": cannot " + what +
                     " in a child process: a pool is used only by the process that created it");
  }
}

void ProcessCore::start_worker(std::size_t index) {
  WorkerSlot& s = slot(index);
  s.job.store(0, relaxed);
  s.part.store(0, relaxed);
  s.streams.store(0, relaxed);
  s.exit_reason.store(0, relaxed);
  s.tasks_done.store(0, relaxed);
  s.idle.store(0, relaxed);
  s.wake_seq.store(0, relaxed);
  s.pid.store(0, relaxed);
  streams_seen_[index].store(0, relaxed);
  Process p(&ProcessCore::worker_entry, this, index);
  p.set_daemon(true);  // Python's pool workers are daemonic: they never outlive the program
  // Python's names: ForkPoolWorker-1, ...; in Process-1's pool ForkPoolWorker-1:1, ...
  p.set_name("ForkPoolWorker-" + child_identity_prefix() + std::to_string(++workers_started_));
  p.start();
  std::lock_guard lk(workers_mutex_);
  live_pids_[index] = p.pid().value_or(0);
  workers_[index] = std::move(p);
}

std::vector<pid_t> ProcessCore::worker_pids() const {
  std::vector<pid_t> out;
  std::lock_guard lk(workers_mutex_);
  for (std::size_t i = 0; i < live_pids_.size(); ++i) {
    // A worker just forked may run tasks before the handler thread has
    // recorded its pid: its slot has it from the start (see WorkerSlot::pid).
    const pid_t pid = live_pids_[i] != 0 ? live_pids_[i] : static_cast<pid_t>(slot(i).pid.load(acquire));
    if (pid != 0) out.push_back(pid);
  }
  return out;
}

// ================================================================ parent: submitting

bool ProcessCore::window_open() const noexcept {
  return options_.window == 0 || in_flight_.load(relaxed) < options_.window;
}

void ProcessCore::check_accepting() const {
  switch (phase_.load(acquire)) {
    case Phase::running: return;
    case Phase::broken: {
      std::lock_guard lk(broken_mutex_);
      if (broken_error_) std::rethrow_exception(broken_error_);
      throw BrokenPool("mp::" + options_.kind + ": the pool is broken");
    }
    default:
      throw ValueError(
          "mp::" + options_.kind +
          ": the pool is not running (close(), terminate() or shutdown() was called): it takes no new tasks");
  }
}

void ProcessCore::register_job(const std::shared_ptr<JobBase>& job) {
  check_owner("submit tasks");
  check_accepting();
  std::lock_guard lk(jobs_mutex_);
  job->id = next_job_id_++;
  jobs_.emplace(job->id, job);
}

void ProcessCore::send(std::string_view message, const std::shared_ptr<JobBase>& job, std::uint64_t part) {
  std::unique_lock lk(submit_mutex_);
  check_accepting();
  // The fast path: straight into the ring, in this thread, when nothing is
  // queued before it (tasks keep their order) and the ring has room now.
  bool started = false;
  if (backlog_.empty() && !feeder_busy_ && message.size() <= task_whole_limit_ && window_open()) {
    // A part that can be cancelled on its own is claimed before it leaves.
    if (job && job->parts_cancellable()) {
      if (!job->try_start_part(part)) return;  // cancelled already
      started = true;
    }
    if (options_.window != 0) in_flight_.fetch_add(1, relaxed);
    if (tasks_.put(message, Deadline(Timeout::zero()))) {
      if (job && !started) (void)job->try_start();
      wake_workers(false);
      return;
    }
    if (options_.window != 0) in_flight_.fetch_sub(1, relaxed);
  }
  backlog_.push_back(Pending{std::string(message), job, false, part, started});
  if (feeder_waiting_) feeder_cv_.notify_one();
}

void ProcessCore::forget(const JobBase& job) noexcept {
  {
    std::lock_guard lk(jobs_mutex_);
    jobs_.erase(job.id);
  }
  std::atomic_thread_fence(seq_cst);
  if (shared_->fg_waiters.load(relaxed) != 0) wake_fg();
}

void ProcessCore::fail_unsent(const std::shared_ptr<JobBase>& job, std::exception_ptr e) noexcept {
  const bool fin = job->abandon(e);
  forget(*job);
  if (fin && job->callbacks_pending()) run_job_callbacks(*job);
}

void ProcessCore::feeder_loop() {
  std::unique_lock lk(submit_mutex_);
  for (;;) {
    while (!feeder_stop_ && (backlog_.empty() || (!backlog_.front().stop && !window_open()))) {
      feeder_waiting_ = true;
      feeder_cv_.wait(lk);
      feeder_waiting_ = false;
    }
    if (feeder_stop_) return;
    Pending p = std::move(backlog_.front());
    backlog_.pop_front();
    // A cancelled future or map item, or a later chunk of a map that already failed, is dropped here.
    if (p.job && !p.started && !p.job->try_start_part(p.part)) continue;
    feeder_busy_ = true;
    if (options_.window != 0 && !p.stop) in_flight_.fetch_add(1, relaxed);
    lk.unlock();
    // A task too large for the ring to take whole is streamed: idle workers
    // must read it while it is written (see wait_for_task).
    const bool streamed = p.message.size() > task_whole_limit_;
    if (streamed) {
      shared_->task_streams.fetch_add(1, seq_cst);
      wake_workers(true);
    }
    bool put = false;
    while (!put) {
      put = tasks_.put(p.message, Deadline(feeder_slice));
      if (!put && phase_.load(acquire) != Phase::running && phase_.load(acquire) != Phase::closing) break;
    }
    if (streamed) shared_->task_streams.fetch_sub(1, seq_cst);
    if (put) wake_workers(p.stop);
    lk.lock();
    feeder_busy_ = false;
    if (!put) return;  // terminated or broken while the ring was full
  }
}

void ProcessCore::close() {
  check_owner("close a pool");
  if (phase_.load(acquire) == Phase::running) feed_all();  // lazy imaps submit the rest of their input first
  std::lock_guard lk(submit_mutex_);
  Phase expected = Phase::running;
  if (!phase_.compare_exchange_strong(expected, Phase::closing, std::memory_order_acq_rel)) return;
  // One stop message per worker, behind every task already queued.
  TaskHeader stop{0, 0, 0, 0};
  const std::string message(reinterpret_cast<const char*>(&stop), sizeof stop);
  for (int i = 0; i < processes_; ++i) backlog_.push_back(Pending{message, nullptr, true});
  if (feeder_waiting_) feeder_cv_.notify_one();
  wake_handler();
}

bool ProcessCore::is_closed() const noexcept { return phase_.load(acquire) != Phase::running; }

void ProcessCore::terminate() {
  check_owner("terminate a pool");
  terminate_requested_.store(true, release);
  {
    std::lock_guard lk(submit_mutex_);
    Phase p = phase_.load(acquire);
    if (p == Phase::running || p == Phase::closing) phase_.store(Phase::terminating, release);
    feeder_stop_ = true;
    feeder_cv_.notify_all();
  }
  wake_handler();
  join();
}

void ProcessCore::join() {
  check_owner("join a pool");
  std::lock_guard lk(join_mutex_);
  if (handler_ && handler_->joinable()) {
    if (handler_->get_id() == std::this_thread::get_id()) {
      handler_->detach();  // the last handle died in a callback: the handler ends on its own
    } else {
      handler_->join();
    }
  }
  if (feeder_ && feeder_->joinable()) {
    {
      std::lock_guard slk(submit_mutex_);
      feeder_stop_ = true;
      feeder_cv_.notify_all();
    }
    feeder_->join();
  }
}

void ProcessCore::cancel_pending() {
  std::vector<std::shared_ptr<JobBase>> jobs;
  {
    std::lock_guard lk(submit_mutex_);
    for (auto& p : backlog_) {
      if (p.job && !p.started && (jobs.empty() || jobs.back() != p.job)) jobs.push_back(p.job);
    }
  }
  for (auto& j : jobs) j->cancel_pending_work();
}

// ================================================================ small tools

namespace process_core_tuning {

std::string describe_exit(int code) {
  if (code < 0) {
    const char* name = ::sigabbrev_np(-code);
    return "killed by signal " + std::to_string(-code) +
           (name != nullptr ? std::string(" (SIG") + name + ")" : "");
  }
  return "exited with code " + std::to_string(code);
}

// Copies the first `n` bytes of a ring message (which may wrap) into `dst`;
// returns the rest of the message as one view, joined in `scratch` if needed.
std::string_view split_message(const ByteRing::Message& m, void* dst, std::size_t n, std::string& scratch) {
  std::string_view whole = m.first;
  if (!m.second.empty()) {
    scratch.assign(m.first);
    scratch.append(m.second);
    whole = scratch;
  }
  if (whole.size() < n) return {};
  std::memcpy(dst, whole.data(), n);
  return whole.substr(n);
}

}  // namespace process_core_tuning

}  // namespace mp::detail
