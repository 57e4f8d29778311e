// The process pool engine (mp::detail::ProcessCore) and the encoding of
// exceptions that cross from a worker to the caller.
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
#include <typeinfo>
#include <variant>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "mp/detail/demangle.hpp"
#include "mp/detail/futex.hpp"
#include "mp/detail/pool_core.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/detail/spin.hpp"
#include "mp/detail/syscall.hpp"

namespace mp::detail {

namespace {

using namespace std::chrono_literals;
constexpr auto seq_cst = std::memory_order_seq_cst;
constexpr auto acquire = std::memory_order_acquire;
constexpr auto release = std::memory_order_release;
constexpr auto relaxed = std::memory_order_relaxed;

// Task ring: holds a 20k-item chunksize=1 map at once (48 bytes per task).
constexpr std::size_t task_ring_bytes = std::size_t{2} << 20;
constexpr std::size_t result_ring_bytes = std::size_t{2} << 20;
// How long a caller spins for a result before it sleeps: a worker's answer to
// a short task comes within a few microseconds when the worker is awake.
constexpr std::chrono::nanoseconds spin_budget = 20us;
// How long an idle worker spins for the next task before it sleeps: when the
// caller submits again right after get() returns, the task is taken at once,
// with no wake-up (the common apply_async loop).
constexpr std::chrono::nanoseconds worker_spin_budget = 50us;
// How many sleeping workers may be being woken at once (see the top comment):
// 1 is a chain, all at once stacks them on one CPU; 4 measured best on 16 CPUs.
constexpr std::size_t max_wakeups_in_flight = 4;
// A reader waiting for a large result being streamed re-checks this often.
constexpr std::chrono::milliseconds stream_slice = 10ms;
// The feeder's blocking put re-checks this often whether the pool stopped.
constexpr std::chrono::milliseconds feeder_slice = 50ms;
// Workers dying before their first task this many times in a row break the pool.
constexpr std::uint32_t max_early_deaths = 8;

thread_local bool in_handler_thread = false;

// ---------------------------------------------------------------- exceptions on the wire

enum class ExcKind : std::uint32_t {
  remote = 0,  // anything else: mp::RemoteError(type name, message)
  exception,
  runtime_error,
  logic_error,
  invalid_argument,
  domain_error,
  length_error,
  out_of_range,
  range_error,
  overflow_error,
  underflow_error,
  bad_alloc,
  system_error,
  bad_optional_access,
  bad_variant_access,
  bad_cast,
  mp_error,
  timeout_error,
  value_error,
  process_error,
  serialization_error,
  empty,
  full,
  eof_error,
  broken_barrier_error,
  broken_pool,
  cancelled_error,
  invalid_state_error,
};

// kind, type name, what(), errno (system_error)
using WireException = std::tuple<std::uint32_t, std::string, std::string, std::int32_t>;

ExcKind classify(const std::type_info& t) {
  static const std::pair<const std::type_info*, ExcKind> table[] = {
      {&typeid(std::exception), ExcKind::exception},
      {&typeid(std::runtime_error), ExcKind::runtime_error},
      {&typeid(std::logic_error), ExcKind::logic_error},
      {&typeid(std::invalid_argument), ExcKind::invalid_argument},
      {&typeid(std::domain_error), ExcKind::domain_error},
      {&typeid(std::length_error), ExcKind::length_error},
      {&typeid(std::out_of_range), ExcKind::out_of_range},
      {&typeid(std::range_error), ExcKind::range_error},
      {&typeid(std::overflow_error), ExcKind::overflow_error},
      {&typeid(std::underflow_error), ExcKind::underflow_error},
      {&typeid(std::bad_alloc), ExcKind::bad_alloc},
      {&typeid(std::system_error), ExcKind::system_error},
      {&typeid(std::bad_optional_access), ExcKind::bad_optional_access},
      {&typeid(std::bad_variant_access), ExcKind::bad_variant_access},
      {&typeid(std::bad_cast), ExcKind::bad_cast},
      {&typeid(mp::Error), ExcKind::mp_error},
      {&typeid(mp::TimeoutError), ExcKind::timeout_error},
      {&typeid(mp::ValueError), ExcKind::value_error},
      {&typeid(mp::ProcessError), ExcKind::process_error},
      {&typeid(mp::SerializationError), ExcKind::serialization_error},
      {&typeid(mp::Empty), ExcKind::empty},
      {&typeid(mp::Full), ExcKind::full},
      {&typeid(mp::EOFError), ExcKind::eof_error},
      {&typeid(mp::BrokenBarrierError), ExcKind::broken_barrier_error},
      {&typeid(mp::BrokenPool), ExcKind::broken_pool},
      {&typeid(mp::CancelledError), ExcKind::cancelled_error},
      {&typeid(mp::InvalidStateError), ExcKind::invalid_state_error},
  };
  for (const auto& [type, kind] : table) {
    if (*type == t) return kind;
  }
  return ExcKind::remote;
}

std::exception_ptr rebuild(ExcKind kind, const std::string& type, const std::string& what,
                           std::int32_t code) {
  switch (kind) {
    case ExcKind::exception: return std::make_exception_ptr(std::exception());
    case ExcKind::runtime_error: return std::make_exception_ptr(std::runtime_error(what));
    case ExcKind::logic_error: return std::make_exception_ptr(std::logic_error(what));
    case ExcKind::invalid_argument: return std::make_exception_ptr(std::invalid_argument(what));
    case ExcKind::domain_error: return std::make_exception_ptr(std::domain_error(what));
    case ExcKind::length_error: return std::make_exception_ptr(std::length_error(what));
    case ExcKind::out_of_range: return std::make_exception_ptr(std::out_of_range(what));
    case ExcKind::range_error: return std::make_exception_ptr(std::range_error(what));
    case ExcKind::overflow_error: return std::make_exception_ptr(std::overflow_error(what));
    case ExcKind::underflow_error: return std::make_exception_ptr(std::underflow_error(what));
    case ExcKind::bad_alloc: return std::make_exception_ptr(std::bad_alloc());
    case ExcKind::system_error: {
      // what() is "<what_arg>: <strerror>": give the what_arg back, and the code.
      const std::error_code ec(code, std::generic_category());
      std::string arg = what;
      const std::string suffix = ": " + ec.message();
      if (arg.size() >= suffix.size() &&
          arg.compare(arg.size() - suffix.size(), suffix.size(), suffix) == 0) {
        arg.resize(arg.size() - suffix.size());
      }
      return std::make_exception_ptr(std::system_error(ec, arg));
    }
    case ExcKind::bad_optional_access: return std::make_exception_ptr(std::bad_optional_access());
    case ExcKind::bad_variant_access: return std::make_exception_ptr(std::bad_variant_access());
    case ExcKind::bad_cast: return std::make_exception_ptr(std::bad_cast());
    case ExcKind::mp_error: return std::make_exception_ptr(mp::Error(what));
    case ExcKind::timeout_error: return std::make_exception_ptr(mp::TimeoutError(what));
    case ExcKind::value_error: return std::make_exception_ptr(mp::ValueError(what));
    case ExcKind::process_error: return std::make_exception_ptr(mp::ProcessError(what));
    case ExcKind::serialization_error: return std::make_exception_ptr(mp::SerializationError(what));
    case ExcKind::empty: return std::make_exception_ptr(mp::Empty(what));
    case ExcKind::full: return std::make_exception_ptr(mp::Full(what));
    case ExcKind::eof_error: return std::make_exception_ptr(mp::EOFError(what));
    case ExcKind::broken_barrier_error: return std::make_exception_ptr(mp::BrokenBarrierError(what));
    case ExcKind::broken_pool: return std::make_exception_ptr(mp::BrokenPool(what));
    case ExcKind::cancelled_error: return std::make_exception_ptr(mp::CancelledError(what));
    case ExcKind::invalid_state_error: return std::make_exception_ptr(mp::InvalidStateError(what));
    case ExcKind::remote: break;
  }
  return std::make_exception_ptr(RemoteError(type, what));
}

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

}  // namespace

// ================================================================ exceptions

void encode_exception(const std::exception_ptr& e, std::string& out) {
  WireException w{static_cast<std::uint32_t>(ExcKind::remote), "", "", 0};
  try {
    std::rethrow_exception(e);
  } catch (const RemoteError& x) {  // from a nested pool: keep the original type name
    w = {static_cast<std::uint32_t>(ExcKind::remote), x.type_name(), x.message(), 0};
  } catch (const std::system_error& x) {
    const bool posix =
        x.code().category() == std::generic_category() || x.code().category() == std::system_category();
    const bool exact = typeid(x) == typeid(std::system_error);
    w = {static_cast<std::uint32_t>(exact && posix ? ExcKind::system_error : ExcKind::remote),
         demangle(typeid(x).name()), x.what(), x.code().value()};
  } catch (const std::exception& x) {
    w = {static_cast<std::uint32_t>(classify(typeid(x))), demangle(typeid(x).name()), x.what(), 0};
  } catch (...) {
    w = {static_cast<std::uint32_t>(ExcKind::remote), "<unknown>",
         "an exception of a type not derived from std::exception", 0};
  }
  mp::dump(w, out);
}

std::exception_ptr decode_exception(std::string_view bytes) noexcept {
  try {
    WireException w;
    mp::load(bytes, w);
    return rebuild(static_cast<ExcKind>(std::get<0>(w)), std::get<1>(w), std::get<2>(w), std::get<3>(w));
  } catch (...) {
    return std::make_exception_ptr(
        SerializationError("mp::Pool: could not decode the exception a worker sent back"));
  }
}

std::string exception_type_name(const std::exception_ptr& e) {
  if (!e) return "";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return demangle(typeid(x).name());
  } catch (...) {
    return "<unknown>";
  }
}

// ================================================================ ProcessCore: setup

struct ProcessCore::DrainContext {
  std::size_t delivered = 0;
  bool init_failed = false;
  std::vector<std::shared_ptr<JobBase>> callbacks;
};

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
  p.set_name("ForkPoolWorker-" + std::to_string(++workers_started_));  // Python's names
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

// ================================================================ the worker process

void ProcessCore::worker_entry(ProcessCore* core, std::size_t index) { core->worker_main(index); }

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
  if (spin_until(available, worker_spin_budget)) {
    s.idle.store(0, seq_cst);
    return false;
  }
  const std::uint32_t seen = s.wake_seq.load(acquire);
  s.idle.store(2, seq_cst);
  std::atomic_thread_fence(seq_cst);
  // In slices: the caller asks again, so a wake-up lost with a killed waker
  // costs at most futex::recheck_interval.
  if (!available()) (void)futex::wait(&s.wake_seq, seen, futex::recheck_slice(Deadline(Timeout::forever())));
  s.idle.store(0, seq_cst);  // also ends a 3 (being woken): we run
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
    if (spin_until([&] { return busy() || ready(); }, spin_budget, deadline.at())) continue;
    const std::uint32_t seen = sh.fg_seq.load(acquire);
    sh.fg_waiters.fetch_add(1, seq_cst);
    std::atomic_thread_fence(seq_cst);  // Dekker: fg_waiters, then the ring and the job
    if (ready() || busy()) {
      sh.fg_waiters.fetch_sub(1, relaxed);
      continue;
    }
    try {
      // In slices: a worker killed between its result and its wake woke nobody.
      (void)futex::wait(&sh.fg_seq, seen, futex::recheck_slice(deadline));
    } catch (...) {
      sh.fg_waiters.fetch_sub(1, relaxed);
      throw;
    }
    sh.fg_waiters.fetch_sub(1, relaxed);
  }
}

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
