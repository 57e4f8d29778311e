#pragma once
/// @file
/// @brief `mp::parallel`: one-call parallelism over the pools, as Python's
/// `parallel` package (python-parallel) gives it over `concurrent.futures`.
///
/// @code
/// std::string describe(const std::string& animal) { ... }
///
/// // Python: parallel.map(describe, ["dog", "cat"], timeout=5, max_workers=4)
/// auto r = mp::parallel::map(describe, std::vector<std::string>{"dog", "cat"}, {.timeout = 5s, .max_workers
/// = 4}); std::cout << r[0] << '\n';
///
/// // Python: parallel.async_par({"dog": describe_p.future("dog"), ...}).results(timeout=5)
/// auto d = mp::parallel::decorate(describe);
/// auto running = mp::parallel::async_par(std::map<std::string, mp::parallel::Call<std::string>>{
///     {"dog", d.future("dog")}, {"cat", d.future("cat")}});
/// std::cout << running.results(5s).at("cat") << '\n';
/// @endcode
///
/// | Python (`import parallel`) | C++ (`mp::parallel`) |
/// |---|---|
/// | `parallel.map(fn, items, timeout=, max_workers=, silent=)` | `map(fn, items, {.timeout, .max_workers, .silent})` |
/// | items `[(a, b), ...]` (unpacked) | `std::vector<std::tuple<A, B>>` or `std::pair` (unpacked) |
/// | items `{"name": x, ...}` → a dict of results | `std::map<K, T>` → mp::parallel::NamedResults |
/// | `parallel.future(fn, *args)` | `future(fn, args...)` → mp::parallel::Call |
/// | `parallel.par({...})`, `parallel.async_par({...}).results(t)` | `par(...)`, `async_par(...).results(t)` |
/// | `parallel.async_map(...)` | `async_map(...)` → mp::parallel::Running |
/// | `parallel.thread.map`, `parallel.process.map` | `thread::map`, `process::map` (the default is threads, as in Python) |
/// | `@parallel.decorate` on `fn`; `fn.map`, `fn.future`, `fn.thread.map` | `auto p = decorate(fn);` `p.map`, `p.future`, `p.thread().map`, `p.process().map` |
/// | `FailedTask`, `results.failures`, `.failed`, `.succeeded`, `.replace_failed(x)` | mp::parallel::FailedTask, `failures()`, `failed()`, `succeeded()`, `replace_failed(x)` |
/// | keyword arguments, `extras=`, `parallel.arg` | (no keyword arguments in C++: bind them with a lambda) |
///
/// ### Differences from Python's package
/// - **The timeout is one deadline for the whole call** (Python waits up to
///   `timeout` for each result in turn): a call with `.timeout = 2s` returns
///   or throws mp::TimeoutError about 2 s after it started.
/// - **Threads or processes are chosen at compile time** (`thread::` /
///   `process::`): a process call needs a function pointer or captureless
///   lambda and serializable arguments and results (mp/pool.hpp), checked
///   by the compiler; threads take any callable.
/// - The pool is made for the call and ends with it, as Python's package
///   does: on a timeout or an error, process workers are killed (mp::Pool's
///   terminate()); thread workers cannot be, so the call returns when the
///   tasks that already run have finished (queued ones are dropped).
///
/// ### Errors
/// Without `silent`, a call rethrows the first failure in input (or key)
/// order, and mp::TimeoutError when the deadline passes first; with `silent`,
/// every failure, a timed-out task too, is kept as a mp::parallel::FailedTask
/// and the call returns.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "mp/async_result.hpp"
#include "mp/error.hpp"
#include "mp/parallel_results.hpp"
#include "mp/pool.hpp"
#include "mp/timeout.hpp"

namespace mp::parallel {

/// How a call runs (Python's keyword arguments of the same names).
struct Options {
  Timeout timeout{};  ///< one deadline for the whole call, from its start (default: none)
  /// Threads or processes; 0: Python's default, min(32, cores + 4) threads or one process per core.
  int max_workers = 0;
  bool silent = false;  ///< keep failures as FailedTask entries instead of throwing
};

namespace detail {

/// The backends: which pool runs the tasks.
struct Threads {
  using Pool = mp::ThreadPool;
};
struct Processes {
  using Pool = mp::Pool;
};

/// `f(item)`, or `f(elements...)` when the item is a tuple or pair.
template <class F, class T>
struct ItemResult {
  using type = std::invoke_result_t<const F&, const T&>;
};
template <class F, class... E>
struct ItemResult<F, std::tuple<E...>> {
  using type = std::invoke_result_t<const F&, const E&...>;
};
template <class F, class A, class B>
struct ItemResult<F, std::pair<A, B>> {
  using type = std::invoke_result_t<const F&, const A&, const B&>;
};

template <class T>
inline constexpr bool unpacked_v = false;
template <class... E>
inline constexpr bool unpacked_v<std::tuple<E...>> = true;
template <class A, class B>
inline constexpr bool unpacked_v<std::pair<A, B>> = true;

/// Submits one item to the pool.
template <class Pool, class F, class T>
auto submit_item(Pool& pool, const F& f, const T& item) {
  if constexpr (unpacked_v<T>) {
    return std::apply([&](const auto&... e) { return pool.apply_async(f, e...); }, item);
  } else {
    return pool.apply_async(f, item);
  }
}

/// A deadline's time left as a Timeout (forever stays forever).
inline Timeout left(const Deadline& d) { return d.is_forever() ? Timeout() : Timeout(d.remaining()); }

/// Waits for the results in key order until `deadline`: the values, the
/// failures (silent) or the first failure thrown.
template <class R, class K, bool Named>
BasicResults<R, K, Named> collect(std::vector<std::pair<K, AsyncResult<R>>>& running,
                                  const Deadline& deadline, bool silent) {
  std::vector<std::pair<K, Outcome<R>>> out;
  out.reserve(running.size());
  for (auto& [key, result] : running) {
    if (!result.wait(left(deadline))) {
      if (!silent) {
        throw TimeoutError("mp::parallel: " + std::to_string(running.size() - out.size()) + " of " +
                           std::to_string(running.size()) + " tasks not done within the timeout");
      }
      out.emplace_back(key, FailedTask{std::make_exception_ptr(
                                TimeoutError("mp::parallel: the task was not done within the timeout"))});
      continue;
    }
    try {
      out.emplace_back(key, Outcome<R>(std::in_place_index<0>, result.get()));
    } catch (...) {
      if (!silent) throw;
      out.emplace_back(key, FailedTask{std::current_exception()});
    }
  }
  return BasicResults<R, K, Named>(std::move(out));
}

}  // namespace detail

/// A call prepared by future() for par()/async_par() (Python's
/// `parallel.future(fn, *args)`): the function and its arguments, copied.
/// `B` is the backend (threads unless made by process::future).
template <class R, class B = detail::Threads>
class Call {
public:
  /// Prepares `f(args...)`.
  template <class F, class... A>
  requires(!std::is_same_v<std::decay_t<F>, Call>) explicit Call(F f, A... args)
      : submit_([f = std::move(f), args = std::make_tuple(std::move(args)...)](typename B::Pool& pool) {
          return std::apply([&](const auto&... a) { return pool.apply_async(f, a...); }, args);
        }) {}
  /// Hands the call to `pool`.
  AsyncResult<R> submit(typename B::Pool& pool) const { return submit_(pool); }

private:
  std::function<AsyncResult<R>(typename B::Pool&)> submit_;
};

/// Tasks submitted by async_map()/async_par(), with the pool that runs them
/// (Python's executor object that `.results()` is called on). Move-only; its
/// destructor ends the pool (process workers killed, thread tasks finished).
template <class R, class K, bool Named, class B>
class Running {
public:
  /// Takes the pool and its submitted tasks.
  Running(std::unique_ptr<typename B::Pool> pool, std::vector<std::pair<K, AsyncResult<R>>> tasks,
          Options options)
      : pool_(std::move(pool)), tasks_(std::move(tasks)), options_(options) {}

  /// Whether every task is done. Never blocks.
  [[nodiscard]] bool done() const {
    for (const auto& t : tasks_) {
      if (!t.second.ready()) return false;
    }
    return true;
  }

  /// The results (Python's `results(timeout)`): waits at most `timeout`
  /// (forever: the Options' timeout, from this call). The first answer is
  /// kept: later calls return it again.
  /// @throws as the blocking calls do (the first failure; mp::TimeoutError).
  const BasicResults<R, K, Named>& results(Timeout timeout = {}) {
    if (!cached_) {
      const Deadline deadline(timeout.is_forever() ? options_.timeout : timeout);
      cached_.emplace(detail::collect<R, K, Named>(tasks_, deadline, options_.silent));
    }
    return *cached_;
  }

private:
  std::unique_ptr<typename B::Pool> pool_;
  std::vector<std::pair<K, AsyncResult<R>>> tasks_;
  Options options_;
  std::optional<BasicResults<R, K, Named>> cached_;
};

namespace detail {

/// The pool of a call. max_workers 0 is Python's default: min(32, cores + 4)
/// threads (ThreadPoolExecutor's, which the package uses), one process per core.
template <class B>
std::unique_ptr<typename B::Pool> make_pool(const Options& o) {
  if (o.max_workers < 0) throw ValueError("mp::parallel: max_workers must be 0 (the default) or more");
  int n = o.max_workers;
  if (n == 0 && std::is_same_v<B, Threads>) n = std::min(32, cpu_count() + 4);
  return std::make_unique<typename B::Pool>(n);
}

/// What a call's input holds: a sequence (results by position) or a std::map (results by key).
template <class Items>
struct ItemsTraits {
  using item = typename Items::value_type;
  using key = std::size_t;
  static constexpr bool named = false;
};
template <class K, class V, class C, class A>
struct ItemsTraits<std::map<K, V, C, A>> {
  using item = V;
  using key = K;
  static constexpr bool named = true;
};
template <class T>
inline constexpr bool is_map_v = ItemsTraits<T>::named;

/// Submits `f` over `items` (a sequence, or a map when `Named`).
template <class B, bool Named, class F, class Items>
auto start_map(const F& f, const Items& items, const Options& o) {
  using T = typename ItemsTraits<Items>::item;
  using K = typename ItemsTraits<Items>::key;
  using R = typename ItemResult<F, T>::type;
  static_assert(!std::is_void_v<R>, "mp::parallel::map: the function must return a value");
  auto pool = make_pool<B>(o);
  std::vector<std::pair<K, AsyncResult<R>>> tasks;
  std::size_t i = 0;
  for (const auto& item : items) {
    if constexpr (Named) {
      tasks.emplace_back(item.first, submit_item(*pool, f, item.second));
    } else {
      tasks.emplace_back(i++, submit_item(*pool, f, item));
    }
  }
  return Running<R, K, Named, B>(std::move(pool), std::move(tasks), o);
}

/// Submits prepared calls (a sequence, or a map when `Named`).
template <class B, bool Named, class R, class Calls>
auto start_par(const Calls& calls, const Options& o) {
  using K = typename ItemsTraits<Calls>::key;
  auto pool = make_pool<B>(o);
  std::vector<std::pair<K, AsyncResult<R>>> tasks;
  std::size_t i = 0;
  for (const auto& c : calls) {
    if constexpr (Named) {
      tasks.emplace_back(c.first, c.second.submit(*pool));
    } else {
      tasks.emplace_back(i++, c.submit(*pool));
    }
  }
  return Running<R, K, Named, B>(std::move(pool), std::move(tasks), o);
}

/// The calls of one backend; thread:: and process:: are its two instances.
template <class B>
struct Api {
  /// `f` over every item, results by position (a sequence) or by key (a std::map).
  template <class F, class Items>
  static auto map(const F& f, const Items& items, Options o = {}) {
    const Deadline deadline(o.timeout);
    auto running = start_map<B, is_map_v<Items>>(f, items, o);
    return running.results(left(deadline));
  }
  /// As map(), but returns at once: call results() on what it returns.
  template <class F, class Items>
  static auto async_map(const F& f, const Items& items, Options o = {}) {
    return start_map<B, is_map_v<Items>>(f, items, o);
  }
  /// Prepares `f(args...)` for par()/async_par().
  template <class F, class... A>
  static auto future(F f, A... args) {
    if constexpr (std::is_same_v<B, Processes>) mp::detail::check_sendable<F>();
    using R = std::invoke_result_t<const F&, const A&...>;
    return Call<R, B>(std::move(f), std::move(args)...);
  }
  /// Runs the prepared calls, results by position.
  template <class R>
  static Results<R> par(const std::vector<Call<R, B>>& calls, Options o = {}) {
    const Deadline deadline(o.timeout);
    return start_par<B, false, R>(calls, o).results(left(deadline));
  }
  /// Runs the prepared calls, results by key.
  template <class K, class R>
  static NamedResults<R, K> par(const std::map<K, Call<R, B>>& calls, Options o = {}) {
    const Deadline deadline(o.timeout);
    return start_par<B, true, R>(calls, o).results(left(deadline));
  }
  /// As par(), but returns at once: call results() on what it returns.
  template <class R>
  static auto async_par(const std::vector<Call<R, B>>& calls, Options o = {}) {
    return start_par<B, false, R>(calls, o);
  }
  /// As par() by key, but returns at once.
  template <class K, class R>
  static auto async_par(const std::map<K, Call<R, B>>& calls, Options o = {}) {
    return start_par<B, true, R>(calls, o);
  }
};

}  // namespace detail

/// Threads (Python's `parallel.thread`): any callable; the default of the
/// calls directly in mp::parallel.
namespace thread {
/// `f` over `items` on threads: Results by position (a sequence) or NamedResults by key (a std::map).
template <class F, class Items>
auto map(const F& f, const Items& items, Options o = {}) {
  return detail::Api<detail::Threads>::map(f, items, o);
}
/// As map(), returning at once a mp::parallel::Running: call results() on it.
template <class F, class Items>
auto async_map(const F& f, const Items& items, Options o = {}) {
  return detail::Api<detail::Threads>::async_map(f, items, o);
}
/// `f(args...)` prepared for par() (arguments copied now).
template <class F, class... A>
auto future(F f, A... args) {
  return detail::Api<detail::Threads>::future(std::move(f), std::move(args)...);
}
/// Runs the calls on threads; results by position.
template <class R>
Results<R> par(const std::vector<Call<R, detail::Threads>>& calls, Options o = {}) {
  return detail::Api<detail::Threads>::par(calls, o);
}
/// Runs the calls on threads; results by key.
template <class K, class R>
NamedResults<R, K> par(const std::map<K, Call<R, detail::Threads>>& calls, Options o = {}) {
  return detail::Api<detail::Threads>::par(calls, o);
}
/// As par(), returning at once.
template <class Calls>
auto async_par(const Calls& calls, Options o = {}) {
  return detail::Api<detail::Threads>::async_par(calls, o);
}
}  // namespace thread

/// Worker processes (Python's `parallel.process`): function pointers or
/// captureless lambdas, serializable arguments and results (mp/pool.hpp).
namespace process {
/// `f` over `items` in worker processes; as thread::map().
template <class F, class Items>
auto map(const F& f, const Items& items, Options o = {}) {
  return detail::Api<detail::Processes>::map(f, items, o);
}
/// As map(), returning at once.
template <class F, class Items>
auto async_map(const F& f, const Items& items, Options o = {}) {
  return detail::Api<detail::Processes>::async_map(f, items, o);
}
/// `f(args...)` prepared for process::par() (f: a function pointer or captureless lambda).
template <class F, class... A>
auto future(F f, A... args) {
  return detail::Api<detail::Processes>::future(std::move(f), std::move(args)...);
}
/// Runs the calls in worker processes; results by position.
template <class R>
Results<R> par(const std::vector<Call<R, detail::Processes>>& calls, Options o = {}) {
  return detail::Api<detail::Processes>::par(calls, o);
}
/// Runs the calls in worker processes; results by key.
template <class K, class R>
NamedResults<R, K> par(const std::map<K, Call<R, detail::Processes>>& calls, Options o = {}) {
  return detail::Api<detail::Processes>::par(calls, o);
}
/// As par(), returning at once.
template <class Calls>
auto async_par(const Calls& calls, Options o = {}) {
  return detail::Api<detail::Processes>::async_par(calls, o);
}
}  // namespace process

// Python's `parallel.map`, `parallel.par`, ...: threads.
using thread::async_map;
using thread::async_par;
using thread::future;
using thread::map;
using thread::par;

/// A function with the calls of this header attached (Python's
/// `@parallel.decorate`): `p(args...)` calls it as before, `p.map(items)`,
/// `p.future(args...)`; `p.thread()` / `p.process()` choose the backend
/// (threads by default); `defaults` apply where a call gives no Options.
template <class F, class B = detail::Threads>
class Decorated {
public:
  /// Wraps `f`.
  explicit Decorated(F f, Options defaults = {}) : f_(std::move(f)), defaults_(defaults) {}

  /// Calls the function itself, in this thread.
  template <class... A>
  decltype(auto) operator()(A&&... args) const {
    return std::invoke(f_, std::forward<A>(args)...);
  }
  /// The function over `items` (see thread::map), with the default Options.
  template <class Items>
  auto map(const Items& items) const {
    return detail::Api<B>::map(f_, items, defaults_);
  }
  /// The function over `items` with Options `o`.
  template <class Items>
  auto map(const Items& items, Options o) const {
    return detail::Api<B>::map(f_, items, o);
  }
  /// As map(), returning at once.
  template <class Items>
  auto async_map(const Items& items, std::optional<Options> o = std::nullopt) const {
    return detail::Api<B>::async_map(f_, items, o.value_or(defaults_));
  }
  /// A call of the function prepared for par().
  template <class... A>
  auto future(A... args) const {
    return detail::Api<B>::future(f_, std::move(args)...);
  }
  /// The same function on threads.
  [[nodiscard]] Decorated<F, detail::Threads> thread() const {
    return Decorated<F, detail::Threads>(f_, defaults_);
  }
  /// The same function in worker processes.
  [[nodiscard]] Decorated<F, detail::Processes> process() const {
    return Decorated<F, detail::Processes>(f_, defaults_);
  }

private:
  F f_;
  Options defaults_;
};

/// Python's `@parallel.decorate` (threads by default).
template <class F>
Decorated<F> decorate(F f, Options defaults = {}) {
  return Decorated<F>(std::move(f), defaults);
}

}  // namespace mp::parallel
