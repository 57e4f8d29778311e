#pragma once
/// @file
/// @brief mp::Pool (worker processes) and mp::ThreadPool (worker threads):
/// Python's `multiprocessing.Pool` and `multiprocessing.pool.ThreadPool`.
///
/// @code
/// int f(int x) { return x * x; }
///
/// int main() {
///   mp::Pool pool(5);                                      // Python: with Pool(5) as p:
///   std::vector<int> squares = pool.map(f, {1, 2, 3});      //   p.map(f, [1, 2, 3]) -> [1, 4, 9]
///   mp::AsyncResult<int> r = pool.apply_async(f, 20);
///   std::cout << r.get(1s) << '\n';                         // 400
/// }                                                         // the destructor terminates the pool
/// @endcode
///
/// ### The calls (one API for both pools: mp::BasicPool)
/// | call | Python | returns |
/// |------|--------|---------|
/// | `apply(f, args...)` | `apply(f, args)` | f's result (blocks) |
/// | `apply_async(f, args..., [mp::callback(cb)], [mp::error_callback(ecb)])` | `apply_async(f, args, callback=, error_callback=)` | mp::AsyncResult<R> |
/// | `map(f, items, [chunksize])` | `map(f, iterable, chunksize)` | `std::vector<R>` in input order (blocks) |
/// | `map_async(f, items, [chunksize], [callbacks...])` | `map_async(...)` | mp::AsyncResult<std::vector<R>> |
/// | `imap(f, items, [chunksize = 1])` | `imap` | mp::IMapIterator<R>, input order, lazy |
/// | `imap_unordered(f, items, [chunksize = 1])` | `imap_unordered` | mp::IMapIterator<R>, completion order, lazy |
/// | `starmap(f, tuples, [chunksize])`, `starmap_async` | `starmap`, `starmap_async` | as map, f(std::get<0>(t), std::get<1>(t), ...) |
/// | `close()`, `terminate()`, `join()` | the same | |
///
/// `items` is any range (a `std::vector`, a braced list, a view). map and
/// starmap read it once, when the call submits the tasks. map's default
/// chunksize is Python's: `ceil(len(items) / (4 * workers))`; each chunk is
/// one task message.
///
/// imap and imap_unordered read their input **as the iteration advances**:
/// they keep a window of chunks submitted ahead of the results consumed
/// (mp::detail::imap_window: 1024 chunks, 64 per worker beyond 16 workers), so an
/// input of unknown or endless length (a generator-like range, an endless
/// `std::views::iota(0)`) works, and memory stays bounded. A temporary range is moved into the
/// call; **a named range is referenced and must outlive the iteration** (as a
/// view of it would). The input is read by the thread that calls next(), by
/// close() (which submits the rest of every pending imap's input, as Python's
/// close lets them finish; an endless input then never ends), and never after
/// the last IMapIterator handle is gone. An input that throws at item k (its
/// iterator's `*` or `++`): the iteration yields the results of the first k
/// items, then raises that exception, then ends, as Python's imap does with a
/// generator that raises.
///
/// ### What can be sent to a worker process (mp::Pool)
/// Workers are forked when the pool starts, so a task names its function by
/// address, which is the same in a forked worker: pass **a function, or a
/// lambda without captures** (`[](int x) { return x * x; }`), with arguments
/// and a result that mp/pickle.hpp can serialize. A capturing lambda, a
/// `std::function` or a functor object is **rejected at compile time** with a
/// message that says why: its state lives in the caller's memory, created
/// after the fork, and cannot be sent (Python's "Can't pickle <lambda>"). Pass
/// that state as arguments instead. Pointers, `std::string_view` and
/// non-const reference parameters are rejected too. mp::ThreadPool runs any
/// callable: nothing crosses a process boundary there.
///
/// The initializer is different: it runs in the worker right after the fork,
/// so it may be any callable, captures included (the worker sees a copy of the
/// memory of the moment it was forked).
///
/// ### Exceptions from tasks
/// An exception thrown by a task reaches the caller of `get`/`map`/`next`.
/// With threads it is the very exception object. From a worker process it is
/// re-created: these types come back as themselves, with their message:
/// `std::exception`, `runtime_error`, `logic_error`, `invalid_argument`,
/// `domain_error`, `length_error`, `out_of_range`, `range_error`,
/// `overflow_error`, `underflow_error`, `bad_alloc`, `system_error` (its
/// errno too), `bad_optional_access`, `bad_variant_access`, `bad_cast`, and
/// mp::Error, mp::TimeoutError, mp::ValueError, mp::ProcessError,
/// mp::SerializationError, mp::Empty, mp::Full, mp::EOFError,
/// mp::BrokenBarrierError, mp::BrokenPool, mp::CancelledError,
/// mp::InvalidStateError. Any other type
/// (your own `struct ParseError : std::runtime_error`) comes back as
/// mp::RemoteError, which carries the type's name and the message. A task that
/// calls mp::exit() raises mp::RemoteError("mp::SystemExit") and the worker lives on.
///
/// ### A worker process that dies
/// When a worker dies while it runs a task (SIGKILL, a segfault, `_exit`, the
/// OOM killer), that task fails with **mp::WorkerLost** (an mp::BrokenPool,
/// with the worker's pid and exit code) within milliseconds: the pool watches
/// its workers' pidfds. The pool then forks a replacement, and every other task
/// still completes. For `map`, the failed chunk fails the whole call (as any
/// exception in a chunk does); for `imap`, only its place raises. Python's
/// Pool waits forever in this case. (In the rare case where a worker dies in
/// the microseconds between taking a task and removing it from the task ring,
/// the task is also run again by another worker; its result is dropped.)
///
/// A worker whose **initializer throws** breaks the pool: pending and later
/// calls raise mp::BrokenPool naming the initializer's exception (Python
/// re-forks such workers forever).
///
/// ### Lifetime: close, terminate, join, destructor
/// | state | apply/map/... | close() | terminate() | join() |
/// |-------|---------------|---------|-------------|--------|
/// | running | submit tasks | → closing | → terminated | mp::ValueError |
/// | closing: tasks finish, then workers exit | mp::ValueError | no-op | → terminated | waits for the workers to exit |
/// | terminated: workers killed | mp::ValueError | no-op | no-op | returns once the pool's threads ended |
///
/// `terminate()` kills the workers at once (SIGKILL); calls not finished
/// raise mp::BrokenPool from then on (Python's never return). **The
/// destructor calls terminate()**, like leaving Python's `with Pool() as p:`
/// block: wait for your results (get, map) before the pool goes out of
/// scope, or call close() and join() to let queued work finish.
///
/// ### Callbacks
/// mp::callback / mp::error_callback run once per call, in the pool's
/// handler thread (mp::Pool; as Python's result-handler thread) or in the
/// worker thread that finished the call (mp::ThreadPool), and **before** the
/// call's AsyncResult becomes ready (as in Python): once `get()` returns, the
/// callback has run. Keep them short; an exception they throw is printed to
/// stderr and ignored. A callback of an mp::Pool must not wait for another
/// result (that raises mp::ValueError; in Python it deadlocks): the handler
/// thread it runs in is the one that delivers results.
///
/// ### Blocking
/// apply, map and starmap block until their results are in; `get(t)`,
/// `wait(t)` and `IMapIterator::next(t)` block at most `t`. Submitting never
/// waits for a worker: tasks that do not fit in the task ring (2 MiB) wait in
/// the caller's memory and a feeder thread hands them over (Python's task
/// handler thread).
///
/// ### Threads and fork safety (mp::Pool)
/// The constructor forks the workers, *then* starts two threads: the handler
/// (reads results when no caller waits, runs callbacks, watches workers,
/// forks replacements) and the feeder. Forking a replacement from a process
/// that has threads is safe here: the child only runs the worker loop, which
/// touches the shared task and result rings (robust process-shared locks) and
/// never a lock of the parent's threads, and glibc resets the malloc and stdio
/// locks in a forked child. A task that takes a lock of your own program which
/// another thread held at that moment would hang in the worker, as with
/// Python's fork start method. Workers are daemons: they never outlive the program.
///
/// ### Thread safety
/// All calls may be made from any thread of the process that created the
/// pool, concurrently. A pool cannot be used from a child process (mp::ValueError).
///
/// ### Performance
/// Tasks and results travel through two shared-memory rings (mp::Queue's
/// engine). The caller waiting in get() reads the result ring itself, so an
/// `apply_async(...).get()` round trip costs about one pipe round trip;
/// `map` with chunksize 1 streams tasks to awake workers without a wake-up per
/// item. See `reference/bench/pool_bench.cpp` and `./course bench`.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mp/async_result.hpp"
#include "mp/detail/pool_core.hpp"
#include "mp/error.hpp"
#include "mp/process.hpp"
#include "mp/timeout.hpp"

namespace mp {

template <class P>
class BasicExecutor;

namespace detail {

/// Python's default chunksize for map: ceil(n / (4 * workers)).
inline std::size_t default_chunksize(std::size_t n, int workers) {
  const std::size_t per = static_cast<std::size_t>(workers > 0 ? workers : 1) * 4;
  return n == 0 ? 0 : (n + per - 1) / per;
}

/// Calls fn with `r` when it is sized and can be walked twice, else with a vector copy of it.
template <class Range, class Fn>
decltype(auto) with_sized(const Range& r, Fn&& fn) {
  if constexpr (std::ranges::sized_range<const Range> && std::ranges::forward_range<const Range>) {
    return fn(r);
  } else {
    std::vector<std::ranges::range_value_t<const Range>> copy;
    for (auto&& x : r) copy.push_back(x);
    return fn(std::as_const(copy));
  }
}

template <class T>
struct FirstParam {
  using type = void;
};
template <class P0, class... P>
struct FirstParam<std::tuple<P0, P...>> {
  using type = std::decay_t<P0>;
};

/// The reading side of a lazy imap: the caller's range and where it stands.
/// `Range` as a forwarding reference deduced it: `T&` is referenced (it must
/// outlive the iteration), `T` (a temporary) is moved in. (Not std::views::all:
/// clang before 16 cannot compile libstdc++'s views.) The iterator is taken on
/// the first read, since begin() may read (an istream_iterator does).
template <class Range>
class InputCursor {
  static constexpr bool referenced = std::is_lvalue_reference_v<Range>;
  using Object = std::conditional_t<referenced, std::remove_reference_t<Range>, std::remove_cvref_t<Range>>;
  using Held = std::conditional_t<referenced, Object*, Object>;
  using It = decltype(std::ranges::begin(std::declval<Object&>()));
  using End = decltype(std::ranges::end(std::declval<Object&>()));

public:
  /// What reading an item gives (`*it`).
  using reference = decltype(*std::declval<It&>());
  /// The items' own type.
  using value_type = std::iter_value_t<It>;

  explicit InputCursor(Range&& r) : held_(hold(std::forward<Range>(r))) {}

  /// Passes up to `n` items to `sink(item)`. The exception of the input's
  /// `*`, `++` or `==`, or of the sink, propagates (the items before it were
  /// passed). True when the input ended.
  template <class Sink>
  bool read(std::size_t n, Sink&& sink) {
    if (!it_) {
      it_.emplace(std::ranges::begin(object()));
      end_.emplace(std::ranges::end(object()));
    }
    for (std::size_t k = 0; k < n; ++k) {
      if (*it_ == *end_) return true;
      sink(**it_);
      ++*it_;
    }
    return false;
  }

private:
  static Held hold(Range&& r) {
    if constexpr (referenced) {
      return std::addressof(r);
    } else {
      return Held(std::move(r));
    }
  }
  Object& object() {
    if constexpr (referenced) {
      return *held_;
    } else {
      return held_;
    }
  }

  Held held_;
  std::optional<It> it_;
  std::optional<End> end_;
};

}  // namespace detail

/// The API that mp::Pool and mp::ThreadPool share (Python's `multiprocessing.pool.Pool`
/// methods); see the file notes of mp/pool.hpp for the rules. Use it through
/// those two classes: `Derived` supplies how a call travels (serialized to a
/// worker process, or a closure for a thread) and `Core` is the engine.
template <class Derived, class Core>
class BasicPool {
public:
  BasicPool(const BasicPool&) = delete;
  BasicPool& operator=(const BasicPool&) = delete;

  /// Calls `f(args...)` in a worker and returns its result (Python's
  /// `apply`). Blocks until it is done.
  /// @throws what the task threw (see "Exceptions from tasks"); mp::WorkerLost;
  ///         mp::ValueError when the pool is closed.
  template <class F, class... A>
  auto apply(F f, A&&... args) {
    return apply_async(std::move(f), std::forward<A>(args)...).get();
  }

  /// Submits `f(args...)` and returns at once (Python's `apply_async`). The
  /// arguments are copied (serialized, for processes) now. Optional
  /// mp::callback(fn) / mp::error_callback(fn) arguments, anywhere in the
  /// list, are Python's `callback=` / `error_callback=`.
  /// @throws mp::ValueError when the pool is closed; mp::BrokenPool when broken.
  template <class F, class... A>
  auto apply_async(F f, A&&... args) {
    if constexpr (!Derived::template accepts_v<F>) {
      Derived::template reject<F>();
      return AsyncResult<detail::Rejected>();  // only the static_assert above is reported
    } else {
      return std::apply(
          [&](auto&&... plain) {
            using R = typename Derived::template call_result_t<F, decltype(plain)...>;
            auto job = std::make_shared<detail::SingleJob<R>>(core_ptr());
            job->set_callbacks(detail::collect_callbacks<R>(args...));
            submit_single(job, f, false, std::forward<decltype(plain)>(plain)...);
            return AsyncResult<R>(job);
          },
          detail::without_callbacks(std::forward<A>(args)...));
    }
  }

  /// `f` applied to every item, results in input order (Python's `map`).
  /// Blocks until all are done. `chunksize` 0 picks Python's default.
  /// @throws the first exception a chunk raised (the other chunks still ran).
  template <class F, class Range>
  auto map(F f, const Range& items, std::size_t chunksize = 0) {
    return map_async(std::move(f), items, chunksize).take();
  }
  /// map() of a braced list: `pool.map(f, {1, 2, 3})`.
  template <class F, class T>
  auto map(F f, std::initializer_list<T> items, std::size_t chunksize = 0) {
    return map_async(std::move(f), items, chunksize).take();
  }

  /// As map, returning at once (Python's `map_async`); optional
  /// mp::callback (gets the whole vector) / mp::error_callback after chunksize.
  template <class F, class Range, class... Cb>
  auto map_async(F f, const Range& items, std::size_t chunksize = 0, const Cb&... callbacks) {
    return chunked_async<false>(std::move(f), items, chunksize, callbacks...);
  }
  /// map_async() of a braced list.
  template <class F, class T, class... Cb>
  auto map_async(F f, std::initializer_list<T> items, std::size_t chunksize = 0, const Cb&... callbacks) {
    return chunked_async<false>(std::move(f), items, chunksize, callbacks...);
  }

  /// `f(elements of t...)` for each tuple (or pair) `t`, in input order (Python's `starmap`).
  template <class F, class Range>
  auto starmap(F f, const Range& items, std::size_t chunksize = 0) {
    return starmap_async(std::move(f), items, chunksize).take();
  }
  /// As starmap, returning at once (Python's `starmap_async`).
  template <class F, class Range, class... Cb>
  auto starmap_async(F f, const Range& items, std::size_t chunksize = 0, const Cb&... callbacks) {
    return chunked_async<true>(std::move(f), items, chunksize, callbacks...);
  }

  /// Lazy map: results one by one, in input order, as they arrive (Python's
  /// `imap`). Reads `items` as the iteration advances (see the file notes:
  /// a named range must outlive the iteration). Never blocks.
  /// @throws mp::ValueError when chunksize is 0 or the pool is closed;
  ///         mp::BrokenPool when broken. Iterating raises what the input raises, at its place.
  template <class F, class Range>
  auto imap(F f, Range&& items, std::size_t chunksize = 1) {
    return imap_impl(std::move(f), std::forward<Range>(items), chunksize, true, std::nullopt);
  }
  /// imap() of a braced list (copied: the list itself ends with the statement).
  template <class F, class T>
  auto imap(F f, std::initializer_list<T> items, std::size_t chunksize = 1) {
    return imap_impl(std::move(f), std::vector<T>(items), chunksize, true, std::nullopt);
  }

  /// Lazy map: results in the order they finish (Python's `imap_unordered`);
  /// reads `items` as imap() does.
  template <class F, class Range>
  auto imap_unordered(F f, Range&& items, std::size_t chunksize = 1) {
    return imap_impl(std::move(f), std::forward<Range>(items), chunksize, false, std::nullopt);
  }
  /// imap_unordered() of a braced list (copied).
  template <class F, class T>
  auto imap_unordered(F f, std::initializer_list<T> items, std::size_t chunksize = 1) {
    return imap_impl(std::move(f), std::vector<T>(items), chunksize, false, std::nullopt);
  }

  /// No more tasks: the workers exit once the queued tasks are done
  /// (Python's `close`). Never blocks. Idempotent.
  void close() { core().close(); }
  /// Stops at once (Python's `terminate`): see the file notes for what
  /// happens to the tasks. Blocks until the pool's own threads have ended.
  void terminate() { core().terminate(); }
  /// Waits for the workers to exit (Python's `join`).
  /// @throws mp::ValueError when neither close() nor terminate() was called.
  void join() {
    if (!core().is_closed())
      throw ValueError("join(): call close() or terminate() first (the pool is still running)");
    core().join();
  }

protected:
  /// Takes the engine made by the derived class.
  explicit BasicPool(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  /// Moves the pool (the moved-from object may only be destroyed or assigned to).
  BasicPool(BasicPool&&) noexcept = default;
  /// Terminates this pool's workers, then takes `other`'s.
  BasicPool& operator=(BasicPool&& other) noexcept {
    if (this != &other) {
      terminate_quietly();
      core_ = std::move(other.core_);
    }
    return *this;
  }
  /// terminate(), as Python's context-manager exit (errors dropped: a destructor must not throw).
  ~BasicPool() { terminate_quietly(); }

  /// The engine. @throws mp::ValueError on a moved-from pool.
  Core& core() const { return *core_ptr(); }
  /// The engine, shared with the calls' results. @throws mp::ValueError on a moved-from pool.
  const std::shared_ptr<Core>& core_ptr() const {
    if (!core_) throw ValueError("mp::Pool: this pool object was moved from");
    return core_;
  }
  /// The engine (null once moved from).
  std::shared_ptr<Core> core_;

private:
  void terminate_quietly() noexcept {
    if (!core_) return;
    try {
      core_->terminate();
    } catch (...) {
    }
  }

  template <class P>
  friend class mp::BasicExecutor;

  Derived& self() { return static_cast<Derived&>(*this); }

  template <class R, class F, class... P>
  void submit_single(const std::shared_ptr<detail::SingleJob<R>>& job, F& f, bool cancellable, P&&... plain) {
    self().prepare(job);
    try {
      self().template submit_call<R>(job, f, cancellable, std::forward<P>(plain)...);
    } catch (...) {
      self().fail_unsent(job, std::current_exception());
      throw;
    }
  }

  // Executors: a cancellable single call.
  template <class F, class... A>
  auto submit_future(F& f, A&&... args) {
    using R = typename Derived::template call_result_t<F, A...>;
    auto job = std::make_shared<detail::SingleJob<R>>(core_ptr());
    submit_single(job, f, true, std::forward<A>(args)...);
    return job;
  }

  // Splits `items` into chunks of one job; `setup(job)` runs before any
  // chunk leaves (callbacks must be in place before a result can arrive).
  template <bool Star, template <class> class JobT, class R, class F, class Range, class Setup,
            class... Extra>
  std::shared_ptr<JobT<R>> submit_chunks(F& f, const Range& items, std::size_t chunksize, bool python_default,
                                         Setup&& setup, Extra... extra) {
    return detail::with_sized(items, [&](const auto& r) {
      const std::size_t n = static_cast<std::size_t>(std::ranges::size(r));
      const std::size_t cs =
          python_default && chunksize == 0 ? detail::default_chunksize(n, self().workers()) : chunksize;
      auto job = std::make_shared<JobT<R>>(core_ptr(), n, cs, extra...);
      setup(*job);
      if (job->parts() == 0) {  // nothing to do: done at once
        job->complete_empty();
        return job;
      }
      self().prepare(job);
      auto it = std::ranges::begin(r);
      try {
        for (std::uint64_t part = 0; part < job->parts(); ++part) {
          self().template submit_chunk<Star, R>(job, part, f, it, job->chunk_size(part));
        }
      } catch (...) {
        self().fail_unsent(job, std::current_exception());
        throw;
      }
      return job;
    });
  }

  // The result type of f on one item (unpacked when Star); only the chosen one is formed.
  template <bool Star, class F, class Item>
  static auto chunk_result() {
    if constexpr (Star) {
      return std::type_identity<typename Derived::template starmap_result_t<F, Item>>{};
    } else {
      return std::type_identity<typename Derived::template map_result_t<F, Item>>{};
    }
  }

  template <bool Star, class F, class Range, class... Cb>
  auto chunked_async(F f, const Range& items, std::size_t chunksize, const Cb&... callbacks) {
    static_assert((detail::is_callback_tag_v<Cb> && ...),
                  "map_async/starmap_async: after chunksize, only mp::callback(...) and "
                  "mp::error_callback(...) may follow");
    if constexpr (!Derived::template accepts_v<F>) {
      Derived::template reject<F>();
      return AsyncResult<detail::Rejected>();  // only the static_assert above is reported
    } else {
      using Item = std::ranges::range_value_t<const Range>;
      using R = typename decltype(chunk_result<Star, F, Item>())::type;
      static_assert(
          !std::is_void_v<R>,
          "map/starmap collect the function's results, but it returns void: return a value, or call "
          "apply_async for each item");
      auto job = submit_chunks<Star, detail::MapJob, R>(f, items, chunksize, true, [&](detail::MapJob<R>& j) {
        j.set_callbacks(detail::collect_callbacks<std::vector<R>>(callbacks...));
      });
      return AsyncResult<std::vector<R>>(job);
    }
  }

  // imap, imap_unordered, and the executors' map (`executor`: every item is
  // submitted now, and the items not handed over yet can be cancelled).
  template <class F, class Range>
  auto imap_impl(F f, Range&& items, std::size_t chunksize, bool ordered, std::optional<Deadline> overall,
                 bool executor = false) {
    static_assert(std::ranges::input_range<Range>, "imap / map: the items must be a range");
    if constexpr (!Derived::template accepts_v<F>) {
      Derived::template reject<F>();
      return IMapIterator<detail::Rejected>();
    } else {
      if (chunksize == 0) throw ValueError("imap: chunksize must be at least 1");
      using Item = typename detail::InputCursor<Range>::value_type;
      using R = typename Derived::template map_result_t<F, Item>;
      static_assert(!std::is_void_v<R>,
                    "imap yields the function's results, but it returns void: return a value");
      const std::size_t window = executor ? 0 : detail::imap_window(self().workers());
      auto job = std::make_shared<detail::IMapJob<R>>(core_ptr(), chunksize, ordered, window);
      if (executor) job->set_parts_cancellable();
      self().prepare(job);
      auto source = Derived::template make_source<R>(
          std::move(f), detail::InputCursor<Range>(std::forward<Range>(items)), executor);
      job->set_source(std::move(source));
      core().add_feed(job);
      IMapIterator<R> it(job, overall);  // from here on, dropping the last handle stops the feed
      job->feed(false);                  // the first window (everything, for an executor)
      return it;
    }
  }
};

/// A pool of worker processes (Python's `multiprocessing.Pool`). See the file
/// notes; the calls (apply_async, map, imap, ...) are mp::BasicPool's.
///
/// @code
/// double work(int seed) { return simulate(seed); }
///
/// mp::Pool pool;                                   // cpu_count() workers
/// std::vector<int> seeds(1000);
/// std::iota(seeds.begin(), seeds.end(), 0);
/// std::vector<double> results = pool.map(work, seeds);
/// pool.close();
/// pool.join();
/// @endcode
class Pool : public BasicPool<Pool, detail::ProcessCore> {
public:
  /// Forks `processes` workers (0: cpu_count(), Python's None). Each runs
  /// `initializer()` once when it starts (Python's initializer + initargs:
  /// capture the arguments). A worker exits after `maxtasksperchild` tasks
  /// and is replaced by a fresh one (0: never; Python's None).
  /// @throws mp::ValueError when processes or maxtasksperchild is negative;
  ///         std::system_error when fork fails.
  explicit Pool(int processes = 0, std::function<void()> initializer = {}, int maxtasksperchild = 0)
      : Pool(detail::ProcessCore::Options{processes, std::move(initializer), maxtasksperchild, false, 0,
                                          "Pool"}) {}

  /// Moves the pool: the workers now belong to the new object (the
  /// moved-from one may only be destroyed or assigned to).
  Pool(Pool&&) noexcept = default;
  /// Terminates this pool's workers, then takes `other`'s.
  Pool& operator=(Pool&&) noexcept = default;
  /// terminate(), as Python's context-manager exit; see the file notes.
  ~Pool() = default;

  /// The number of worker processes.
  [[nodiscard]] int processes() const { return core().processes(); }
  /// The pids of the live workers (they change as workers are replaced).
  [[nodiscard]] std::vector<pid_t> worker_pids() const { return core().worker_pids(); }

private:
  friend class BasicPool<Pool, detail::ProcessCore>;
  template <class P>
  friend class BasicExecutor;

  explicit Pool(detail::ProcessCore::Options options)
      : BasicPool(std::make_shared<detail::ProcessCore>(std::move(options))) {}

  template <class F>
  static constexpr bool accepts_v = detail::Sendable<F>;
  template <class F>
  static constexpr void reject() {
    detail::check_sendable<F>();
  }
  template <class F, class... A>
  using call_result_t = typename detail::fn_traits<detail::function_pointer_t<F>>::result;
  template <class F, class Item>
  using map_result_t = typename detail::fn_traits<detail::function_pointer_t<F>>::result;
  template <class F, class Item>
  using starmap_result_t = typename detail::fn_traits<detail::function_pointer_t<F>>::result;

  [[nodiscard]] int workers() const { return core().processes(); }
  void prepare(const std::shared_ptr<detail::JobBase>& job) { core().register_job(job); }
  void fail_unsent(const std::shared_ptr<detail::JobBase>& job, std::exception_ptr e) {
    core().fail_unsent(job, std::move(e));
  }

  static void begin_message(std::string& msg, std::uint64_t job, std::uint64_t part, detail::RunFn run,
                            std::uintptr_t fn) {
    msg.clear();
    const detail::TaskHeader h{job, part, reinterpret_cast<std::uintptr_t>(run), fn};
    msg.append(reinterpret_cast<const char*>(&h), sizeof h);
  }
  static void trim(std::string& msg) {
    if (msg.capacity() > (std::size_t{1} << 20)) std::string().swap(msg);
  }

  template <class R, class F, class... A>
  void submit_call(const std::shared_ptr<detail::SingleJob<R>>& job, F& f, bool /*cancellable*/,
                   A&&... args) {
    using Fp = detail::function_pointer_t<F>;
    using T = detail::fn_traits<Fp>;
    detail::check_signature<Fp>();
    static_assert(
        sizeof...(A) == T::arity,
        "mp::Pool::apply_async / ProcessPoolExecutor::submit: the number of arguments given does not "
        "match the function's parameters");
    static_assert(std::is_constructible_v<typename T::stored, A&&...>,
                  "mp::Pool::apply_async / ProcessPoolExecutor::submit: an argument does not convert to the "
                  "function's parameter type");
    thread_local std::string msg;
    const Fp fp = +f;
    begin_message(msg, job->id, 0, &detail::run_call<Fp>, reinterpret_cast<std::uintptr_t>(fp));
    if constexpr (T::arity > 0) {
      const typename T::stored tup(std::forward<A>(args)...);
      mp::dump(tup, msg);
    }
    core().send(msg, job);
    trim(msg);
  }

  template <bool Star, class R, class Job, class F, class It>
  void submit_chunk(const std::shared_ptr<Job>& job, std::uint64_t part, F& f, It& it, std::size_t n) {
    using Fp = detail::function_pointer_t<F>;
    using T = detail::fn_traits<Fp>;
    detail::check_signature<Fp>();
    static_assert(
        Star || T::arity == 1,
        "mp::Pool::map / imap: the function must take exactly one argument (starmap unpacks tuples)");
    using Item =
        std::conditional_t<Star, typename T::stored, typename detail::FirstParam<typename T::params>::type>;
    static_assert(std::is_constructible_v<Item, decltype(*it)>,
                  "mp::Pool::map / starmap: the items do not convert to the function's parameter type(s)");
    thread_local std::string msg;
    const Fp fp = +f;
    begin_message(msg, job->id, part, &detail::run_chunk<Star, Fp>, reinterpret_cast<std::uintptr_t>(fp));
    detail::encode_items<Item>(msg, it, n);
    core().send(msg, job, part);
    trim(msg);
  }

  // A lazy imap's input: each chunk is encoded straight from the input into
  // the task message, whose item count is written once the chunk is read.
  template <class R, class F, class Input>
  class ImapSource final : public detail::IMapJob<R>::Source {
  public:
    ImapSource(F f, Input input) : f_(f), input_(std::move(input)) {}

    bool submit_next(const std::shared_ptr<detail::IMapJob<R>>& job, std::size_t n) override {
      using Fp = detail::function_pointer_t<F>;
      using T = detail::fn_traits<Fp>;
      detail::check_signature<Fp>();
      static_assert(T::arity == 1,
                    "mp::Pool::imap / ProcessPoolExecutor::map: the function must take exactly one argument");
      using Item = typename detail::FirstParam<typename T::params>::type;
      static_assert(std::is_constructible_v<Item, typename Input::reference>,
                    "mp::Pool::imap / ProcessPoolExecutor::map: the items do not convert to the function's "
                    "parameter type");
      thread_local std::string msg;
      msg.assign(sizeof(detail::TaskHeader), '\0');
      const std::size_t count_at = msg.size();
      detail::ByteWriter ar(msg);
      ar(cereal::make_size_tag(cereal::size_type{0}));  // the count, written below
      std::size_t k = 0;
      bool ended = false;
      std::exception_ptr input_error;
      try {
        ended = input_.read(n, [&](auto&& item) {
          const std::size_t mark = msg.size();
          try {
            detail::encode_item<Item>(ar, std::forward<decltype(item)>(item));
          } catch (...) {
            msg.resize(mark);
            throw;
          }
          ++k;
        });
      } catch (...) {
        input_error = std::current_exception();
      }
      if (k > 0) {
        const auto part = job->add_part(k);
        if (!part) return false;  // the job has ended (the pool was terminated)
        const auto count = static_cast<cereal::size_type>(k);
        std::memcpy(msg.data() + count_at, &count, sizeof count);
        const Fp fp = +f_;
        const detail::TaskHeader h{job->id, *part,
                                   reinterpret_cast<std::uintptr_t>(&detail::run_chunk<false, Fp>),
                                   reinterpret_cast<std::uintptr_t>(fp)};
        std::memcpy(msg.data(), &h, sizeof h);
        try {
          static_cast<detail::ProcessCore&>(*job->core).send(msg, job, *part);
        } catch (...) {  // closed, terminated or broken: this part raises why, and the iteration ends
          (void)job->deliver_error(*part, std::current_exception());
          (void)job->seal();
          return false;
        }
        trim(msg);
      }
      if (input_error || ended || k < n) {
        (void)job->seal(input_error);
        return false;
      }
      return true;
    }

  private:
    F f_;
    Input input_;
  };

  template <class R, class F, class Input>
  static std::unique_ptr<typename detail::IMapJob<R>::Source> make_source(F f, Input input,
                                                                          bool /*cancellable*/) {
    return std::make_unique<ImapSource<R, F, Input>>(std::move(f), std::move(input));
  }
};

/// A pool of worker threads with Pool's API (Python's `multiprocessing.pool.ThreadPool`):
/// the calls are mp::BasicPool's.
///
/// Any callable works (lambdas with captures, std::function, member functions
/// through std::bind): nothing is serialized; arguments are copied into the
/// task. Exceptions reach the caller as the very objects thrown. Callbacks run
/// in the worker thread that finished the call.
///
/// terminate() drops the queued tasks (their results raise mp::BrokenPool)
/// but cannot stop tasks that already run: it waits for them (threads cannot
/// be killed). The destructor calls terminate().
///
/// @code
/// mp::ThreadPool pool(4);
/// std::vector<std::string> pages = pool.map([&](const std::string& url) { return fetch(session, url); },
/// urls);
/// @endcode
class ThreadPool : public BasicPool<ThreadPool, detail::ThreadCore> {
public:
  /// Starts `processes` threads (0: cpu_count(); Python's name). Each runs
  /// `initializer()` once when it starts.
  /// @throws mp::ValueError when negative; std::system_error when a thread cannot start.
  explicit ThreadPool(int processes = 0, std::function<void()> initializer = {})
      : BasicPool(std::make_shared<detail::ThreadCore>(processes, std::move(initializer), "ThreadPool")) {}

  /// Moves the pool (the moved-from one may only be destroyed or assigned to).
  ThreadPool(ThreadPool&&) noexcept = default;
  /// Terminates this pool, then takes `other`'s threads.
  ThreadPool& operator=(ThreadPool&&) noexcept = default;
  /// terminate(): see the class notes.
  ~ThreadPool() = default;

  /// The number of worker threads.
  [[nodiscard]] int processes() const { return core().threads(); }

private:
  friend class BasicPool<ThreadPool, detail::ThreadCore>;
  template <class P>
  friend class BasicExecutor;

  // The executor's pool: threads start on demand (see detail::ThreadCore).
  ThreadPool(int threads, std::function<void()> initializer, std::string kind, bool on_demand)
      : BasicPool(std::make_shared<detail::ThreadCore>(threads, std::move(initializer), std::move(kind),
                                                       on_demand)) {}

  template <class F, class X>
  static decltype(auto) call_one(F& f, X& x) {
    if constexpr (std::is_invocable_v<F&, X&&>) {
      return std::invoke(f, std::move(x));
    } else {
      return std::invoke(f, x);
    }
  }
  template <class F, class Tuple>
  static decltype(auto) call_star(F& f, Tuple& t) {
    return std::apply([&f](auto&... a) -> decltype(auto) { return std::invoke(f, std::move(a)...); }, t);
  }

  template <class F>
  static constexpr bool accepts_v = true;
  template <class F>
  static constexpr void reject() {}
  template <class F, class... A>
  using call_result_t =
      decltype(call_star(std::declval<std::decay_t<F>&>(), std::declval<std::tuple<std::decay_t<A>...>&>()));
  template <class F, class Item>
  using map_result_t =
      std::decay_t<decltype(call_one(std::declval<std::decay_t<F>&>(), std::declval<Item&>()))>;
  template <class F, class Item>
  using starmap_result_t =
      std::decay_t<decltype(call_star(std::declval<std::decay_t<F>&>(), std::declval<Item&>()))>;

  [[nodiscard]] int workers() const { return core().threads(); }
  void prepare(const std::shared_ptr<detail::JobBase>& /*job*/) { core().check_accepting(); }
  static void fail_unsent(const std::shared_ptr<detail::JobBase>& job, std::exception_ptr e) {
    if (job->abandon(e) && job->callbacks_pending()) job->run_callbacks();
  }

  template <class R, class F, class... A>
  void submit_call(const std::shared_ptr<detail::SingleJob<R>>& job, F& f, bool cancellable, A&&... args) {
    auto task = [job, fn = std::decay_t<F>(f),
                 tup = std::tuple<std::decay_t<A>...>(std::forward<A>(args)...)]() mutable {
      bool fin = false;
      try {
        if constexpr (std::is_void_v<R>) {
          call_star(fn, tup);
          detail::ThreadCore::task_finishing();
          fin = job->deliver_value();
        } else {
          R r = call_star(fn, tup);
          detail::ThreadCore::task_finishing();
          fin = job->deliver_value(std::move(r));
        }
      } catch (...) {
        detail::ThreadCore::task_finishing();
        fin = job->deliver_error(0, std::current_exception());
      }
      if (fin && job->callbacks_pending()) job->run_callbacks();
    };
    core().submit(job, detail::UniqueTask(std::move(task)), cancellable);
  }

  // The task that runs one chunk of items.
  template <bool Star, class R, class Job, class F, class Item>
  static detail::UniqueTask chunk_task(const std::shared_ptr<Job>& job, std::uint64_t part, F& f,
                                       std::vector<Item>&& items) {
    return detail::UniqueTask([job, part, fn = std::decay_t<F>(f), items = std::move(items)]() mutable {
      bool fin = false;
      try {
        std::vector<R> out;
        out.reserve(items.size());
        for (auto& x : items) {
          if constexpr (Star) {
            out.push_back(call_star(fn, x));
          } else {
            out.push_back(call_one(fn, x));
          }
        }
        detail::ThreadCore::task_finishing();
        fin = job->deliver_chunk(part, std::move(out));
      } catch (...) {
        detail::ThreadCore::task_finishing();
        fin = job->deliver_error(part, std::current_exception());
      }
      if (fin && job->callbacks_pending()) job->run_callbacks();
    });
  }

  template <bool Star, class R, class Job, class F, class It>
  void submit_chunk(const std::shared_ptr<Job>& job, std::uint64_t part, F& f, It& it, std::size_t n) {
    using Item = std::remove_cvref_t<decltype(*it)>;
    std::vector<Item> items;
    items.reserve(n);
    for (std::size_t i = 0; i < n; ++i, ++it) items.push_back(*it);
    core().submit(job, chunk_task<Star, R>(job, part, f, std::move(items)), false, part);
  }

  // A lazy imap's input: each chunk's items are copied into its task.
  template <class R, class F, class Input>
  class ImapSource final : public detail::IMapJob<R>::Source {
  public:
    ImapSource(F f, Input input, bool cancellable)
        : f_(std::move(f)), input_(std::move(input)), cancellable_(cancellable) {}

    bool submit_next(const std::shared_ptr<detail::IMapJob<R>>& job, std::size_t n) override {
      using Item = typename Input::value_type;
      std::vector<Item> items;
      items.reserve(std::min<std::size_t>(n, 1024));
      bool ended = false;
      std::exception_ptr input_error;
      try {
        ended = input_.read(n, [&](auto&& item) { items.push_back(std::forward<decltype(item)>(item)); });
      } catch (...) {
        input_error = std::current_exception();
      }
      const std::size_t k = items.size();
      if (k > 0) {
        const auto part = job->add_part(k);
        if (!part) return false;  // the job has ended (the pool was terminated)
        try {
          static_cast<detail::ThreadCore&>(*job->core)
              .submit(job, chunk_task<false, R>(job, *part, f_, std::move(items)), cancellable_, *part);
        } catch (...) {  // closed, terminated or broken: this part raises why, and the iteration ends
          (void)job->deliver_error(*part, std::current_exception());
          (void)job->seal();
          return false;
        }
      }
      if (input_error || ended || k < n) {
        (void)job->seal(input_error);
        return false;
      }
      return true;
    }

  private:
    F f_;
    Input input_;
    bool cancellable_;
  };

  template <class R, class F, class Input>
  static std::unique_ptr<typename detail::IMapJob<R>::Source> make_source(F f, Input input,
                                                                          bool cancellable) {
    return std::make_unique<ImapSource<R, std::decay_t<F>, Input>>(std::move(f), std::move(input),
                                                                   cancellable);
  }
};

}  // namespace mp
