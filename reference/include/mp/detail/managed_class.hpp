#pragma once
/// @file
/// @brief A manager's object of a class of your own (detail): the server side
/// of mp::ObjectProxy. The class lists its methods in mp::Methods<T> (see
/// mp/object_proxy.hpp); a call names a method, whose arguments and result
/// travel as mp/pickle.hpp encodes them.
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mp/detail/managed_types.hpp"

namespace mp {

/// One method of a class served by a manager: its name on the wire and the
/// member function. Made by mp::method.
template <auto Fn>
struct Method {
  std::string_view name;  ///< the name proxies call it by
};

/// `mp::method<&Counter::add>("add")`: an entry of mp::Methods<T>::list.
template <auto Fn>
constexpr Method<Fn> method(std::string_view name) {
  return Method<Fn>{name};
}

/// The methods of `T` a manager serves: specialise it with
/// `static constexpr auto list = std::make_tuple(mp::method<&T::f>("f"), ...);`.
template <class T>
struct Methods;

namespace detail::manager {

/// Parameter and result types of a member function pointer.
template <class F>
struct member_traits;
template <class R, class C, class... P>
struct member_traits<R (C::*)(P...)> {
  using result = R;
  using params = std::tuple<std::decay_t<P>...>;
};
template <class R, class C, class... P>
struct member_traits<R (C::*)(P...) const> : member_traits<R (C::*)(P...)> {};
template <class R, class C, class... P>
struct member_traits<R (C::*)(P...) noexcept> : member_traits<R (C::*)(P...)> {};
template <class R, class C, class... P>
struct member_traits<R (C::*)(P...) const noexcept> : member_traits<R (C::*)(P...)> {};

/// Runs the method called `name` of `obj` with the encoded `args`.
template <class T, auto Fn>
bool try_method(T& obj, const Method<Fn>& m, std::string_view name, std::string_view args, std::string& out) {
  if (m.name != name) return false;
  using Traits = member_traits<decltype(Fn)>;
  typename Traits::params params;
  mp::load(args, params);
  if constexpr (std::is_void_v<typename Traits::result>) {
    std::apply([&](auto&... p) { (obj.*Fn)(p...); }, params);
    out.clear();
  } else {
    out = mp::dumps(std::apply([&](auto&... p) { return (obj.*Fn)(p...); }, params));
  }
  return true;
}

/// An object of your class `T`, built from the encoded constructor arguments
/// `A...`, its methods (mp::Methods<T>) run under one mutex.
template <class T, class... A>
class ManagedClass final : public ManagedObject {
public:
  static std::string type_name() {
    std::string n = "class<" + name_of<T>();
    ((n += "," + name_of<A>()), ...);
    return n + ">";
  }
  /// Args: std::tuple<A...> (none: T's default constructor).
  explicit ManagedClass(std::string_view args) : object_(make(args)) {}

  std::string call(std::string_view m, std::string_view a, const CallContext& /*ctx*/) override {
    std::lock_guard lk(mutex_);
    std::string out;
    const bool found = std::apply(
        [&](const auto&... ms) { return (try_method(object_, ms, m, a, out) || ...); }, Methods<T>::list);
    if (!found) throw_no_method(type_name(), m);
    return out;
  }

private:
  static T make(std::string_view args) {
    if constexpr (std::is_default_constructible_v<T>) {
      if (args.empty()) return T{};
    } else if (args.empty()) {
      throw ValueError("mp::Manager: " + name_of<T>() + " has no default constructor: give its arguments");
    }
    std::tuple<A...> init;
    mp::load(args, init);
    return std::make_from_tuple<T>(std::move(init));
  }

  std::mutex mutex_;
  T object_;
};

}  // namespace detail::manager
}  // namespace mp
