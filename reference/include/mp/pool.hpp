#pragma once
/// @file
/// @brief `mp::Pool` (worker processes) and mp::ThreadPool (worker threads):
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
///
/// The headers: mp::BasicPool (the calls) in mp/basic_pool.hpp, mp::Pool here,
/// mp::ThreadPool in mp/thread_pool.hpp (included here too, as Python's
/// `multiprocessing.pool` holds both).
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
#include "mp/basic_pool.hpp"
#include "mp/detail/pool_core.hpp"
#include "mp/error.hpp"
#include "mp/process.hpp"
#include "mp/thread_pool.hpp"
#include "mp/timeout.hpp"

namespace mp {

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
  friend struct detail::PoolAccess;
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

static_assert(detail::PoolFrontEnd<Pool>, "mp::Pool must give mp::BasicPool what it needs");

}  // namespace mp
