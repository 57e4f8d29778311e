#pragma once
/// @file
/// @brief The machinery under mp::Pool, mp::ThreadPool and the executors (not a public API).
///
/// Two *cores* run tasks, one *job* per call waits for their results:
///
/// - **ProcessCore** (mp::Pool, mp::ProcessPoolExecutor): forked worker
///   processes take task messages from one shared ring (`tasks_`, an
///   mp::detail::ByteRing, MPMC) and put result messages into another
///   (`results_`). A task message names its function by address (the same in
///   a forked worker) and carries the serialized arguments; see the wire
///   format below. Each worker records the task it runs in a shared WorkerSlot,
///   so that when it dies the pool knows which task was lost.
/// - **ThreadCore** (mp::ThreadPool, mp::ThreadPoolExecutor): std::jthread
///   workers take closures from an in-process queue; no serialization.
///
/// A **job** (SingleJob for apply/submit, MapJob for map, IMapJob for imap)
/// is the in-process record of one call: it is split into *parts* (chunks),
/// each delivered once, by value (threads) or as bytes (processes), or failed.
/// AsyncResult, IMapIterator and Future are handles on a job. An imap job is
/// *open*: its parts are added as its input is read (IMapJob::Source, a
/// window of parts ahead of the consumer), and it is *sealed* at the input's end.
///
/// **Waiting without a thread hop** (process pools). The thread that waits in
/// get() reads the result ring itself (non-blocking gets, then a futex sleep
/// on `PoolShared::fg_seq` that workers bump after each result when someone
/// sleeps there), instead of waiting for a result-handler thread to hand the
/// result over. The pool's handler thread reads results only while no caller
/// is waiting (for callbacks, for as_completed), woken through an eventfd.
/// See ProcessCore::wait_until and the notes in pool.cpp.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mp/detail/byte_ring.hpp"
#include "mp/error.hpp"
#include "mp/pickle.hpp"
#include "mp/process.hpp"
#include "mp/timeout.hpp"

namespace mp::detail {

// ============================================================== small tools

/// A non-owning reference to a callable (the callable must outlive the call).
template <class Sig>
class FunctionRef;
template <class R, class... A>
class FunctionRef<R(A...)> {
public:
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> && std::is_invocable_r_v<R, F&, A...>)
      FunctionRef(F&& f)
  noexcept  // NOLINT(google-explicit-constructor)
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))), call_([](void* o, A... a) -> R {
          return (*static_cast<std::add_pointer_t<std::remove_reference_t<F>>>(o))(std::forward<A>(a)...);
        }) {}
  R operator()(A... a) const { return call_(obj_, std::forward<A>(a)...); }

private:
  void* obj_;
  R (*call_)(void*, A...);
};

/// A move-only `void()` callable (std::function needs copyable targets).
class UniqueTask {
public:
  UniqueTask() = default;
  template <class F>
  requires(!std::is_same_v<std::decay_t<F>, UniqueTask> &&
           std::is_invocable_v<std::decay_t<F>&>) explicit UniqueTask(F&& f)
      : impl_(std::make_unique<Impl<std::decay_t<F>>>(std::forward<F>(f))) {}
  void operator()() { impl_->call(); }
  explicit operator bool() const noexcept { return static_cast<bool>(impl_); }

private:
  struct Base {
    virtual ~Base() = default;
    virtual void call() = 0;
  };
  template <class F>
  struct Impl final : Base {
    explicit Impl(F&& f) : fn(std::move(f)) {}
    explicit Impl(const F& f) : fn(f) {}
    void call() override { fn(); }
    F fn;
  };
  std::unique_ptr<Base> impl_;
};

/// Stands in for `void` where a value is needed.
struct Unit {};

/// The result type of a call rejected at compile time (the static_assert
/// says why); keeps the compiler from adding unrelated errors after it.
struct Rejected {};

// ============================================================== wire format

/// What a worker process runs: decodes `args`, calls the function at address
/// `fn`, appends the encoded result to `out`. Throws what the function throws.
using RunFn = void (*)(std::uintptr_t fn, std::string_view args, std::string& out);

/// First bytes of a task message; the encoded arguments follow.
/// `job == 0` is the *stop* message: the worker that takes it exits.
struct TaskHeader {
  std::uint64_t job;   ///< JobBase::id
  std::uint64_t part;  ///< which part (chunk) of the job
  std::uintptr_t run;  ///< a RunFn, as an integer
  std::uintptr_t fn;   ///< the user's function pointer, as an integer
};
static_assert(std::is_trivially_copyable_v<TaskHeader>);

/// How a part ended, in a result message.
enum class ResultStatus : std::uint32_t {
  ok = 1,           ///< the encoded value follows
  error = 2,        ///< an encoded exception follows (encode_exception)
  init_failed = 3,  ///< the worker's initializer threw (job 0); an encoded exception follows
};

/// First bytes of a result message; the payload follows.
struct ResultHeader {
  std::uint64_t job;
  std::uint64_t part;
  ResultStatus status;
  std::uint32_t reserved;
};
static_assert(std::is_trivially_copyable_v<ResultHeader>);

/// Appends `e` in a form decode_exception() turns back into an exception:
/// the standard and mp:: types listed in mp/pool.hpp come back as themselves,
/// any other type as mp::RemoteError (type name and message).
void encode_exception(const std::exception_ptr& e, std::string& out);
/// The exception encoded in `bytes`, ready to rethrow.
[[nodiscard]] std::exception_ptr decode_exception(std::string_view bytes) noexcept;
/// The demangled type name of the exception inside `e` ("" when none).
[[nodiscard]] std::string exception_type_name(const std::exception_ptr& e);

// ============================================================== what can be sent

template <class F>
inline constexpr bool is_function_pointer_v =
    std::is_pointer_v<F>&& std::is_function_v<std::remove_pointer_t<F>>;

/// A callable that a worker process can run: a function pointer, or a class
/// (a captureless, non-generic lambda) that converts to one with unary `+`.
template <class F>
concept Sendable = requires(std::decay_t<F> f) {
  {+f};
  requires is_function_pointer_v<std::decay_t<decltype(+f)>>;
};

/// The function pointer type of a Sendable.
template <Sendable F>
using function_pointer_t = std::decay_t<decltype(+std::declval<std::decay_t<F>&>())>;

/// Parameter and result types of a function pointer.
template <class Fp>
struct fn_traits;
template <class R, class... P>
struct fn_traits<R (*)(P...)> {
  using result = R;
  using params = std::tuple<P...>;
  /// What travels: the parameters' decayed types.
  using stored = std::tuple<std::decay_t<P>...>;
  static constexpr std::size_t arity = sizeof...(P);
};
template <class R, class... P>
struct fn_traits<R (*)(P...) noexcept> : fn_traits<R (*)(P...)> {};

/// A value that may cross a process boundary as a task argument or result:
/// not a pointer, not a view into this process's memory.
template <class T>
inline constexpr bool crossable_v =
    !std::is_pointer_v<T> && !std::is_member_pointer_v<T> && !std::is_same_v<T, std::string_view> &&
    !std::is_same_v<T, std::wstring_view> && !std::is_same_v<T, std::u8string_view>;

template <class P>
inline constexpr bool param_ok_v =
    crossable_v<std::decay_t<P>> &&
    !(std::is_lvalue_reference_v<P> && !std::is_const_v<std::remove_reference_t<P>>);

/// Compile-time checks of a task function for a process pool; each message
/// says what to change.
template <class F>
constexpr void check_sendable() {
  static_assert(
      Sendable<F>,
      "mp::Pool / mp::ProcessPoolExecutor: a task is sent to a worker process as a function POINTER. "
      "Pass a function, or a lambda with no captures ([] not [&] or [=]) and no `auto` parameters. "
      "A capturing lambda, std::function or functor object carries state that lives in this "
      "process's memory, which the worker cannot see (Python's \"Can't pickle <lambda>\"): pass that "
      "state as arguments instead, or use mp::ThreadPool / mp::ThreadPoolExecutor, which accept any "
      "callable.");
}

template <class Fp>
constexpr void check_signature() {
  using T = fn_traits<Fp>;
  []<class... P>(std::tuple<P...>*) {
    static_assert((param_ok_v<P> && ...),
                  "mp::Pool: a task's parameters must be values or const references of types that can be "
                  "serialized (mp/pickle.hpp): not pointers, not std::string_view (they point into this "
                  "process's memory), and not non-const references (the worker gets a copy: changes would "
                  "not come back; return the new value instead).");
    static_assert(
        (std::is_default_constructible_v<std::decay_t<P>> && ...),
        "mp::Pool: a task's parameter types must be default-constructible (the worker decodes into them).");
  }(static_cast<typename T::params*>(nullptr));
  using R = typename T::result;
  static_assert(
      std::is_void_v<R> || (crossable_v<R> && !std::is_reference_v<R>),
      "mp::Pool: a task must return a value (or void), not a reference, pointer or std::string_view: "
      "the result is copied back to this process.");
  static_assert(std::is_void_v<R> || std::is_default_constructible_v<R>,
                "mp::Pool: a task's result type must be default-constructible (the caller decodes into it).");
}

// ============================================================== item sequences on the wire
// A chunk of map() items travels exactly as cereal encodes a std::vector of
// them (size tag, then the elements), but written straight from the caller's
// range and read straight into the result vector, without a temporary vector.

template <class Arg, class It>
void encode_items(std::string& out, It& it, std::size_t n) {
  ByteWriter ar(out);
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(n)));
  for (std::size_t i = 0; i < n; ++i, ++it) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(*it)>, Arg>) {
      ar(*it);
    } else {
      const Arg converted(*it);
      ar(converted);
    }
  }
}

/// Appends one item `x` as an `Arg` (converted first when it is another type).
template <class Arg, class X>
void encode_item(ByteWriter& ar, X&& x) {
  if constexpr (std::is_same_v<std::remove_cvref_t<X>, Arg>) {
    ar(x);
  } else {
    const Arg converted(std::forward<X>(x));
    ar(converted);
  }
}

/// Decodes an encoded vector of exactly `n` T into `dst[0..n)`.
template <class T, class Out>
void decode_items_into(std::string_view bytes, Out dst, std::size_t n) {
  ByteReader ar(bytes);
  try {
    cereal::size_type size = 0;
    ar(cereal::make_size_tag(size));
    if (size != n) {
      throw SerializationError("malformed result: a chunk of " + std::to_string(n) +
                               " items came back with " + std::to_string(size));
    }
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool> && std::is_pointer_v<Out>) {
      ar(cereal::binary_data(dst, n * sizeof(T)));
    } else {
      for (std::size_t i = 0; i < n; ++i, ++dst) {
        T v{};
        ar(v);
        *dst = std::move(v);
      }
    }
  } catch (const SerializationError&) {
    throw;
  } catch (const cereal::Exception& e) {
    throw SerializationError(std::string("malformed result: ") + e.what());
  }
  if (ar.remaining() != 0) throw SerializationError("malformed result: bytes left over after a chunk");
}

// ============================================================== worker-side runners

/// Runs apply()/submit(): decodes the argument tuple, calls, encodes the result.
template <class Fp>
void run_call(std::uintptr_t fn, std::string_view args, std::string& out) {
  using T = fn_traits<Fp>;
  using R = typename T::result;
  typename T::stored tup{};
  if constexpr (T::arity > 0) mp::load(args, tup);
  const auto f = reinterpret_cast<Fp>(fn);
  if constexpr (std::is_void_v<R>) {
    std::apply(f, std::move(tup));
  } else {
    const R r = std::apply(f, std::move(tup));
    mp::dump(r, out);
  }
}

/// Runs one chunk of map()/starmap(): decodes the items, calls f on each
/// (unpacking tuples when `Star`), encodes the results as a vector.
template <bool Star, class Fp>
void run_chunk(std::uintptr_t fn, std::string_view args, std::string& out) {
  using T = fn_traits<Fp>;
  using R = typename T::result;
  using Item =
      std::conditional_t<Star, typename T::stored, std::decay_t<std::tuple_element_t<0, typename T::params>>>;
  // A worker is single-threaded: keep the vectors' memory from chunk to chunk.
  static std::vector<Item> items;
  static std::vector<R> results;
  const auto f = reinterpret_cast<Fp>(fn);
  mp::load(args, items);
  results.clear();
  results.reserve(items.size());
  for (auto& item : items) {
    if constexpr (Star) {
      results.push_back(std::apply(f, std::move(item)));
    } else {
      results.push_back(f(std::move(item)));
    }
  }
  mp::dump(results, out);
}

// ============================================================== jobs

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

  /// Assigned by ProcessCore at registration; names the job in messages.
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

/// How many parts a lazy imap keeps submitted ahead of its consumer: enough
/// for every worker to have a few queued (no worker idles while the consumer
/// reads), few enough that the input is not read far ahead of the results.
inline std::size_t imap_window(int workers) {
  return std::max<std::size_t>(1024, 64 * static_cast<std::size_t>(workers > 0 ? workers : 1));
}

/// imap / imap_unordered / executor map: results are read one by one as they
/// come, in input order (`ordered`) or in completion order. A failed chunk
/// raises its exception once, at its place, and the iteration goes on after it.
///
/// The job is open: a Source reads the caller's input and submits it chunk by
/// chunk, at most `window` parts ahead of what next() consumed (0: all at
/// once). Only the thread iterating (next), close() (feed_rest) and the last
/// handle's release (abandon_iteration) read the input, one at a time (feed_mutex_).
template <class R>
class IMapJob final : public JobBase {
public:
  /// The caller's input, read chunk by chunk; made by the pools (mp/pool.hpp).
  class Source {
  public:
    virtual ~Source() = default;
    /// Reads up to `n` items and submits them as the next part of `job`
    /// (add_part, then the pool's submit). At the end of the input it seals
    /// the job, and when the input throws, it seals it with that exception
    /// (after submitting the items read before it). Returns false when no
    /// more will come (input ended or failed, or the job ended).
    virtual bool submit_next(const std::shared_ptr<IMapJob>& job, std::size_t n) = 0;
  };

  IMapJob(std::shared_ptr<CoreBase> owner, std::size_t chunksize, bool ordered, std::size_t window)
      : JobBase(std::move(owner), 0, true), chunksize_(chunksize), ordered_(ordered), window_(window) {}

  /// The input (before the first feed()).
  void set_source(std::unique_ptr<Source> source) {
    std::lock_guard fl(feed_mutex_);
    source_ = std::move(source);
    feeding_.store(static_cast<bool>(source_), std::memory_order_release);
  }

  /// Submits parts until `window` are submitted and not yet consumed (the
  /// whole input with `all`, or when there is no window). Refills only once
  /// half the window was consumed, so that parts leave in batches.
  void feed(bool all) {
    if (!feeding_.load(std::memory_order_acquire)) return;
    if (!all && window_ != 0 && outstanding() > window_ / 2) return;
    std::lock_guard fl(feed_mutex_);
    if (!source_) return;
    const auto self = std::static_pointer_cast<IMapJob>(shared_from_this());
    bool more = true;
    while (more && (all || window_ == 0 || outstanding() < window_)) {
      try {
        more = source_->submit_next(self, chunksize_);
      } catch (...) {  // the pool's own failure (memory): end the iteration with it
        (void)seal(std::current_exception());
        more = false;
      }
    }
    if (!more) {
      source_.reset();  // the input (a view the job owns) goes now
      feeding_.store(false, std::memory_order_release);
    }
  }
  void feed_rest() noexcept override {
    try {
      feed(true);
    } catch (...) {
    }
  }
  [[nodiscard]] bool feeding() const noexcept override { return feeding_.load(std::memory_order_acquire); }

  /// The last handle on the iteration is gone: reads no more input, and for
  /// an executor map cancels the parts not handed over (Python closes the
  /// map's generator, which cancels its futures).
  void abandon_iteration() noexcept {
    try {
      {
        std::lock_guard fl(feed_mutex_);
        source_.reset();
        feeding_.store(false, std::memory_order_release);
      }
      (void)seal();
      if (parts_cancellable()) cancel_pending_work();
    } catch (...) {
    }
  }

  /// Thread pools: moves a chunk's results into place.
  bool deliver_chunk(std::uint64_t part, std::vector<R>&& values) {
    return this->deliver_with(part, [&] { place(part, std::move(values)); });
  }

  /// One step of the iteration, or nullopt at the end. Throws a failed
  /// chunk's exception once at its place; mp::TimeoutError at the deadline.
  std::optional<R> next(const Deadline& deadline) {
    for (;;) {
      feed(false);
      if (!wait_until([this] { return next_ready(); }, deadline)) {
        throw TimeoutError("imap: the next result did not arrive in time");
      }
      std::lock_guard lk(mutex_);
      if (ordered_) {
        if (chunks_.empty()) return std::nullopt;  // sealed, all consumed
        Chunk& c = chunks_.front();
        if (!c.arrived) continue;
        if (c.error) {
          std::exception_ptr e = std::exchange(c.error, nullptr);
          pop_chunk();
          std::rethrow_exception(e);
        }
        if (cursor_item_ < c.values.size()) {
          R out = std::move(c.values[cursor_item_++]);
          if (cursor_item_ == c.values.size()) pop_chunk();
          return out;
        }
        pop_chunk();  // an empty chunk
        continue;
      }
      if (ready_.empty()) return std::nullopt;  // done
      Entry front = std::move(ready_.front());
      ready_.pop_front();
      if (front.ends_part) consumed_.fetch_add(1, std::memory_order_relaxed);
      if (front.error) std::rethrow_exception(front.error);
      return std::move(*front.value);
    }
  }

protected:
  void store_bytes(std::uint64_t part, std::string_view bytes) override {
    std::vector<R> values;
    mp::load(bytes, values);
    if (values.size() != chunk_size(part))
      throw SerializationError("malformed result: wrong number of items in a chunk");
    place(part, std::move(values));
  }
  void store_error(std::uint64_t part, std::exception_ptr e) override {
    if (ordered_) {
      Chunk& c = chunk(part);
      c.error = std::move(e);
      c.arrived = true;
    } else {
      ready_.push_back(Entry{std::nullopt, std::move(e), true});
    }
  }
  [[nodiscard]] bool error_finishes() const noexcept override { return false; }
  void on_part_added(std::uint64_t part, std::size_t items) override {
    if (ordered_) chunks_.emplace_back();
    if (items != 0 && items != chunksize_) {  // the input's last items: one such part at most
      short_part_ = part;
      short_items_ = items;
    }
  }

private:
  struct Chunk {
    std::vector<R> values;
    std::exception_ptr error;
    bool arrived = false;
  };
  struct Entry {
    std::optional<R> value;
    std::exception_ptr error;
    bool ends_part;  // the last entry of its part: the part is consumed with it
  };

  [[nodiscard]] std::uint64_t outstanding() const noexcept {
    return parts() - consumed_.load(std::memory_order_relaxed);
  }
  // Ordered (mutex_ held): chunks_ starts at the first part not consumed.
  Chunk& chunk(std::uint64_t part) {
    return chunks_[static_cast<std::size_t>(part - consumed_.load(std::memory_order_relaxed))];
  }
  void pop_chunk() {
    chunks_.pop_front();
    cursor_item_ = 0;
    consumed_.fetch_add(1, std::memory_order_relaxed);
  }
  [[nodiscard]] std::size_t chunk_size(std::uint64_t part) const noexcept {
    return part == short_part_ ? short_items_ : chunksize_;
  }
  void place(std::uint64_t part, std::vector<R>&& values) {
    if (ordered_) {
      Chunk& c = chunk(part);
      c.values = std::move(values);
      c.arrived = true;
    } else {
      for (std::size_t i = 0; i < values.size(); ++i) {
        ready_.push_back(Entry{std::move(values[i]), nullptr, i + 1 == values.size()});
      }
    }
  }
  // Whether next() can answer without waiting.
  bool next_ready() {
    std::lock_guard lk(mutex_);
    if (ordered_) return chunks_.empty() ? sealed_locked() : chunks_.front().arrived;
    return !ready_.empty() || done();
  }

  const std::size_t chunksize_;
  const bool ordered_;
  const std::size_t window_;  // parts ahead of the consumer; 0: no limit

  std::mutex feed_mutex_;             // one reader of the input at a time
  std::unique_ptr<Source> source_;    // (feed_mutex_) null once the input ended
  std::atomic<bool> feeding_{false};  // source_ is set (written under feed_mutex_)
  /// Parts fully consumed by next() (written under mutex_; read by feed() relaxed).
  std::atomic<std::uint64_t> consumed_{0};

  std::uint64_t short_part_ = ~std::uint64_t{0};  // (mutex_) the part with fewer than chunksize items
  std::size_t short_items_ = 0;                   // (mutex_)
  std::deque<Chunk> chunks_;                      // ordered (mutex_): from the first part not consumed
  std::size_t cursor_item_ = 0;                   // ordered (mutex_)
  std::deque<Entry> ready_;                       // unordered (mutex_)
};

// ============================================================== cores

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

/// The shared header of a process pool: how workers wake the parent. Lives
/// in an anonymous shared mapping, followed by one WorkerSlot per worker.
struct alignas(64) PoolShared {
  explicit PoolShared(int eventfd) : wake_fd(eventfd) {}
  /// Bumped by a worker after a result when `fg_waiters` > 0; callers of
  /// get() sleep on it (futex). Release; the Dekker pairing is done by fences.
  alignas(64) std::atomic<std::uint32_t> fg_seq{0};
  /// Parent threads asleep on fg_seq. seq_cst (with fences; see pool.cpp).
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

/// The thread pool engine under mp::ThreadPool and mp::ThreadPoolExecutor.
///
/// mp::ThreadPool starts its threads in the constructor. With `on_demand`
/// (mp::ThreadPoolExecutor, as Python's `_adjust_thread_count`), submit()
/// starts a thread only when no thread is free to take the task, up to
/// `threads`. A thread counts as free while it waits for a task, and from the
/// moment its task publishes its result (task_finishing): a caller that
/// submits again right after result() returned finds it free.
class ThreadCore final : public CoreBase {
public:
  ThreadCore(int threads, std::function<void()> initializer, std::string kind, bool on_demand = false);
  ~ThreadCore() override;
  ThreadCore(const ThreadCore&) = delete;
  ThreadCore& operator=(const ThreadCore&) = delete;

  [[nodiscard]] int threads() const noexcept { return threads_count_; }
  /// Queues `task` (part `part` of `job`). `cancellable`: whether
  /// shutdown(cancel_futures) cancels it (futures, executor maps); the job
  /// decides at hand-over whether the part still runs (JobBase::try_start_part).
  /// @throws mp::ValueError after close/terminate; mp::BrokenPool when an
  ///         initializer failed; std::system_error when a thread cannot start.
  void submit(std::shared_ptr<JobBase> job, UniqueTask task, bool cancellable = false,
              std::uint64_t part = 0);
  /// Called by a task run by a worker of an on-demand pool just before it
  /// publishes its result: the worker counts as free from then on.
  static void task_finishing() noexcept;
  /// Checks that submissions are accepted (throws as submit).
  void check_accepting();

  void close();
  void terminate();
  void join();
  void cancel_pending();
  [[nodiscard]] bool is_closed() const noexcept;

  bool wait_until(JobBase& job, FunctionRef<bool()> ready, const Deadline& deadline) override;
  void schedule_callbacks(std::shared_ptr<JobBase> job) override;
  void forget(const JobBase& /*job*/) noexcept override {}

private:
  struct Item {
    std::shared_ptr<JobBase> job;
    UniqueTask task;
    bool cancellable;
    std::uint64_t part;
  };
  void worker_loop(std::stop_token stop);
  void abandon_queue_locked(const std::exception_ptr& e, std::deque<Item>& out);
  void start_thread_locked();  // mutex_ held

  int threads_count_;
  bool on_demand_;
  std::function<void()> initializer_;
  std::string kind_;
  mutable std::mutex mutex_;  // guards everything below but the atomics
  std::condition_variable cv_;
  std::deque<Item> queue_;
  int idle_ = 0;  // workers asleep on cv_
  /// Items in queue_; written under mutex_, read by spinning workers (relaxed:
  /// they re-check queue_ under the mutex).
  std::atomic<std::size_t> queued_{0};
  /// Workers spinning for the next task (changed under mutex_; relaxed):
  /// submit() wakes a sleeper only for the tasks they will not take.
  std::atomic<std::size_t> spinning_{0};
  /// Workers free to take a task: waiting for one, or finishing theirs (see
  /// task_finishing). On-demand pools start a thread when the queue holds
  /// more tasks than this. seq_cst.
  std::atomic<std::size_t> free_{0};
  bool closed_ = false;
  bool terminated_ = false;
  std::exception_ptr broken_;
  std::mutex join_mutex_;
  /// Started under mutex_ (reserved up front: never reallocated), joined by join().
  std::vector<std::jthread> threads_;
};

}  // namespace mp::detail
