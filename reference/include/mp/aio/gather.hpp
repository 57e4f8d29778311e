#pragma once
/// @file
/// @brief `mp::aio::gather`: run awaitables concurrently and wait for all their
/// results (Python's `asyncio.gather`).
///
/// | Python | C++ |
/// |---|---|
/// | `await asyncio.gather(a(), b())` | `auto [x, y] = co_await aio::gather(a(), b());` (a std::tuple) |
/// | `await asyncio.gather(*coros)` | `co_await aio::gather(std::move(tasks))` (a std::vector<Task<T>>: a std::vector<T>) |
/// | `gather(..., return_exceptions=True)` | `aio::gather(aio::return_exceptions, ...)`: each result an aio::Outcome<T> |
/// | `g = gather(...); g.cancel()` | the same: cancels every child still running |
///
/// Tasks given as aio::Task are started with create_task(), in order; futures
/// are awaited as they are. Results come in the order given, whatever the
/// order of completion. `void` results are std::monostate in a tuple, and a
/// vector of Task<void> gathers to `void`.
///
/// **Errors** (Python's rules): without return_exceptions the first child
/// to fail (in time) fails the gather with its exception, at once; the other
/// children **go on running** (cancel them yourself, or use a TaskGroup,
/// mp/aio/task_group.hpp). A child cancelled fails it with CancelledError.
/// With return_exceptions every child's outcome is kept, a cancelled one as
/// an Outcome holding CancelledError. Cancelling the gather's future cancels
/// its children; it ends cancelled once they are done.
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "mp/aio/future.hpp"
#include "mp/aio/loop.hpp"
#include "mp/aio/task.hpp"

namespace mp::aio {

/// The tag that asks gather() to keep every child's outcome (Python's `return_exceptions=True`).
struct ReturnExceptions {
  explicit ReturnExceptions() = default;
};
/// The value of the tag: `aio::gather(aio::return_exceptions, ...)`.
inline constexpr ReturnExceptions return_exceptions{};

/// A child's outcome in a gather with return_exceptions: a value, or an
/// exception (aio::CancelledError for a cancelled child).
template <class T>
class Outcome {
public:
  /// Whether it holds a value.
  [[nodiscard]] bool ok() const noexcept { return !error_; }
  /// The value. @throws the exception it holds instead.
  [[nodiscard]] const T& value() const {
    if (error_) std::rethrow_exception(error_);
    return *value_;
  }
  /// The value, to change or move from. @throws the exception it holds instead.
  [[nodiscard]] T& value() {
    if (error_) std::rethrow_exception(error_);
    return *value_;
  }
  /// The exception, or null.
  [[nodiscard]] const std::exception_ptr& error() const noexcept { return error_; }

  /// An outcome holding `v`.
  static Outcome of_value(T v) {
    Outcome o;
    o.value_.emplace(std::move(v));
    return o;
  }
  /// An outcome holding the exception `e`.
  static Outcome of_error(std::exception_ptr e) {
    Outcome o;
    o.error_ = std::move(e);
    return o;
  }

private:
  std::optional<T> value_;
  std::exception_ptr error_;
};

/// The outcome of a child that returns nothing: ok, or an exception.
template <>
class Outcome<void> {
public:
  /// Whether it ended without an exception.
  [[nodiscard]] bool ok() const noexcept { return !error_; }
  /// Nothing. @throws the exception it holds.
  void value() const {
    if (error_) std::rethrow_exception(error_);
  }
  /// The exception, or null.
  [[nodiscard]] const std::exception_ptr& error() const noexcept { return error_; }
  /// An outcome that ended well.
  static Outcome of_value() { return {}; }
  /// An outcome holding the exception `e`.
  static Outcome of_error(std::exception_ptr e) {
    Outcome o;
    o.error_ = std::move(e);
    return o;
  }

private:
  std::exception_ptr error_;
};

namespace detail {

/// A result type that can sit in a tuple: void becomes std::monostate.
template <class T>
using Slot = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// The result of a future, copied into its slot. Marks it retrieved.
template <class T>
Slot<T> value_of(const Future<T>& f) {
  if constexpr (std::is_void_v<T>) {
    f.result();
    return {};
  } else {
    return f.result();
  }
}

/// The outcome of a done future (its value, exception, or CancelledError).
template <class T>
Outcome<T> outcome_of(const Future<T>& f) {
  if (f.cancelled()) return Outcome<T>::of_error(std::make_exception_ptr(f.core()->cancelled_error()));
  if (std::exception_ptr e = f.exception()) return Outcome<T>::of_error(e);
  if constexpr (std::is_void_v<T>) {
    return Outcome<T>::of_value();
  } else {
    return Outcome<T>::of_value(f.result());
  }
}

/// The children's bookkeeping of a gather: counting, first failure, cancel (combinators.cpp).
class GatherState {
public:
  GatherState(std::vector<FutureBase*> children, bool return_exceptions) noexcept
      : children_(std::move(children)), return_exceptions_(return_exceptions) {}
  /// What a child's completion means for the gather.
  enum class Next { wait, fail_cancelled, fail, assemble, cancelled };
  Next on_child_done(FutureBase& gather, FutureBase& child, std::exception_ptr& failure);
  bool cancel_children(const std::string& message);
  void release() noexcept;
  [[nodiscard]] const std::vector<FutureBase*>& children() const noexcept { return children_; }

private:
  std::vector<FutureBase*> children_;  // each holds a reference
  std::size_t finished_ = 0;
  bool return_exceptions_;
  bool cancel_requested_ = false;
};

/// The future a gather returns.
template <class R>
class GatherFuture final : public FutureCore<R> {
public:
  GatherFuture(EventLoop& loop, std::vector<FutureBase*> children, bool return_exceptions,
               std::function<R()> assemble)
      : FutureCore<R>(&loop),
        state_(std::move(children), return_exceptions),
        assemble_(std::move(assemble)) {}

  /// Registers on the children (after the handle took its reference).
  void start() {
    if (state_.children().empty()) {
      finish_with_results();
      return;
    }
    // Each registration holds a reference: the gather lives while a child may call it.
    for (FutureBase* c : state_.children()) {
      this->ref();
      c->add_callback({&GatherFuture::on_child, this, &GatherFuture::drop_ref});
    }
  }

private:
  ~GatherFuture() override { state_.release(); }
  void destroy() noexcept override { delete this; }
  bool do_cancel(const std::string& message) override {
    return !this->done() && state_.cancel_children(message);
  }

  static void drop_ref(void* self) { static_cast<GatherFuture*>(self)->unref(); }

  static void on_child(void* self, FutureBase& child) {
    auto& g = *static_cast<GatherFuture*>(self);
    struct Unref {
      GatherFuture& g;
      ~Unref() { g.unref(); }
    } const unref{g};
    std::exception_ptr failure;
    switch (g.state_.on_child_done(g, child, failure)) {
      case GatherState::Next::wait: return;
      case GatherState::Next::fail:
      case GatherState::Next::fail_cancelled: g.set_exception(failure); return;
      case GatherState::Next::cancelled: g.set_cancelled({}); return;
      case GatherState::Next::assemble: g.finish_with_results(); return;
    }
  }

  void finish_with_results() {
    try {
      if constexpr (std::is_void_v<R>) {
        assemble_();
        this->set_result();
      } else {
        this->set_result(assemble_());
      }
    } catch (...) {
      this->set_exception(std::current_exception());
    }
  }

  GatherState state_;
  std::function<R()> assemble_;
};

template <class R>
Future<R> make_gather(std::vector<FutureBase*> children, bool return_exceptions,
                      std::function<R()> assemble) {
  for (FutureBase* c : children) c->ref();
  auto* g =
      new GatherFuture<R>(EventLoop::running(), std::move(children), return_exceptions, std::move(assemble));
  Future<R> handle(g);
  g->start();
  return handle;
}

template <class T>
std::vector<FutureBase*> bases(const std::vector<Future<T>>& fs) {
  std::vector<FutureBase*> out;
  out.reserve(fs.size());
  for (const auto& f : fs) out.push_back(f.core());
  return out;
}

template <class T>
Future<T> as_future(Future<T> f) {
  return f;
}
template <class T>
Future<T> as_future(Task<T>&& t) {
  return create_task(std::move(t));
}
template <class A>
struct FutureOf;
template <class T>
struct FutureOf<Future<T>> {
  using type = T;
};
template <class T>
struct FutureOf<Task<T>> {
  using type = T;
};
template <class A>
using ResultOf = typename FutureOf<std::remove_cvref_t<A>>::type;
/// An aio::Task or an aio::Future.
template <class A>
concept TaskOrFuture = requires {
  typename ResultOf<A>;
};

}  // namespace detail

/// Waits for all of `fs`; their results in order (void for futures of void).
/// @throws (when awaited) the first failure; CancelledError as the file notes say.
template <class T>
auto gather(std::vector<Future<T>> fs) {
  using R = std::conditional_t<std::is_void_v<T>, void, std::vector<T>>;
  auto children = detail::bases(fs);
  return detail::make_gather<R>(std::move(children), false, [fs = std::move(fs)]() -> R {
    if constexpr (!std::is_void_v<T>) {
      R out;
      out.reserve(fs.size());
      for (const auto& f : fs) out.push_back(f.result());
      return out;
    }
  });
}

/// Starts each task (create_task, in order) and gathers them.
template <class T>
auto gather(std::vector<Task<T>> tasks) {
  std::vector<Future<T>> fs;
  fs.reserve(tasks.size());
  for (auto& t : tasks) fs.push_back(create_task(std::move(t)));
  return gather(std::move(fs));
}

/// Waits for all of `fs`; each one's Outcome, in order (Python's return_exceptions=True).
template <class T>
Future<std::vector<Outcome<T>>> gather(ReturnExceptions, std::vector<Future<T>> fs) {
  auto children = detail::bases(fs);
  return detail::make_gather<std::vector<Outcome<T>>>(std::move(children), true, [fs = std::move(fs)] {
    std::vector<Outcome<T>> out;
    out.reserve(fs.size());
    for (const auto& f : fs) out.push_back(detail::outcome_of(f));
    return out;
  });
}

/// Starts each task (create_task, in order) and gathers every one's Outcome.
template <class T>
Future<std::vector<Outcome<T>>> gather(ReturnExceptions tag, std::vector<Task<T>> tasks) {
  std::vector<Future<T>> fs;
  fs.reserve(tasks.size());
  for (auto& t : tasks) fs.push_back(create_task(std::move(t)));
  return gather(tag, std::move(fs));
}

/// Gathers tasks and futures of different types: a std::tuple of their results.
template <class... A>
requires(sizeof...(A) > 0 && (detail::TaskOrFuture<A> && ...)) auto gather(A&&... awaitables) {
  using R = std::tuple<detail::Slot<detail::ResultOf<A>>...>;
  auto fs = std::make_tuple(detail::as_future(std::forward<A>(awaitables))...);
  std::vector<detail::FutureBase*> children;
  std::apply([&children](const auto&... f) { (children.push_back(f.core()), ...); }, fs);
  return detail::make_gather<R>(std::move(children), false, [fs = std::move(fs)] {
    return std::apply([](const auto&... f) { return R(detail::value_of(f)...); }, fs);
  });
}

/// As above, each result an aio::Outcome.
template <class... A>
requires(sizeof...(A) > 0 && (detail::TaskOrFuture<A> && ...)) auto gather(ReturnExceptions,
                                                                           A&&... awaitables) {
  using R = std::tuple<Outcome<detail::ResultOf<A>>...>;
  auto fs = std::make_tuple(detail::as_future(std::forward<A>(awaitables))...);
  std::vector<detail::FutureBase*> children;
  std::apply([&children](const auto&... f) { (children.push_back(f.core()), ...); }, fs);
  return detail::make_gather<R>(std::move(children), true, [fs = std::move(fs)] {
    return std::apply([](const auto&... f) { return R(detail::outcome_of(f)...); }, fs);
  });
}

}  // namespace mp::aio
