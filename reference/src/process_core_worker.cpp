// ProcessCore, the worker process's side: take a task, run it, put the
// result, sleep when idle. The protocol is described in process_core.cpp.
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
#include "mp/trace.hpp"
#include "process_core_internal.hpp"

namespace mp::detail {

using namespace process_core_tuning;  // NOLINT(google-build-using-namespace): this engine's own constants

namespace {
constinit SpinBudget worker_spin{worker_spin_budget};  // adapted per process (mp/detail/spin.hpp)
}  // namespace

// ================================================================ the worker process

void ProcessCore::worker_entry(ProcessCore* core, std::size_t index) { core->worker_main(index); }

namespace {
// One task on the worker's timeline: job and part say which apply/map call and chunk.
[[gnu::noinline]] void trace_task(std::int64_t from, const TaskHeader& h, ResultStatus status) {
  const std::string args = "\"job\":" + std::to_string(h.job) + ",\"part\":" + std::to_string(h.part) +
                           (status == ResultStatus::ok ? "" : ",\"raised\":true");
  trace::complete("task", "pool", from, trace::now_ns(), args);
}
}  // namespace

namespace {
struct TakeContext {
  WorkerSlot* slot;
  TaskHeader* header;
  std::string* args;
  std::string* scratch;
};

// Runs inside ByteRing::get, before the task leaves the ring: records the
// task in the worker's slot first, so that if the worker dies from here on,
// the parent knows which task it held (see the file notes in pool_core.hpp).
void take_task(void* ctx, const ByteRing::Message& m) {
  auto& c = *static_cast<TakeContext*>(ctx);
  const std::string_view args = split_message(m, c.header, sizeof(TaskHeader), *c.scratch);
  c.args->assign(args);
  if (c.header->job == 0) {
    c.slot->exit_reason.store(1, release);
  } else {
    c.slot->part.store(c.header->part, relaxed);
    c.slot->job.store(c.header->job, release);
  }
}
}  // namespace

void ProcessCore::put_result(WorkerSlot& s, std::string& out) {
  // A result larger than the ring takes whole is streamed through it, which
  // needs the parent reading while we write: announce it before the put.
  if (out.size() > result_whole_limit_) {
    s.streams.fetch_add(1, seq_cst);
    notify_parent();
  }
  (void)results_.put(out, Deadline(Timeout::forever()));
  notify_parent();
}

void ProcessCore::worker_main(std::size_t index) {
  WorkerSlot& s = slot(index);
  s.pid.store(static_cast<std::int32_t>(::getpid()), release);  // before any task: see worker_pids()
  std::string out;
  const auto set_header = [&](std::uint64_t job, std::uint64_t part, ResultStatus status) {
    const ResultHeader h{job, part, status, static_cast<std::uint32_t>(index + 1)};
    std::memcpy(out.data(), &h, sizeof h);
  };
  if (options_.initializer) {
    try {
      options_.initializer();
    } catch (...) {
      out.assign(sizeof(ResultHeader), '\0');
      encode_exception(std::current_exception(), out);
      set_header(0, 0, ResultStatus::init_failed);
      put_result(s, out);
      mp::exit(1);
    }
  }
  TaskHeader header{};
  std::string args;
  std::string scratch;
  TakeContext ctx{&s, &header, &args, &scratch};
  for (;;) {
    try {
      // Non-blocking: idle workers wait in wait_for_task, not inside the ring
      // (where they would queue on its consumer lock and wake each other).
      if (!tasks_.get(&take_task, &ctx, Deadline(Timeout::zero())) && !wait_for_task(s, &ctx)) continue;
    } catch (const Error&) {
      continue;  // a large task lost because the parent died while sending it
    }
    if (header.job == 0) return;                  // a stop message: close() wants us gone
    if (tasks_.qsize() > 0) wake_workers(false);  // more queued: wake more sleepers (a few at a time)
    out.assign(sizeof(ResultHeader), '\0');
    ResultStatus status = ResultStatus::ok;
    const std::int64_t traced_from = trace::enabled() ? trace::now_ns() : 0;
    if (traced_from != 0) s.traced_from.store(traced_from, relaxed);
    try {
      reinterpret_cast<RunFn>(header.run)(header.fn, args, out);
    } catch (const SystemExit& e) {
      out.resize(sizeof(ResultHeader));
      encode_exception(
          std::make_exception_ptr(RemoteError(
              "mp::SystemExit", "the task called mp::exit(" + std::to_string(e.code) + ") in a pool worker")),
          out);
      status = ResultStatus::error;
    } catch (...) {
      out.resize(sizeof(ResultHeader));
      encode_exception(std::current_exception(), out);
      status = ResultStatus::error;
    }
    if (traced_from != 0) {
      trace_task(traced_from, header, status);
      s.traced_from.store(0, relaxed);
      trace::flush();  // before the result: a pool that ends on it kills us before we idle
    }
    set_header(header.job, header.part, status);
    put_result(s, out);
    s.job.store(0, release);
    const std::uint64_t done = s.tasks_done.fetch_add(1, relaxed) + 1;
    if (options_.maxtasksperchild > 0 && done >= static_cast<std::uint64_t>(options_.maxtasksperchild)) {
      s.exit_reason.store(2, release);  // retire: the handler forks a fresh worker
      return;
    }
    if (out.capacity() > (std::size_t{1} << 22)) std::string().swap(out);
  }
}

// Waits until a task may be there; true when it took one (streamed tasks).
// Spins first, then sleeps on its slot's wake_seq, announced by `idle` = 2.
// Pairs with wake_workers(): the worker stores idle, fences, checks the ring;
// the parent puts, fences, reads idle. Either the worker sees the task or the
// parent sees the sleeper.
bool ProcessCore::wait_for_task(WorkerSlot& s, void* take_context) {
  PoolShared& sh = *shared_;
  if (sh.task_streams.load(seq_cst) != 0) {
    // A large task is being streamed: it needs a reader while it is written.
    return tasks_.get(&take_task, take_context, Deadline(stream_slice));
  }
  const auto available = [&] { return tasks_.qsize() > 0 || sh.task_streams.load(relaxed) != 0; };
  s.idle.store(1, seq_cst);
  if (spin_until(available, worker_spin)) {
    s.idle.store(0, seq_cst);
    return false;
  }
  trace::flush();  // idle: a good moment to write the events out (a pool's terminate() kills us)
  // In slices: the caller asks again, so a wake-up lost with a killed waker
  // costs at most futex::recheck_interval. Leaving stores idle 0, which also
  // ends a 3 (being woken): we run.
  (void)sleep_announced(
      s.wake_seq, available, [&] { s.idle.store(2, seq_cst); }, [&] { s.idle.store(0, seq_cst); },
      futex::recheck_slice(Deadline(Timeout::forever())));
  return false;
}

// After a put: wakes sleeping workers for the tasks that no spinning or waking
// worker will take, at most max_wakeups_in_flight at a time (`all` aside: stop
// messages); each woken worker wakes more if tasks remain (worker_main).
void ProcessCore::wake_workers(bool all) noexcept {
  std::atomic_thread_fence(seq_cst);  // Dekker: our put, then the workers' idle states
  std::size_t spinning = 0;
  std::size_t waking = 0;
  std::size_t sleeping = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(processes_); ++i) {
    const std::uint32_t idle = slot(i).idle.load(seq_cst);
    spinning += idle == 1 ? 1 : 0;
    sleeping += idle == 2 ? 1 : 0;
    waking += idle == 3 ? 1 : 0;
  }
  if (sleeping == 0) return;
  std::size_t budget = 0;  // how many more to wake (`all`: every sleeper)
  if (!all) {
    const std::size_t queued = tasks_.qsize();
    if (waking >= max_wakeups_in_flight || queued <= spinning + waking) return;
    budget = std::min(max_wakeups_in_flight - waking, queued - spinning - waking);
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(processes_); ++i) {
    WorkerSlot& s = slot(i);
    std::uint32_t expected = 2;
    if (!s.idle.compare_exchange_strong(expected, 3, seq_cst)) continue;
    s.wake_seq.fetch_add(1, release);
    try {
      futex::wake(&s.wake_seq, 1);
    } catch (...) {
    }
    if (!all && --budget == 0) return;
  }
}

void ProcessCore::notify_parent() noexcept {
  PoolShared& sh = *shared_;
  std::atomic_thread_fence(seq_cst);  // Dekker: our put (or stream count), then the parent's flags
  if (sh.fg_waiters.load(relaxed) != 0) {
    sh.fg_seq.fetch_add(1, release);
    try {
      futex::wake_all(&sh.fg_seq);
    } catch (...) {
    }
    return;
  }
  if (sh.fg_active.load(relaxed) == 0 && sh.bg_waiting.load(relaxed) != 0 &&
      sh.bg_waiting.exchange(0, seq_cst) != 0) {
    const std::uint64_t one = 1;
    (void)sys_nothrow([&] { return ::write(sh.wake_fd, &one, sizeof one); });
  }
}

}  // namespace mp::detail
