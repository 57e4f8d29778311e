#pragma once
/// @file
/// @brief `mp::BasicPool`: the calls that mp::Pool and mp::ThreadPool share
/// (Python's `multiprocessing.pool.Pool` methods). Include mp/pool.hpp; the
/// rules of the calls are in its file notes.
#include <concepts>
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

namespace detail {

/// How mp::BasicPool reaches the members it needs from the pool that derives
/// from it, which keeps them private: the pools befriend this struct, and
/// PoolFrontEnd checks them through it.
struct PoolAccess {
  template <class D>
  static auto workers(const D& d) -> decltype(d.workers()) {
    return d.workers();
  }
  template <class D>
  static auto prepare(D& d, const std::shared_ptr<JobBase>& job) -> decltype(d.prepare(job)) {
    return d.prepare(job);
  }
  template <class D>
  static auto fail_unsent(D& d, const std::shared_ptr<JobBase>& job, std::exception_ptr e)
      -> decltype(d.fail_unsent(job, std::move(e))) {
    return d.fail_unsent(job, std::move(e));
  }
  template <class D, class R, class F, class... A>
  static auto submit_call(D& d, const std::shared_ptr<SingleJob<R>>& job, F& f, A&&... args)
      -> decltype(d.template submit_call<R>(job, f, false, std::forward<A>(args)...)) {
    return d.template submit_call<R>(job, f, false, std::forward<A>(args)...);
  }
  template <class D, class F>
  static constexpr auto accepts() -> decltype(bool{D::template accepts_v<F>}) {
    return D::template accepts_v<F>;
  }
  // (Functions, not alias templates: the access of an alias is checked where it is used.)
  template <class D, class F, class... A>
  static auto call_result() -> std::type_identity<typename D::template call_result_t<F, A...>> {
    return {};
  }
  template <class D, class F, class Item>
  static auto map_result() -> std::type_identity<typename D::template map_result_t<F, Item>> {
    return {};
  }
  template <class D, class F, class Item>
  static auto starmap_result() -> std::type_identity<typename D::template starmap_result_t<F, Item>> {
    return {};
  }
};

/// What mp::BasicPool<D, Core> needs from `D`, the pool that derives from it
/// (mp::Pool: calls travel serialized to worker processes; mp::ThreadPool: as
/// closures to threads), checked on a probe task `int(int)`:
/// - `workers()`: how many workers (Python's default chunksize and the imap window);
/// - `prepare(job)` before a job's first part leaves, `fail_unsent(job, e)`
///   when submitting fails half-way;
/// - `submit_call<R>(job, f, cancellable, args...)`: one call;
///   `submit_chunk<Star, R>(job, part, f, it, n)`: one chunk of a map;
///   `make_source<R>(f, input, cancellable)`: an imap's input reader;
/// - `accepts_v<F>` / `reject<F>()`: which callables it takes (a rejected
///   one gets reject()'s static_assert and nothing else);
/// - `call_result_t<F, A...>`, `map_result_t<F, Item>`,
///   `starmap_result_t<F, Item>`: what a call returns.
/// (The chunk and imap members take iterators and inputs of the caller's
/// range: they are checked where BasicPool calls them.)
template <class D>
concept PoolFrontEnd = requires(D& d, const std::shared_ptr<JobBase>& job, std::exception_ptr e,
                                const std::shared_ptr<SingleJob<int>>& probe_job, int (*probe)(int),
                                int arg) {
  { PoolAccess::workers(d) } -> std::convertible_to<int>;
  PoolAccess::prepare(d, job);
  PoolAccess::fail_unsent(d, job, e);
  PoolAccess::submit_call(d, probe_job, probe, arg);
  { PoolAccess::accepts<D, int (*)(int)>() } -> std::same_as<bool>;
  { PoolAccess::call_result<D, int (*)(int), int>() } -> std::same_as<std::type_identity<int>>;
  { PoolAccess::map_result<D, int (*)(int), int>() } -> std::same_as<std::type_identity<int>>;
  {
    PoolAccess::starmap_result<D, int (*)(int, int), std::tuple<int, int>>()
    } -> std::same_as<std::type_identity<int>>;
};

}  // namespace detail

/// The API that mp::Pool and mp::ThreadPool share (Python's `multiprocessing.pool.Pool`
/// methods); see the file notes of mp/pool.hpp for the rules. Use it through
/// those two classes: `Derived` supplies how a call travels (serialized to a
/// worker process, or a closure for a thread), as the concept
/// detail::PoolFrontEnd states, and `Core` is the engine.
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

}  // namespace mp
