// Jobs (the in-process record of a call to a pool), multi-waits (Waiter),
// CoreBase, and the core of futures made by hand. See mp/detail/job.hpp.
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "mp/detail/futex.hpp"
#include "mp/detail/job.hpp"
#include "mp/detail/spin.hpp"
#include "mp/detail/spin_wait.hpp"
#include "mp/detail/task_wire.hpp"

namespace mp::detail {

namespace {

using namespace std::chrono_literals;
// How long a waiter spins for a result before sleeping (a futex sleep plus
// wake-up costs tens of microseconds).
constexpr std::chrono::nanoseconds waiter_spin_budget = 20us;
constinit SpinBudget waiter_spin{waiter_spin_budget};  // adapted per process (mp/detail/spin.hpp)

// A callback that throws must not take the pool's thread down with it:
// report it and go on (concurrent.futures logs and ignores it too).
template <class F>
void run_guarded(const char* what, F&& f) noexcept {
  try {
    f();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mp: exception in %s ignored: %s: %s\n", what,
                 exception_type_name(std::current_exception()).c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "mp: exception of unknown type in %s ignored\n", what);
  }
}

}  // namespace

// ================================================================ Waiter

void Waiter::signal() noexcept {
  seq.fetch_add(1, std::memory_order_seq_cst);
  if (sleeping.load(std::memory_order_seq_cst) != 0) {
    try {
      futex::wake_all(&seq);
    } catch (...) {  // EFAULT/EINVAL cannot happen on our own word
    }
  }
}

bool Waiter::sleep(std::uint32_t seen, const Deadline& deadline) noexcept {
  // Pairs with signal(): it bumps `seq`, then reads `sleeping`.
  try {
    return sleep_announced(
               seq, seen, [] { return false; }, [this] { sleeping.fetch_add(1, std::memory_order_seq_cst); },
               [this] { sleeping.fetch_sub(1, std::memory_order_relaxed); }, deadline) != SleepEnd::timed_out;
  } catch (...) {  // EFAULT/EINVAL cannot happen on our own word
    return true;
  }
}

// ================================================================ JobBase

JobBase::JobBase(std::shared_ptr<CoreBase> owner, std::uint64_t parts, bool open)
    : core(std::move(owner)),
      parts_(parts),
      remaining_(parts),
      delivered_(static_cast<std::size_t>(parts), false),
      sealed_(!open) {}

void JobBase::complete_empty() {
  {
    std::lock_guard lk(mutex_);
    if (complete_ || parts() != 0 || !sealed_) return;
    finish_locked(JobState::finished);
  }
  notify();
  if (callbacks_pending_) run_callbacks();
}

JobBase::~JobBase() = default;

bool JobBase::deliver_bytes(std::uint64_t part, std::string_view bytes) {
  return deliver(part, FunctionRef<void()>([&] { store_bytes(part, bytes); }), nullptr);
}

bool JobBase::deliver_error(std::uint64_t part, std::exception_ptr e) {
  return deliver(part, std::nullopt, std::move(e));
}

bool JobBase::deliver(std::uint64_t part, std::optional<FunctionRef<void()>> store, std::exception_ptr e) {
  std::vector<std::shared_ptr<Waiter>> to_signal;
  bool just_finished = false;
  {
    std::lock_guard lk(mutex_);
    // A part can come twice: a worker killed between taking a task and
    // removing it from the ring leaves it for another worker, after the
    // first delivery (WorkerLost) was made. The first one counts.
    if (complete_ || part >= parts() || delivered_[static_cast<std::size_t>(part)]) return false;
    delivered_[static_cast<std::size_t>(part)] = true;
    --remaining_;
    if (store) {
      try {
        (*store)();
      } catch (...) {
        e = std::current_exception();
      }
    }
    if (e) {
      store_error(part, std::move(e));
      failed_ = true;
    }
    if ((remaining_ == 0 && sealed_) || (failed_ && error_finishes())) {
      finish_locked(JobState::finished);
      just_finished = true;
      if (done()) to_signal = observers_;
    }
  }
  notify();
  for (const auto& w : to_signal) w->signal();
  return just_finished;
}

bool JobBase::abandon(const std::exception_ptr& e) {
  std::vector<std::shared_ptr<Waiter>> to_signal;
  {
    std::lock_guard lk(mutex_);
    if (complete_) return false;
    for (std::uint64_t part = 0; part < parts(); ++part) {
      if (delivered_[static_cast<std::size_t>(part)]) continue;
      delivered_[static_cast<std::size_t>(part)] = true;
      store_error(part, e);
    }
    remaining_ = 0;
    // An open job loses the rest of its input: its end raises the error too.
    if (!sealed_) fail_added_part_locked(e);
    sealed_ = true;
    failed_ = true;
    finish_locked(JobState::finished);
    if (done()) to_signal = observers_;
  }
  notify();
  for (const auto& w : to_signal) w->signal();
  return true;
}

void JobBase::finish_locked(JobState final_state) {
  complete_ = true;
  if (final_state == JobState::finished && has_result_callbacks()) {
    // Python sets an AsyncResult ready only after its callback ran:
    // run_callbacks() makes the job done.
    awaiting_callbacks_ = true;
    callbacks_pending_ = true;
    return;
  }
  callbacks_pending_ = !done_callbacks_.empty();
  state_.store(final_state, std::memory_order_release);
}

void JobBase::notify() noexcept {
  // seq_cst bump, then seq_cst read of sleepers: pairs with the waiter's
  // seq_cst increment of sleepers before its futex wait (see ThreadCore::wait_until).
  progress.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers.load(std::memory_order_seq_cst) != 0) {
    try {
      futex::wake_all(&progress);
    } catch (...) {
    }
  }
}

bool JobBase::try_start() noexcept {
  JobState s = JobState::pending;
  if (state_.compare_exchange_strong(s, JobState::running, std::memory_order_acq_rel)) return true;
  return s == JobState::running;  // a later part of a running job; false when cancelled or finished
}

bool JobBase::try_start_part(std::uint64_t part) noexcept {
  if (!parts_cancellable_) return try_start();
  std::uint64_t v = handed_.load(std::memory_order_acquire);
  for (;;) {
    // After a cancel, the parts below the mark were counted as running: they run.
    if ((v & cancel_bit) != 0) return part < (v & ~cancel_bit);
    if (v > part) break;  // a later part was claimed first: the mark covers this one
    if (handed_.compare_exchange_weak(v, part + 1, std::memory_order_acq_rel)) break;
  }
  JobState s = JobState::pending;
  (void)state_.compare_exchange_strong(s, JobState::running, std::memory_order_acq_rel);
  return s != JobState::finished && s != JobState::cancelled;
}

JobState JobBase::start_if_pending() noexcept {
  JobState s = JobState::pending;
  (void)state_.compare_exchange_strong(s, JobState::running, std::memory_order_acq_rel);
  return s;
}

void JobBase::set_parts_cancellable() { parts_cancellable_ = true; }

std::uint64_t JobBase::add_part_locked(std::size_t items) {
  const std::uint64_t part = parts();
  delivered_.push_back(false);
  ++remaining_;
  on_part_added(part, items);
  parts_.store(part + 1, std::memory_order_relaxed);
  return part;
}

void JobBase::fail_added_part_locked(const std::exception_ptr& e) {
  const std::uint64_t part = add_part_locked(0);
  delivered_[static_cast<std::size_t>(part)] = true;
  --remaining_;
  store_error(part, e);
  failed_ = true;
}

std::optional<std::uint64_t> JobBase::add_part(std::size_t items) {
  std::lock_guard lk(mutex_);
  if (complete_ || sealed_) return std::nullopt;
  return add_part_locked(items);
}

void JobBase::signal_and_forget(bool just_finished,
                                std::vector<std::shared_ptr<Waiter>>& to_signal) noexcept {
  notify();
  for (const auto& w : to_signal) w->signal();
  if (!just_finished) return;
  core->forget(*this);  // a process pool drops it from its job table, and wakes its waiters
  if (callbacks_pending_) run_callbacks();
}

bool JobBase::seal(std::exception_ptr last_error) {
  std::vector<std::shared_ptr<Waiter>> to_signal;
  bool just_finished = false;
  {
    std::lock_guard lk(mutex_);
    if (sealed_ || complete_) return false;
    if (last_error) fail_added_part_locked(last_error);
    sealed_ = true;
    if (remaining_ == 0) {
      finish_locked(JobState::finished);
      just_finished = true;
      if (done()) to_signal = observers_;
    }
  }
  signal_and_forget(just_finished, to_signal);
  return just_finished;
}

void JobBase::cancel_pending_work() {
  if (!parts_cancellable_) {
    (void)try_cancel();
    return;
  }
  std::vector<std::shared_ptr<Waiter>> to_signal;
  bool just_finished = false;
  {
    std::lock_guard lk(mutex_);
    if (complete_) return;
    // Under mutex_, so that no part is added after the mark (add_part sees sealed_).
    const std::uint64_t handed = handed_.fetch_or(cancel_bit, std::memory_order_acq_rel) & ~cancel_bit;
    sealed_ = true;
    std::exception_ptr cancelled;
    for (std::uint64_t part = handed; part < parts(); ++part) {
      const auto i = static_cast<std::size_t>(part);
      if (delivered_[i]) continue;
      if (!cancelled) cancelled = std::make_exception_ptr(CancelledError());
      delivered_[i] = true;
      --remaining_;
      store_error(part, cancelled);
      failed_ = true;
    }
    if (remaining_ == 0) {
      finish_locked(JobState::finished);
      just_finished = true;
      if (done()) to_signal = observers_;
    }
  }
  signal_and_forget(just_finished, to_signal);
}

bool JobBase::try_cancel() {
  std::vector<std::shared_ptr<Waiter>> to_signal;
  {
    // The mutex is held across the state change so that a reader who sees
    // `cancelled` and then takes the mutex (get()) finds the error stored.
    std::lock_guard lk(mutex_);
    // Python: cancelling a cancelled future returns True again.
    if (complete_) return state() == JobState::cancelled;
    JobState s = JobState::pending;
    if (!state_.compare_exchange_strong(s, JobState::cancelled, std::memory_order_acq_rel)) return false;
    sealed_ = true;
    for (std::uint64_t part = 0; part < parts(); ++part) {
      if (delivered_[static_cast<std::size_t>(part)]) continue;
      delivered_[static_cast<std::size_t>(part)] = true;
      store_error(part, std::make_exception_ptr(CancelledError()));
    }
    remaining_ = 0;
    failed_ = true;
    finish_locked(JobState::cancelled);
    to_signal = observers_;
  }
  notify();
  for (const auto& w : to_signal) w->signal();
  core->forget(*this);
  if (callbacks_pending_) run_callbacks();  // Python runs them in cancel()'s thread
  return true;
}

void JobBase::run_callbacks() noexcept {
  bool awaiting = false;
  {
    std::lock_guard lk(mutex_);
    if (callbacks_ran_ || !complete_) return;
    callbacks_ran_ = true;
    awaiting = awaiting_callbacks_;
  }
  std::vector<std::function<void()>> callbacks;
  std::vector<std::shared_ptr<Waiter>> to_signal;
  if (awaiting) run_guarded("a pool callback", [this] { run_result_callbacks(); });
  {
    std::lock_guard lk(mutex_);
    if (awaiting) {
      awaiting_callbacks_ = false;
      state_.store(JobState::finished, std::memory_order_release);
      to_signal = observers_;
    }
    callbacks.swap(done_callbacks_);
  }
  if (awaiting) {
    notify();
    for (const auto& w : to_signal) w->signal();
  }
  for (auto& cb : callbacks) run_guarded("a done callback", cb);
}

void JobBase::add_done_callback(std::function<void()> fn) {
  {
    std::lock_guard lk(mutex_);
    if (!done()) {
      done_callbacks_.push_back(std::move(fn));
      return;
    }
  }
  run_guarded("a done callback", fn);  // already done: run it now, as Python does
}

void JobBase::add_observer(const std::shared_ptr<Waiter>& w) {
  {
    std::lock_guard lk(mutex_);
    if (!done()) {
      observers_.push_back(w);
      return;
    }
  }
  w->signal();
}

void JobBase::remove_observer(const Waiter* w) noexcept {
  std::lock_guard lk(mutex_);
  for (auto it = observers_.begin(); it != observers_.end(); ++it) {
    if (it->get() == w) {
      observers_.erase(it);
      return;
    }
  }
}

bool JobBase::wait_until(FunctionRef<bool()> ready, const Deadline& deadline) {
  if (ready()) return true;
  return core->wait_until(*this, ready, deadline);
}

// ================================================================ CoreBase

void CoreBase::add_feed(const std::shared_ptr<JobBase>& job) {
  std::lock_guard lk(feeds_mutex_);
  std::erase_if(feeds_, [](const std::weak_ptr<JobBase>& w) {
    const auto j = w.lock();
    return !j || !j->feeding();
  });
  feeds_.push_back(job);
}

std::vector<std::shared_ptr<JobBase>> CoreBase::take_feeds() {
  std::vector<std::weak_ptr<JobBase>> feeds;
  {
    std::lock_guard lk(feeds_mutex_);
    feeds.swap(feeds_);
  }
  std::vector<std::shared_ptr<JobBase>> out;
  for (auto& w : feeds) {
    if (auto j = w.lock()) out.push_back(std::move(j));
  }
  return out;
}

void CoreBase::feed_all() noexcept {
  try {
    for (auto& job : take_feeds()) job->feed_rest();
  } catch (...) {  // bad_alloc taking the list: the imaps then end with "closed" errors
  }
}

bool JobBase::sleep_until(FunctionRef<bool()> ready, const Deadline& deadline) {
  // A short task is often done within microseconds: spin before sleeping.
  if (spin_until(ready, waiter_spin, deadline.at())) return true;
  for (;;) {
    if (deadline.expired()) return ready();
    // Pairs with notify(): it bumps progress, then reads sleepers.
    if (sleep_announced(
            progress, ready, [this] { sleepers.fetch_add(1, std::memory_order_seq_cst); },
            [this] { sleepers.fetch_sub(1, std::memory_order_relaxed); }, deadline) == SleepEnd::ready) {
      return true;
    }
  }
}

// ================================================================ futures made by hand

namespace {
/// No workers: set_result() delivers in the caller's thread, which then runs the callbacks.
class StandaloneCore final : public CoreBase {
public:
  bool wait_until(JobBase& job, FunctionRef<bool()> ready, const Deadline& deadline) override {
    return job.sleep_until(ready, deadline);
  }
  void schedule_callbacks(std::shared_ptr<JobBase> job) override { job->run_callbacks(); }
  void forget(const JobBase& /*job*/) noexcept override {}
};
}  // namespace

std::shared_ptr<CoreBase> standalone_core() {
  static const std::shared_ptr<CoreBase> core = std::make_shared<StandaloneCore>();
  return core;
}

}  // namespace mp::detail
