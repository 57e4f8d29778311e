// Jobs (the in-process record of a call to a pool), multi-waits, and the
// thread pool engine. See mp/detail/pool_core.hpp for the overview.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include "mp/detail/cpu_relax.hpp"
#include "mp/detail/futex.hpp"
#include "mp/detail/pool_core.hpp"
#include "mp/process.hpp"

namespace mp::detail {

namespace {

using namespace std::chrono_literals;
// How long an idle worker thread spins for the next task, and a waiter for a
// result, before sleeping (a futex sleep plus wake-up costs tens of microseconds).
constexpr std::chrono::nanoseconds worker_spin_budget = 50us;
constexpr std::chrono::nanoseconds waiter_spin_budget = 20us;


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

} // namespace

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
  // Registering before the futex call pairs with signal(): either signal()
  // sees `sleeping`, or the kernel sees the bumped `seq` and returns at once.
  sleeping.fetch_add(1, std::memory_order_seq_cst);
  bool woken = true;
  try {
    woken = futex::wait(&seq, seen, deadline);
  } catch (...) {
  }
  sleeping.fetch_sub(1, std::memory_order_relaxed);
  return woken;
}

// ================================================================ JobBase

JobBase::JobBase(std::shared_ptr<CoreBase> owner, std::uint64_t parts)
    : core(std::move(owner)), parts_(parts), remaining_(parts), delivered_(static_cast<std::size_t>(parts), false) {}

void JobBase::complete_empty() {
  {
    std::lock_guard lk(mutex_);
    if (complete_ || parts_ != 0) return;
    finish_locked(JobState::finished);
  }
  notify();
  if (callbacks_pending_) run_callbacks();
}

JobBase::~JobBase() = default;

bool JobBase::deliver_bytes(std::uint64_t part, std::string_view bytes) {
  return deliver(part, FunctionRef<void()>([&] { store_bytes(part, bytes); }), nullptr);
}

bool JobBase::deliver_error(std::uint64_t part, std::exception_ptr e) { return deliver(part, std::nullopt, std::move(e)); }

bool JobBase::deliver(std::uint64_t part, std::optional<FunctionRef<void()>> store, std::exception_ptr e) {
  std::vector<std::shared_ptr<Waiter>> to_signal;
  bool just_finished = false;
  {
    std::lock_guard lk(mutex_);
    // A part can come twice: a worker killed between taking a task and
    // removing it from the ring leaves it for another worker, after the
    // first delivery (WorkerLost) was made. The first one counts.
    if (complete_ || part >= parts_ || delivered_[static_cast<std::size_t>(part)]) return false;
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
    if (remaining_ == 0 || (failed_ && error_finishes())) {
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
    for (std::uint64_t part = 0; part < parts_; ++part) {
      if (delivered_[static_cast<std::size_t>(part)]) continue;
      delivered_[static_cast<std::size_t>(part)] = true;
      store_error(part, e);
    }
    remaining_ = 0;
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
    for (std::uint64_t part = 0; part < parts_; ++part) {
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

// ================================================================ ThreadCore

ThreadCore::ThreadCore(int threads, std::function<void()> initializer, std::string kind)
    : threads_count_(threads), initializer_(std::move(initializer)), kind_(std::move(kind)) {
  if (threads < 0) throw ValueError("mp::" + kind_ + ": the number of threads must be at least 1");
  if (threads_count_ == 0) threads_count_ = cpu_count();
  threads_.reserve(static_cast<std::size_t>(threads_count_));
  for (int i = 0; i < threads_count_; ++i) {
    threads_.emplace_back([this](std::stop_token stop) { worker_loop(stop); });
  }
}

ThreadCore::~ThreadCore() {
  try {
    terminate();
  } catch (...) {
  }
}

void ThreadCore::check_accepting() {
  std::lock_guard lk(mutex_);
  if (broken_) std::rethrow_exception(broken_);
  if (closed_) {
    throw ValueError("mp::" + kind_ + ": the pool is closed (close(), terminate() or shutdown() was called): "
                     "it takes no new tasks");
  }
}

void ThreadCore::submit(std::shared_ptr<JobBase> job, UniqueTask task, bool cancellable) {
  std::lock_guard lk(mutex_);
  if (broken_) std::rethrow_exception(broken_);
  if (closed_) {
    throw ValueError("mp::" + kind_ + ": the pool is closed (close(), terminate() or shutdown() was called): "
                     "it takes no new tasks");
  }
  queue_.push_back(Item{std::move(job), std::move(task), cancellable});
  queued_.store(queue_.size(), std::memory_order_relaxed);
  // Spinning workers take the tasks themselves; wake a sleeper for the rest.
  if (idle_ > 0 && queue_.size() > spinning_.load(std::memory_order_relaxed)) cv_.notify_one();
}

void ThreadCore::worker_loop(std::stop_token /*stop*/) {
  if (initializer_) {
    try {
      initializer_();
    } catch (...) {
      const std::exception_ptr cause = std::current_exception();
      std::string what = exception_type_name(cause);
      try {
        std::rethrow_exception(cause);
      } catch (const std::exception& e) {
        what += std::string(": ") + e.what();
      } catch (...) {
      }
      std::deque<Item> dropped;
      std::exception_ptr err = std::make_exception_ptr(
          BrokenPool("mp::" + kind_ + ": a worker thread's initializer failed (" + what + "): the pool is broken"));
      {
        std::lock_guard lk(mutex_);
        if (!broken_) broken_ = err;
        closed_ = true;
        abandon_queue_locked(broken_, dropped);
        cv_.notify_all();
      }
      for (auto& item : dropped) {
        if (item.job->abandon(err) && item.job->callbacks_pending()) item.job->run_callbacks();
      }
      return;
    }
  }
  std::unique_lock lk(mutex_);
  for (;;) {
    if (queue_.empty() && !closed_) {
      // Spin a moment before sleeping: a caller submitting in a loop hands
      // the next task over without a wake-up (a futex round trip each).
      spinning_.fetch_add(1, std::memory_order_relaxed);
      lk.unlock();
      const auto until = std::chrono::steady_clock::now() + worker_spin_budget;
      do {
        for (int i = 0; i < 32 && queued_.load(std::memory_order_relaxed) == 0; ++i) cpu_relax();
      } while (queued_.load(std::memory_order_relaxed) == 0 && std::chrono::steady_clock::now() < until);
      lk.lock();
      spinning_.fetch_sub(1, std::memory_order_relaxed);
    }
    while (queue_.empty() && !closed_) {
      ++idle_;
      cv_.wait(lk);
      --idle_;
    }
    if (queue_.empty()) return;  // closed (or terminated) and nothing left
    Item item = std::move(queue_.front());
    queue_.pop_front();
    queued_.store(queue_.size(), std::memory_order_relaxed);
    lk.unlock();
    // A cancelled future, or a later chunk of a map that already failed, is skipped.
    if (item.job->try_start() || !item.cancellable) {
      if (!item.job->done()) item.task();
    }
    item = Item{};  // release the job outside the lock
    lk.lock();
  }
}

void ThreadCore::abandon_queue_locked(const std::exception_ptr& /*e*/, std::deque<Item>& out) {
  out.swap(queue_);
  queued_.store(0, std::memory_order_relaxed);
}

bool ThreadCore::is_closed() const noexcept {
  std::lock_guard lk(mutex_);
  return closed_;
}

void ThreadCore::close() {
  std::lock_guard lk(mutex_);
  closed_ = true;
  cv_.notify_all();
}

void ThreadCore::cancel_pending() {
  std::vector<std::shared_ptr<JobBase>> jobs;
  {
    std::lock_guard lk(mutex_);
    for (auto& item : queue_) {
      if (item.cancellable) jobs.push_back(item.job);
    }
  }
  for (auto& j : jobs) (void)j->try_cancel();
}

void ThreadCore::terminate() {
  std::deque<Item> dropped;
  {
    std::lock_guard lk(mutex_);
    terminated_ = true;
    closed_ = true;
    abandon_queue_locked(nullptr, dropped);
    cv_.notify_all();
  }
  if (!dropped.empty()) {
    const auto err = std::make_exception_ptr(
        BrokenPool("mp::" + kind_ + ": the pool was terminated before this task started"));
    for (auto& item : dropped) {
      if (item.job->abandon(err) && item.job->callbacks_pending()) item.job->run_callbacks();
    }
  }
  join();
}

void ThreadCore::join() {
  std::lock_guard lk(join_mutex_);
  for (auto& t : threads_) {
    if (!t.joinable()) continue;
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();  // the last reference died in a task of this pool: it ends on its own
    } else {
      t.join();
    }
  }
}

bool ThreadCore::wait_until(JobBase& job, FunctionRef<bool()> ready, const Deadline& deadline) {
  // A short task is often done within microseconds: spin before sleeping.
  const auto until = std::min(std::chrono::steady_clock::now() + waiter_spin_budget, deadline.at());
  while (std::chrono::steady_clock::now() < until) {
    for (int i = 0; i < 16; ++i) cpu_relax();
    if (ready()) return true;
  }
  for (;;) {
    const std::uint32_t seen = job.progress.load(std::memory_order_seq_cst);
    if (ready()) return true;
    if (deadline.expired()) return false;
    // Pairs with JobBase::notify(): it bumps progress then reads sleepers;
    // we raise sleepers then the kernel compares progress with `seen`.
    job.sleepers.fetch_add(1, std::memory_order_seq_cst);
    try {
      (void)futex::wait(&job.progress, seen, deadline);
    } catch (...) {
      job.sleepers.fetch_sub(1, std::memory_order_relaxed);
      throw;
    }
    job.sleepers.fetch_sub(1, std::memory_order_relaxed);
  }
}

void ThreadCore::schedule_callbacks(std::shared_ptr<JobBase> job) { job->run_callbacks(); }

} // namespace mp::detail
