// ProcessCore, the handler thread: results while nobody waits, callbacks,
// worker deaths and replacements, breaking and stopping the pool.
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
#include "mp/trace.hpp"
#include "process_core_internal.hpp"

namespace mp::detail {

using namespace process_core_tuning;  // NOLINT(google-build-using-namespace): this engine's own constants

thread_local bool process_core_tuning::in_handler_thread = false;

// ================================================================ parent: the handler thread

void ProcessCore::handler_loop() {
  in_handler_thread = true;
  std::vector<pollfd> fds;
  std::vector<std::size_t> which;
  try {
    for (;;) {
      drain(false);
      run_scheduled_callbacks(false);
      if (terminate_requested_.load(acquire)) {
        shutdown_workers(std::make_exception_ptr(
            BrokenPool("mp::" + options_.kind + ": the pool was terminated before this task finished")));
        break;
      }
      if (break_requested_.load(acquire)) {
        std::exception_ptr cause;
        {
          std::lock_guard lk(drain_mutex_);
          cause = init_error_;
        }
        std::string what = "mp::" + options_.kind + ": a worker's initializer failed";
        if (cause) {
          try {
            std::rethrow_exception(cause);
          } catch (const std::exception& e) {
            what += std::string(" (") + exception_type_name(cause) + ": " + e.what() + ")";
          } catch (...) {
          }
        }
        what += ": the pool is broken";
        break_pool(options_.break_on_worker_death ? std::make_exception_ptr(BrokenProcessPool(what))
                                                  : std::make_exception_ptr(BrokenPool(what)));
        break;
      }
      if (phase_.load(acquire) == Phase::broken) break;  // break_pool ran inside on_worker_exit
      if (phase_.load(acquire) == Phase::closing && live_workers() == 0) {
        shutdown_workers(std::make_exception_ptr(
            BrokenPool("mp::" + options_.kind + ": the pool's workers exited before this task ran")));
        break;
      }

      fds.clear();
      which.clear();
      fds.push_back(pollfd{wake_fd_, POLLIN, 0});
      // Every worker not yet seen to end (live_pids_ is written by this
      // thread only): one that ended since is reaped by on_worker_exit.
      bool without_pidfd = false;
      for (std::size_t i = 0; i < workers_.size(); ++i) {
        if (live_pids_[i] != 0) {
          fds.push_back(pollfd{workers_[i].sentinel(), POLLIN, 0});
          which.push_back(i);
          without_pidfd = without_pidfd || workers_[i].sentinel() < 0;
        }
      }
      PoolShared& sh = *shared_;
      sh.bg_waiting.store(1, seq_cst);
      std::atomic_thread_fence(seq_cst);  // Dekker: bg_waiting, then the ring
      int timeout = -1;
      if (results_waiting()) timeout = draining_.load(relaxed) ? 1 : 0;
      {
        std::lock_guard lk(callbacks_mutex_);
        if (!callbacks_.empty()) timeout = 0;
      }
      if (terminate_requested_.load(acquire) || break_requested_.load(acquire)) timeout = 0;
      if (without_pidfd && (timeout < 0 || timeout > 100)) timeout = 100;  // kernel < 5.3: look every 100 ms
      const int n = ::poll(fds.data(), fds.size(), timeout);
      sh.bg_waiting.store(0, relaxed);
      if (n < 0 && errno != EINTR) throw_errno("poll");
      if (without_pidfd) {
        for (std::size_t k = 1; k < fds.size(); ++k) {
          if (fds[k].fd < 0 && workers_[which[k - 1]].exitcode()) on_worker_exit(which[k - 1]);
        }
      }
      if (n <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) {
        std::uint64_t count = 0;
        (void)sys_nothrow([&] { return ::read(wake_fd_, &count, sizeof count); });
      }
      for (std::size_t k = 1; k < fds.size(); ++k) {
        if (fds[k].revents != 0) on_worker_exit(which[k - 1]);
        if (phase_.load(acquire) == Phase::broken) break;
      }
    }
  } catch (const std::exception& e) {
    // Nothing above should throw; if the kernel refuses something, do not
    // leave callers waiting forever.
    std::fprintf(stderr, "mp::%s: the pool's handler thread failed: %s\n", options_.kind.c_str(), e.what());
    try {
      shutdown_workers(
          std::make_exception_ptr(BrokenPool("mp::" + options_.kind + ": internal error: " + e.what())));
    } catch (...) {
    }
  }
  {
    std::lock_guard lk(submit_mutex_);
    if (phase_.load(acquire) != Phase::broken) phase_.store(Phase::stopped, release);  // broken stays broken
  }
  run_scheduled_callbacks(true);
}

std::size_t ProcessCore::live_workers() {
  return static_cast<std::size_t>(
      std::count_if(live_pids_.begin(), live_pids_.end(), [](pid_t p) { return p != 0; }));
}

namespace {
// The task a worker died in, on the dead worker's row: it could not record it.
[[gnu::noinline]] void trace_lost_task(long pid, const WorkerSlot& s, std::uint64_t job, std::uint64_t part,
                                       int exitcode) {
  const std::int64_t now = trace::now_ns();
  const std::int64_t from = s.traced_from.load(std::memory_order_relaxed);
  trace::complete_on(pid, pid, "task (worker died)", "pool", from != 0 && from <= now ? from : now, now,
                     "\"job\":" + std::to_string(job) + ",\"part\":" + std::to_string(part) +
                         ",\"lost\":true,\"exitcode\":" + std::to_string(exitcode));
}
}  // namespace

void ProcessCore::on_worker_exit(std::size_t index) {
  Process& p = workers_[index];
  const std::optional<int> code = p.exitcode();  // reaps: it has ended
  if (!code) return;                             // not yet (spurious readiness)
  WorkerSlot& s = slot(index);
  {
    std::lock_guard lk(workers_mutex_);
    live_pids_[index] = 0;
    s.pid.store(0, relaxed);
  }
  const long pid = p.pid() ? static_cast<long>(*p.pid()) : -1;
  const std::uint64_t job_id = s.job.load(acquire);
  const std::uint64_t part = s.part.load(relaxed);
  const std::uint32_t reason = s.exit_reason.load(acquire);
  s.idle.store(0, seq_cst);  // a dead worker neither spins, sleeps nor wakes: do not count on it
  const bool normal = *code == 0 && reason != 0;
  const bool breaks = !normal && options_.break_on_worker_death;
  if (job_id != 0 && trace::enabled()) trace_lost_task(pid, s, job_id, part, *code);

  // Everything the worker put before it died is in the result ring by now (a
  // put is all or nothing): read it first, then report the task it held.
  drain(true, [&](DrainContext& ctx) {
    streams_seen_[index].store(s.streams.load(seq_cst), relaxed);  // a stream it died in will not come
    if (job_id == 0 || breaks) return;
    std::shared_ptr<JobBase> job;
    {
      std::lock_guard lk(jobs_mutex_);
      auto it = jobs_.find(job_id);
      if (it != jobs_.end()) job = it->second;
    }
    if (options_.window != 0 && in_flight_.load(relaxed) > 0) in_flight_.fetch_sub(1, relaxed);
    if (!job) return;
    const auto err = std::make_exception_ptr(
        WorkerLost("mp::" + options_.kind + ": the worker process (pid " + std::to_string(pid) +
                       ") running this task " + describe_exit(*code) + " before the task returned",
                   pid, *code));
    ++ctx.delivered;
    if (job->deliver_error(part, err)) finished(ctx, job);
  });

  if (break_requested_.load(acquire)) return;  // an initializer failed: the loop breaks the pool
  if (breaks) {
    break_pool(std::make_exception_ptr(
        BrokenProcessPool("mp::" + options_.kind + ": a worker process (pid " + std::to_string(pid) + ") " +
                          describe_exit(*code) +
                          " while the future was running or pending: the executor is broken (as Python's "
                          "concurrent.futures.process.BrokenProcessPool)")));
    return;
  }
  if (normal && reason == 1) return;  // it took a stop message: close() is under way
  const Phase ph = phase_.load(acquire);
  if (ph != Phase::running && ph != Phase::closing) return;
  // Workers that die before their first task, again and again, would be
  // re-forked forever (Python's Pool does that): give up after a few.
  if (!normal && job_id == 0 && s.tasks_done.load(relaxed) == 0) {
    if (++early_deaths_[index] >= max_early_deaths) {
      break_pool(
          std::make_exception_ptr(BrokenPool("mp::" + options_.kind + ": worker processes keep dying (" +
                                             describe_exit(*code) + ") before running any task")));
      return;
    }
  } else {
    early_deaths_[index] = 0;
  }
  start_worker(index);
}

void ProcessCore::stop_all_workers() {
  for (auto& w : workers_) {
    if (w.pid() && !w.exitcode()) w.kill();
  }
  for (auto& w : workers_) {
    if (w.pid()) w.join();
  }
  std::lock_guard lk(workers_mutex_);
  std::fill(live_pids_.begin(), live_pids_.end(), 0);
  for (std::size_t i = 0; i < live_pids_.size(); ++i) slot(i).pid.store(0, relaxed);
}

void ProcessCore::abandon_all(const std::exception_ptr& e) {
  std::unordered_map<std::uint64_t, std::shared_ptr<JobBase>> jobs;
  {
    std::lock_guard lk(jobs_mutex_);
    jobs.swap(jobs_);
  }
  for (auto& [id, job] : jobs) {
    if (job->abandon(e) && job->callbacks_pending()) run_job_callbacks(*job);
  }
  std::atomic_thread_fence(seq_cst);
  if (shared_->fg_waiters.load(relaxed) != 0) wake_fg();
}

void ProcessCore::shutdown_workers(const std::exception_ptr& e) {
  {
    std::lock_guard lk(submit_mutex_);
    feeder_stop_ = true;
    feeder_cv_.notify_all();
  }
  stop_all_workers();
  drain(true);  // results that made it before the end still count
  {
    std::lock_guard lk(submit_mutex_);
    backlog_.clear();
  }
  abandon_all(e);
}

void ProcessCore::break_pool(std::exception_ptr e) {
  {
    std::lock_guard lk(broken_mutex_);
    broken_error_ = e;
  }
  {
    std::lock_guard lk(submit_mutex_);
    phase_.store(Phase::broken, release);
  }
  shutdown_workers(e);
}

}  // namespace mp::detail
