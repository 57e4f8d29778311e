#pragma once
/// @file
/// @brief What a pool can run: callable wrappers (FunctionRef, UniqueTask) and the
/// compile-time rules for a task sent to a worker process (Sendable,
/// check_sendable, check_signature). Part of the pools' machinery (mp/detail/pool_core.hpp).
#include <cstddef>
#include <memory>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace mp::detail {

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

}  // namespace mp::detail
