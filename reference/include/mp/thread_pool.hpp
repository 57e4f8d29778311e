#pragma once
/// @file
/// @brief `mp::ThreadPool` (Python's `multiprocessing.pool.ThreadPool`): the
/// pool's calls on threads. Also included by mp/pool.hpp, whose file notes
/// describe the calls.
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mp/basic_pool.hpp"
#include "mp/detail/thread_core.hpp"

namespace mp {

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
  friend struct detail::PoolAccess;
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

static_assert(detail::PoolFrontEnd<ThreadPool>, "mp::ThreadPool must give mp::BasicPool what it needs");

}  // namespace mp
