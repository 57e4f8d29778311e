#pragma once
/// @file
/// @brief `mp::ObjectProxy`: an object of a class of your own, held by a
/// manager (Python's `BaseManager.register('Maths', Maths)` and its proxy).
///
/// @code
/// struct Counter {
///   int n = 0;
///   int add(int k) { return n += k; }
///   int get() const { return n; }
/// };
/// template <>
/// struct mp::Methods<Counter> {   // what proxies may call, by name
///   static constexpr auto list = std::make_tuple(mp::method<&Counter::add>("add"),
///   mp::method<&Counter::get>("get"));
/// };
///
/// mp::Manager manager;
/// auto c = manager.object<Counter>();              // Python: manager.Counter()
/// c.call<&Counter::add>(5);                        // one round trip; runs in the manager
/// std::cout << c.call<&Counter::get>() << '\n';   // 5
/// @endcode
///
/// The object lives in the manager's process; each call runs its method under
/// one mutex per object, with the arguments and the result copied (encoded
/// as mp/pickle.hpp does: they must be serialisable). A method's exception
/// comes back with its type as the other proxies' do. The class must be used
/// by the manager's program too (an mp::Manager is a fork of yours: it is).
#include <string>
#include <tuple>
#include <type_traits>

#include "mp/detail/managed_class.hpp"
#include "mp/proxy.hpp"

namespace mp {

/// A proxy on an object of class `T` in a manager; its methods are those listed in mp::Methods<T>.
template <class T>
class ObjectProxy : public BaseProxy {
public:
  /// The server-side type of an object made with T's default constructor.
  using Managed = detail::manager::ManagedClass<T>;
  using BaseProxy::BaseProxy;

  /// Whether a shared object of server type `type` can be used through this proxy
  /// (any constructor of T).
  static bool accepts_type(const std::string& type) {
    return type.rfind("class<" + detail::manager::name_of<T>(), 0) == 0;
  }

  /// Calls the method `Fn` (listed in mp::Methods<T>) with `args`, converted
  /// to its parameter types, and returns its result.
  /// @throws what the method throws; mp::ProcessError when the manager is gone.
  template <auto Fn, class... A>
  auto call(const A&... args) const {
    using Traits = detail::manager::member_traits<decltype(Fn)>;
    static_assert(std::tuple_size_v<typename Traits::params> == sizeof...(A),
                  "mp::ObjectProxy::call: the number of arguments differs from the method's");
    const std::string_view name = std::get<Method<Fn>>(Methods<T>::list).name;
    return this->template call_encoded<typename Traits::result>(name,
                                                                mp::dumps(typename Traits::params(args...)));
  }
};

}  // namespace mp
