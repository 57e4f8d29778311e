// The thread pool engine (ThreadCore). See mp/detail/thread_core.hpp.
#include <algorithm>
#include <chrono>
#include <exception>
#include <string>

#include "mp/detail/spin.hpp"
#include "mp/detail/thread_core.hpp"
#include "mp/process.hpp"
#include "mp/trace.hpp"

namespace mp::detail {

namespace {
using namespace std::chrono_literals;
// How long an idle worker thread spins for the next task before sleeping.
constexpr std::chrono::nanoseconds worker_spin_budget = 50us;
constinit SpinBudget worker_spin{worker_spin_budget};  // adapted per process (mp/detail/spin.hpp)
}  // namespace

// ================================================================ ThreadCore

namespace {
// The on-demand pool whose worker runs on this thread, and whether its task
// already said it is finishing (ThreadCore::task_finishing).
thread_local std::atomic<std::size_t>* tls_free = nullptr;
thread_local bool tls_finishing = false;
}  // namespace

ThreadCore::ThreadCore(int threads, std::function<void()> initializer, std::string kind, bool on_demand)
    : threads_count_(threads),
      on_demand_(on_demand),
      initializer_(std::move(initializer)),
      kind_(std::move(kind)) {
  if (threads < 0) throw ValueError("mp::" + kind_ + ": the number of threads must be at least 1");
  if (threads_count_ == 0) threads_count_ = cpu_count();
  threads_.reserve(static_cast<std::size_t>(threads_count_));
  if (on_demand_) return;  // submit() starts them
  std::lock_guard lk(mutex_);
  for (int i = 0; i < threads_count_; ++i) start_thread_locked();
}

void ThreadCore::start_thread_locked() {
  const std::size_t number = threads_.size() + 1;
  threads_.emplace_back([this, number](std::stop_token stop) {
    if (trace::enabled()) trace::name_thread(kind_ + "-" + std::to_string(number));  // its timeline row
    worker_loop(stop);
  });
}

void ThreadCore::task_finishing() noexcept {
  if (tls_free == nullptr || tls_finishing) return;
  tls_free->fetch_add(1, std::memory_order_seq_cst);  // before the result is published
  tls_finishing = true;
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
    throw ValueError("mp::" + kind_ +
                     ": the pool is closed (close(), terminate() or shutdown() was called): "
                     "it takes no new tasks");
  }
}

void ThreadCore::submit(std::shared_ptr<JobBase> job, UniqueTask task, bool cancellable, std::uint64_t part) {
  std::lock_guard lk(mutex_);
  if (broken_) std::rethrow_exception(broken_);
  if (closed_) {
    throw ValueError("mp::" + kind_ +
                     ": the pool is closed (close(), terminate() or shutdown() was called): "
                     "it takes no new tasks");
  }
  // Python's _adjust_thread_count: a free thread takes it, else a new one (up to the maximum).
  if (on_demand_ && threads_.size() < static_cast<std::size_t>(threads_count_) &&
      queue_.size() + 1 > free_.load(std::memory_order_seq_cst)) {
    start_thread_locked();  // before queueing: a thread that fails to start leaves nothing behind
  }
  if (job->id == 0) job->id = ++next_job_id_;  // names it in messages and in traces
  queue_.push_back(Item{std::move(job), std::move(task), cancellable, part});
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
      std::exception_ptr err = std::make_exception_ptr(BrokenPool(
          "mp::" + kind_ + ": a worker thread's initializer failed (" + what + "): the pool is broken"));
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
  if (on_demand_) tls_free = &free_;
  free_.fetch_add(1, std::memory_order_seq_cst);
  std::unique_lock lk(mutex_);
  for (;;) {
    if (queue_.empty() && !closed_) {
      // Spin a moment before sleeping: a caller submitting in a loop hands
      // the next task over without a wake-up (a futex round trip each).
      spinning_.fetch_add(1, std::memory_order_relaxed);
      lk.unlock();
      (void)spin_until([&] { return queued_.load(std::memory_order_relaxed) != 0; }, worker_spin);
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
    free_.fetch_sub(1, std::memory_order_seq_cst);
    lk.unlock();
    // A cancelled future or map item, or a later chunk of a map that already failed, is skipped.
    if (item.job->try_start_part(item.part)) {
      const std::int64_t traced_from = trace::enabled() ? trace::now_ns() : 0;
      item.task();
      if (traced_from != 0) {
        trace::complete("task", "threads", traced_from, trace::now_ns(),
                        "\"job\":" + std::to_string(item.job->id) + ",\"part\":" + std::to_string(item.part));
      }
    }
    item = Item{};  // release the job outside the lock
    if (!tls_finishing) free_.fetch_add(1, std::memory_order_seq_cst);
    tls_finishing = false;
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
  feed_all();  // lazy imaps submit the rest of their input first
  std::lock_guard lk(mutex_);
  closed_ = true;
  cv_.notify_all();
}

void ThreadCore::cancel_pending() {
  std::vector<std::shared_ptr<JobBase>> jobs;
  {
    std::lock_guard lk(mutex_);
    for (auto& item : queue_) {
      if (item.cancellable && (jobs.empty() || jobs.back() != item.job)) jobs.push_back(item.job);
    }
  }
  for (auto& j : jobs) j->cancel_pending_work();
}

void ThreadCore::terminate() {
  std::deque<Item> dropped;
  const auto feeds = take_feeds();  // lazy imaps: the rest of their input is lost
  {
    std::lock_guard lk(mutex_);
    terminated_ = true;
    closed_ = true;
    abandon_queue_locked(nullptr, dropped);
    cv_.notify_all();
  }
  if (!dropped.empty() || !feeds.empty()) {
    const auto err = std::make_exception_ptr(
        BrokenPool("mp::" + kind_ + ": the pool was terminated before this task started"));
    for (auto& item : dropped) {
      if (item.job->abandon(err) && item.job->callbacks_pending()) item.job->run_callbacks();
    }
    for (const auto& job : feeds) (void)job->abandon(err);
  }
  join();
}

void ThreadCore::join() {
  std::lock_guard lk(join_mutex_);
  std::size_t n = 0;
  {
    std::lock_guard slk(mutex_);  // closed by now: no thread starts any more
    n = threads_.size();
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::jthread& t = threads_[i];
    if (!t.joinable()) continue;
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();  // the last reference died in a task of this pool: it ends on its own
    } else {
      t.join();
    }
  }
}

bool ThreadCore::wait_until(JobBase& job, FunctionRef<bool()> ready, const Deadline& deadline) {
  return job.sleep_until(ready, deadline);
}

void ThreadCore::schedule_callbacks(std::shared_ptr<JobBase> job) { job->run_callbacks(); }

}  // namespace mp::detail
