// ProcessCore, the parent reads results: draining the result ring, waiting
// in get() without a thread hop, callbacks. The protocol is described in process_core.cpp.
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
#include "mp/detail/spin_wait.hpp"
#include "mp/detail/syscall.hpp"
#include "process_core_internal.hpp"

namespace mp::detail {

using namespace process_core_tuning;  // NOLINT(google-build-using-namespace): this engine's own constants

namespace {
constinit SpinBudget results_spin{spin_budget};  // adapted per process (mp/detail/spin.hpp)
}  // namespace

// ================================================================ parent: reading results

bool ProcessCore::any_streaming() const noexcept {
  for (std::size_t i = 0; i < static_cast<std::size_t>(processes_); ++i) {
    if (slot(i).streams.load(seq_cst) > streams_seen_[i].load(relaxed)) return true;
  }
  return false;
}

bool ProcessCore::results_waiting() const noexcept { return results_.qsize() > 0 || any_streaming(); }

void ProcessCore::wake_fg() noexcept {
  shared_->fg_seq.fetch_add(1, release);
  try {
    futex::wake_all(&shared_->fg_seq);
  } catch (...) {
  }
}

void ProcessCore::wake_handler() noexcept {
  const std::uint64_t one = 1;
  (void)sys_nothrow([&] { return ::write(wake_fd_, &one, sizeof one); });
}

void ProcessCore::on_result(void* ctx, const ByteRing::Message& m) {
  auto& c = *static_cast<std::pair<ProcessCore*, DrainContext*>*>(ctx);
  ProcessCore& self = *c.first;
  ResultHeader h{};
  const std::size_t total = m.first.size() + m.second.size();
  const std::string_view payload = split_message(m, &h, sizeof h, self.joined_);
  if (total < sizeof h) return;  // not ours: ignore
  if (h.reserved != 0 && h.reserved <= static_cast<std::uint32_t>(self.processes_) &&
      total > self.result_whole_limit_) {
    self.streams_seen_[h.reserved - 1].fetch_add(1, relaxed);
  }
  self.dispatch(*c.second, h, payload);
}

void ProcessCore::dispatch(DrainContext& ctx, const ResultHeader& h, std::string_view payload) {
  if (h.status == ResultStatus::init_failed) {
    if (!init_error_) init_error_ = decode_exception(payload);
    ctx.init_failed = true;
    return;
  }
  if (options_.window != 0 && in_flight_.load(relaxed) > 0) in_flight_.fetch_sub(1, relaxed);
  std::shared_ptr<JobBase> job;
  {
    std::lock_guard lk(jobs_mutex_);
    auto it = jobs_.find(h.job);
    if (it == jobs_.end()) return;  // finished already (a failed map, a duplicate): drop it
    job = it->second;
  }
  const bool fin = h.status == ResultStatus::ok ? job->deliver_bytes(h.part, payload)
                                                : job->deliver_error(h.part, decode_exception(payload));
  ++ctx.delivered;
  if (fin) finished(ctx, job);
}

void ProcessCore::finished(DrainContext& ctx, const std::shared_ptr<JobBase>& job) {
  {
    std::lock_guard lk(jobs_mutex_);
    jobs_.erase(job->id);
  }
  if (job->callbacks_pending()) ctx.callbacks.push_back(job);
}

bool ProcessCore::drain(bool block, FunctionRef<void(DrainContext&)> then) {
  std::unique_lock lk(drain_mutex_, std::defer_lock);
  if (block) {
    lk.lock();
  } else if (!lk.try_lock()) {
    return false;
  }
  draining_.store(true, relaxed);
  DrainContext ctx;
  std::pair<ProcessCore*, DrainContext*> sink_ctx{this, &ctx};
  for (;;) {
    try {
      if (results_.get(&ProcessCore::on_result, &sink_ctx, Deadline(Timeout::zero()))) continue;
    } catch (const Error&) {
      continue;  // a streamed result lost with its worker: the death reports the task
    }
    if (!any_streaming()) break;
    // A worker streams a large result and waits for room: read it as it comes.
    try {
      if (!results_.get(&ProcessCore::on_result, &sink_ctx, Deadline(stream_slice))) break;
    } catch (const Error&) {
      break;
    }
  }
  then(ctx);
  // Before unlocking: the handler drains (under this lock) before it judges a
  // worker's exit, and must then see that the exit was an initializer failure.
  if (ctx.init_failed) break_requested_.store(true, release);
  draining_.store(false, seq_cst);
  lk.unlock();
  std::atomic_thread_fence(seq_cst);  // Dekker: deliveries, then fg_waiters
  if (ctx.delivered > 0 && shared_->fg_waiters.load(relaxed) != 0) wake_fg();
  if (ctx.delivered > 0 && options_.window != 0) {
    std::lock_guard slk(submit_mutex_);
    if (feeder_waiting_) feeder_cv_.notify_one();
  }
  if (ctx.init_failed && !in_handler_thread) wake_handler();
  for (auto& job : ctx.callbacks) schedule_callbacks(std::move(job));
  return true;
}

bool ProcessCore::drain(bool block) {
  return drain(block, [](DrainContext&) {});
}

void ProcessCore::run_job_callbacks(JobBase& job) noexcept {
  job.run_callbacks();
  // A job with result callbacks became done only now: wake its waiters.
  std::atomic_thread_fence(seq_cst);
  if (shared_->fg_waiters.load(relaxed) != 0) wake_fg();
}

void ProcessCore::schedule_callbacks(std::shared_ptr<JobBase> job) {
  if (!in_handler_thread) {
    std::unique_lock lk(callbacks_mutex_);
    if (!handler_gone_) {
      callbacks_.push_back(std::move(job));
      lk.unlock();
      wake_handler();
      return;
    }
  }
  run_job_callbacks(*job);  // the handler thread itself, or it has ended
}

void ProcessCore::run_scheduled_callbacks(bool last) {
  std::vector<std::shared_ptr<JobBase>> jobs;
  {
    std::lock_guard lk(callbacks_mutex_);
    jobs.swap(callbacks_);
    if (last) handler_gone_ = true;
  }
  for (auto& job : jobs) run_job_callbacks(*job);
}

void ProcessCore::leave_fg() noexcept {
  shared_->fg_active.fetch_sub(1, seq_cst);
  std::atomic_thread_fence(seq_cst);  // Dekker: fg_active, then the ring (see the file notes)
  if (!results_waiting()) return;
  try {
    if (drain(false)) return;
  } catch (...) {
  }
  wake_handler();  // someone else is draining, or draining failed: make sure the handler looks
}

bool ProcessCore::wait_until(JobBase& /*job*/, FunctionRef<bool()> ready, const Deadline& deadline) {
  if (ready()) return true;
  check_owner("wait for a result");
  if (in_handler_thread) {
    // Python deadlocks here; the handler thread is the one that would notice a dead worker.
    throw ValueError("mp::" + options_.kind +
                     ": a callback cannot wait for another result: it runs in the pool's handler thread, "
                     "which must stay free to deliver results");
  }
  PoolShared& sh = *shared_;
  sh.fg_active.fetch_add(1, seq_cst);
  struct Leave {
    ProcessCore* core;
    ~Leave() { core->leave_fg(); }
  } leave{this};
  const auto busy = [&] { return results_waiting() && !draining_.load(relaxed); };
  for (;;) {
    drain(false);
    if (ready()) return true;
    if (deadline.expired()) return false;
    // Spin a little: a worker that is awake answers within microseconds, and
    // a futex sleep plus wake-up costs tens of them.
    if (spin_until([&] { return busy() || ready(); }, results_spin, deadline.at())) continue;
    // Dekker: fg_waiters, then the ring and the job. In slices: a worker
    // killed between its result and its wake woke nobody.
    (void)sleep_announced(
        sh.fg_seq, [&] { return ready() || busy(); }, [&] { sh.fg_waiters.fetch_add(1, seq_cst); },
        [&] { sh.fg_waiters.fetch_sub(1, relaxed); }, futex::recheck_slice(deadline));
  }
}

}  // namespace mp::detail
