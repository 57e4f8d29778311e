#pragma once
/// @file
/// @brief Jobs: the in-process record of one pool call (JobBase, SingleJob for
/// apply/submit, MapJob for map), and CoreBase, what a job needs from the
/// pool that runs it. See mp/detail/pool_core.hpp for the overview.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "mp/detail/callable.hpp"
#include "mp/detail/task_wire.hpp"
#include "mp/pickle.hpp"
#include "mp/timeout.hpp"

namespace mp::detail {

class CoreBase;

/// Lifecycle of a job, as concurrent.futures names it.
enum class JobState : std::uint32_t {
  pending = 0,    ///< submitted, not yet handed to a worker: cancel() works
  running = 1,    ///< handed to a worker (or in the process pool's task ring)
  finished = 2,   ///< every part delivered, or failed
  cancelled = 3,  ///< cancelled before it ran
};

/// Sleeps until any of several jobs finishes (as_completed, wait).
struct Waiter {
  std::atomic<std::uint32_t> seq{0};
  std::atomic<std::uint32_t> sleeping{0};
  void signal() noexcept;
  /// Sleeps while `seq == seen`, at most until the deadline. False at the deadline.
  bool sleep(std::uint32_t seen, const Deadline& deadline) noexcept;
};

/// The in-process record of one call; see the file notes.
///
/// Locking: `mutex_` guards the delivered flags, the counts, the subclass's
/// stored values, the callbacks and the observers. `state_` is atomic so that
/// ready() and cancel checks need no lock: stores release (after the values
/// are stored), loads acquire.
///
/// Parts: a job made with its number of parts is *sealed* from the start; an
/// *open* job (imap) gets its parts one by one (add_part) and is finished only
/// once seal() says that no more will come and every part was delivered.
class JobBase : public std::enable_shared_from_this<JobBase> {
public:
  /// A job of `parts` parts, or, when `open`, of none yet: see add_part and seal.
  JobBase(std::shared_ptr<CoreBase> owner, std::uint64_t parts, bool open = false);
  virtual ~JobBase();
  JobBase(const JobBase&) = delete;
  JobBase& operator=(const JobBase&) = delete;

  /// Part `part` came back from a worker process as bytes: decode and store
  /// it (a decoding error fails the part). True when this finished the job.
  bool deliver_bytes(std::uint64_t part, std::string_view bytes);
  /// Part `part` failed with `e`. True when this finished the job.
  bool deliver_error(std::uint64_t part, std::exception_ptr e);
  /// Part `part` computed in this process: `store` puts its value in place.
  template <class Store>
  bool deliver_with(std::uint64_t part, Store&& store) {
    return deliver(part, FunctionRef<void()>(store), nullptr);
  }
  /// Fails every part not delivered yet (pool terminated or broken). True when this finished the job.
  bool abandon(const std::exception_ptr& e);
  /// A job of zero parts (map over nothing) is done at once: runs its callbacks.
  void complete_empty();

  /// Open jobs: adds a part of `items` items and returns its index; nullopt
  /// when the job has ended already (terminated, abandoned) or is sealed.
  std::optional<std::uint64_t> add_part(std::size_t items);
  /// Open jobs: no more parts will come; with `last_error`, one more part that
  /// fails with it ends the job (an input that threw, a pool that refused the
  /// next part). Forgets the job in its core when this finished it. True then.
  bool seal(std::exception_ptr last_error = nullptr);

  /// pending → running; false when it was cancelled (then it must not run).
  bool try_start() noexcept;
  /// pending → running, only from pending (Future::set_running_or_notify_cancel):
  /// returns the state it found, `pending` when this call started it.
  JobState start_if_pending() noexcept;
  /// At hand-over to a worker: whether part `part` still runs (try_start();
  /// for a job with cancellable parts, whether that part was not cancelled).
  bool try_start_part(std::uint64_t part) noexcept;
  /// pending → cancelled, and finishes it with mp::CancelledError. False when it already runs or ran.
  bool try_cancel();
  /// Parts of an executor map can be cancelled one by one: call before any is submitted.
  void set_parts_cancellable();
  [[nodiscard]] bool parts_cancellable() const noexcept { return parts_cancellable_; }
  /// Python's shutdown(cancel_futures=True) for this job: try_cancel(), or,
  /// with cancellable parts, fails each part not handed over yet with
  /// mp::CancelledError (those already handed over still run).
  void cancel_pending_work();

  /// Open jobs that still read their input: submits all the rest now (the
  /// pool is closing; Python's close() lets queued imaps finish).
  virtual void feed_rest() noexcept {}
  /// Whether the job still reads its input (feed_rest has work to do).
  [[nodiscard]] virtual bool feeding() const noexcept { return false; }

  [[nodiscard]] JobState state() const noexcept { return state_.load(std::memory_order_acquire); }
  /// Finished or cancelled: no more results will come.
  [[nodiscard]] bool done() const noexcept {
    const JobState s = state();
    return s == JobState::finished || s == JobState::cancelled;
  }
  /// Whether the last delivery that completed the job left callbacks to run
  /// (read by the thread that got `true` from a deliver call). Until they
  /// ran, a job with apply_async/map_async callbacks is not done(): as in
  /// Python, get() returns only after the callback ran.
  [[nodiscard]] bool callbacks_pending() const noexcept { return callbacks_pending_; }
  /// Runs the callbacks of a completed job (once), then marks it done if it
  /// waited for them. Exceptions they throw are printed to stderr and
  /// dropped, as concurrent.futures does.
  void run_callbacks() noexcept;
  /// Adds a callback to run when the job is done; runs it now (in this thread) when it already is.
  void add_done_callback(std::function<void()> fn);

  /// as_completed/wait: `w` is signalled when the job is done (at once if it is).
  void add_observer(const std::shared_ptr<Waiter>& w);
  void remove_observer(const Waiter* w) noexcept;

  /// Waits until `ready()` or the deadline, driving the pool as needed. Returns ready().
  bool wait_until(FunctionRef<bool()> ready, const Deadline& deadline);
  /// Waits in this thread until `ready()` or the deadline: spins briefly, then
  /// sleeps on `progress` (a futex) between deliveries. Returns ready().
  bool sleep_until(FunctionRef<bool()> ready, const Deadline& deadline);
  bool wait_done(const Deadline& deadline) {
    return wait_until([this] { return done(); }, deadline);
  }

  /// The parts added so far (all of them once sealed).
  [[nodiscard]] std::uint64_t parts() const noexcept { return parts_.load(std::memory_order_relaxed); }

  /// Assigned by the core that runs it (ProcessCore at registration, ThreadCore
  /// at its first part); names the job in messages and traces.
  std::uint64_t id = 0;
  /// Bumped (seq_cst) after every delivery; thread-pool waiters sleep on it.
  std::atomic<std::uint32_t> progress{0};
  /// Threads asleep on `progress` (seq_cst: Dekker pairing with the bump).
  std::atomic<std::uint32_t> sleepers{0};
  /// The core that runs the job; kept alive by it.
  const std::shared_ptr<CoreBase> core;

protected:
  /// Decode and store part `part` (mutex_ held). May throw: the part fails.
  virtual void store_bytes(std::uint64_t part, std::string_view bytes) = 0;
  /// Store the failure of part `part` (mutex_ held).
  virtual void store_error(std::uint64_t part, std::exception_ptr e) = 0;
  /// Whether one failed part finishes the whole job (map, apply) or not (imap).
  [[nodiscard]] virtual bool error_finishes() const noexcept { return true; }
  /// The callbacks given at submission (apply_async's callback/error_callback).
  [[nodiscard]] virtual bool has_result_callbacks() const noexcept { return false; }
  virtual void run_result_callbacks() {}
  /// Open jobs: part `part` of `items` items was added (mutex_ held); make room for its result.
  virtual void on_part_added(std::uint64_t /*part*/, std::size_t /*items*/) {}
  /// Whether seal() was called (mutex_ held).
  [[nodiscard]] bool sealed_locked() const noexcept { return sealed_; }

  std::mutex mutex_;

private:
  bool deliver(std::uint64_t part, std::optional<FunctionRef<void()>> store, std::exception_ptr e);
  void finish_locked(JobState final_state);  // mutex_ held
  std::uint64_t add_part_locked(std::size_t items);
  void fail_added_part_locked(const std::exception_ptr& e);  // a new part that failed at once
  void notify() noexcept;
  void signal_and_forget(bool just_finished, std::vector<std::shared_ptr<Waiter>>& to_signal) noexcept;

  /// Written under mutex_; read anywhere (relaxed).
  std::atomic<std::uint64_t> parts_;
  std::uint64_t remaining_;         // parts not delivered yet (mutex_)
  std::vector<bool> delivered_;     // (mutex_)
  bool parts_cancellable_ = false;  // set before any part is submitted
  /// With cancellable parts: how many parts were handed over (parts leave in
  /// order, but two workers may claim them out of order: the highest + 1),
  /// and `cancel_bit` once cancel_pending_work() ran, after which the parts
  /// below the mark still run and the others are cancelled. Lock-free claims.
  std::atomic<std::uint64_t> handed_{0};
  static constexpr std::uint64_t cancel_bit = std::uint64_t{1} << 63;
  bool sealed_ = true;               // (mutex_) no more parts will be added
  bool failed_ = false;              // (mutex_)
  bool complete_ = false;            // (mutex_) no more deliveries wanted
  bool awaiting_callbacks_ = false;  // (mutex_) complete, done() once the result callbacks ran
  bool callbacks_pending_ = false;
  bool callbacks_ran_ = false;  // (mutex_)
  std::atomic<JobState> state_{JobState::pending};
  std::vector<std::function<void()>> done_callbacks_;  // (mutex_)
  std::vector<std::shared_ptr<Waiter>> observers_;     // (mutex_)
};

/// Callbacks given to apply_async / map_async (Python's callback / error_callback).
template <class R>
struct ResultCallbacks {
  std::function<void(const R&)> on_value;
  std::function<void(std::exception_ptr)> on_error;
};
template <>
struct ResultCallbacks<void> {
  std::function<void()> on_value;
  std::function<void(std::exception_ptr)> on_error;
};

/// A job with one final value of type V (apply: the result; map: the vector).
template <class V>
class ValueJob : public JobBase {
public:
  using JobBase::JobBase;

  /// The value, or the exception rethrown; the job must be done.
  V get() {
    std::lock_guard lk(mutex_);
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<V>) return *value_;
  }
  /// As get(), but moves the value out (for map(), the only reader).
  V take() {
    std::lock_guard lk(mutex_);
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<V>) return std::move(*value_);
  }
  [[nodiscard]] bool successful() {
    std::lock_guard lk(mutex_);
    return !error_;
  }
  [[nodiscard]] std::exception_ptr error() {
    std::lock_guard lk(mutex_);
    return error_;
  }
  void set_callbacks(ResultCallbacks<V> cbs) { callbacks_ = std::move(cbs); }

protected:
  void store_error(std::uint64_t /*part*/, std::exception_ptr e) override {
    if (!error_) error_ = std::move(e);
  }
  [[nodiscard]] bool has_result_callbacks() const noexcept override {
    return static_cast<bool>(callbacks_.on_value) || static_cast<bool>(callbacks_.on_error);
  }
  void run_result_callbacks() override {
    std::exception_ptr err;
    {
      std::lock_guard lk(mutex_);
      err = error_;
    }
    if (err) {
      if (callbacks_.on_error) callbacks_.on_error(err);
    } else if (callbacks_.on_value) {
      if constexpr (std::is_void_v<V>) {
        callbacks_.on_value();
      } else {
        callbacks_.on_value(*value_);  // done: no writer is left
      }
    }
  }

  std::conditional_t<std::is_void_v<V>, std::optional<Unit>, std::optional<V>> value_;
  std::exception_ptr error_;
  ResultCallbacks<V> callbacks_;
};

/// apply / apply_async / submit: one part, one value.
template <class R>
class SingleJob final : public ValueJob<R> {
public:
  using value_type_ = R;
  explicit SingleJob(std::shared_ptr<CoreBase> owner) : ValueJob<R>(std::move(owner), 1) {}

  /// Thread pools: computes nothing; stores `v` as the result.
  template <class... V>
  bool deliver_value(V&&... v) {
    return this->deliver_with(0, [&] { this->value_.emplace(std::forward<V>(v)...); });
  }

protected:
  void store_bytes(std::uint64_t /*part*/, std::string_view bytes) override {
    if constexpr (std::is_void_v<R>) {
      this->value_.emplace();
    } else {
      R v{};
      mp::load(bytes, v);
      this->value_.emplace(std::move(v));
    }
  }
};

/// map / map_async / starmap: parts are chunks of `chunksize` items; the
/// value is the vector of all results in input order. The first failed chunk
/// finishes the job with its exception (Python's map does the same).
template <class R>
class MapJob final : public ValueJob<std::vector<R>> {
public:
  MapJob(std::shared_ptr<CoreBase> owner, std::size_t items, std::size_t chunksize)
      : ValueJob<std::vector<R>>(std::move(owner), chunksize == 0 ? 0 : (items + chunksize - 1) / chunksize),
        items_(items),
        chunksize_(chunksize) {
    this->value_.emplace(items);
  }

  [[nodiscard]] std::size_t chunk_begin(std::uint64_t part) const noexcept {
    return static_cast<std::size_t>(part) * chunksize_;
  }
  [[nodiscard]] std::size_t chunk_size(std::uint64_t part) const noexcept {
    const std::size_t b = chunk_begin(part);
    return b >= items_ ? 0 : std::min(chunksize_, items_ - b);
  }

  /// Thread pools: moves a chunk's results into place.
  bool deliver_chunk(std::uint64_t part, std::vector<R>&& values) {
    return this->deliver_with(part, [&] {
      std::move(values.begin(), values.end(),
                this->value_->begin() + static_cast<std::ptrdiff_t>(chunk_begin(part)));
    });
  }

protected:
  void store_bytes(std::uint64_t part, std::string_view bytes) override {
    auto it = this->value_->begin() + static_cast<std::ptrdiff_t>(chunk_begin(part));
    if constexpr (std::is_arithmetic_v<R> && !std::is_same_v<R, bool>) {
      decode_items_into<R>(bytes, std::to_address(it), chunk_size(part));
    } else {
      decode_items_into<R>(bytes, it, chunk_size(part));
    }
  }

private:
  std::size_t items_;
  std::size_t chunksize_;
};

/// What jobs need from the pool that runs them.
class CoreBase {
public:
  virtual ~CoreBase() = default;
  /// Blocks until `ready()` or the deadline; returns ready(). Process pools
  /// read results in the waiting thread; thread pools sleep on job.progress.
  virtual bool wait_until(JobBase& job, FunctionRef<bool()> ready, const Deadline& deadline) = 0;
  /// A job with callbacks finished in a thread that must not run them: run them elsewhere.
  virtual void schedule_callbacks(std::shared_ptr<JobBase> job) = 0;
  /// A job was cancelled before it ran: forget it.
  virtual void forget(const JobBase& job) noexcept = 0;

  /// A lazy imap that reads its input as it goes: close() submits the rest (feed_all).
  void add_feed(const std::shared_ptr<JobBase>& job);

protected:
  /// The lazy imaps still reading their input (taken out of the list).
  std::vector<std::shared_ptr<JobBase>> take_feeds();
  /// close(): every lazy imap submits the rest of its input now, in this thread.
  void feed_all() noexcept;

private:
  std::mutex feeds_mutex_;
  std::vector<std::weak_ptr<JobBase>> feeds_;  // (feeds_mutex_)
};

/// The core of futures made by hand (mp::Future<R>::create()): no workers;
/// whoever calls set_result() delivers, waiters sleep as in a thread pool.
std::shared_ptr<CoreBase> standalone_core();

}  // namespace mp::detail
