#pragma once
/// @file
/// @brief What a manager's server holds (detail): ManagedObject, the type
/// registry the server creates objects from, and the argument decoding of a call.
///
/// A proxy's method call arrives as (object id, method name, argument bytes);
/// the object decodes the arguments as the method's parameter tuple, runs the
/// method under its own lock, and encodes the result. Types are found by name
/// in a registry filled before main() by every managed type a program uses
/// (`ManagedType<T>::registered`), so a server forked from the program, or the
/// same program started elsewhere, knows them; a type the server's program
/// never used gets "unknown type" back.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mp/error.hpp"
#include "mp/pickle.hpp"

namespace mp::detail::manager {

/// Who calls: one client connection (a thread of a process holding a proxy).
struct CallContext {
  std::uint64_t client = 0;
};

/// An object the manager holds.
class ManagedObject {
public:
  virtual ~ManagedObject() = default;
  /// Runs `method` with the encoded `args`; returns the encoded result.
  /// @throws what the method throws; mp::ValueError for an unknown method;
  ///         mp::SerializationError for arguments of the wrong types.
  virtual std::string call(std::string_view method, std::string_view args, const CallContext& ctx) = 0;
  /// The client's connection closed (it ended, or was killed): release what it held.
  virtual void client_gone(std::uint64_t /*client*/) {}
  /// The reply to `method`, carrying `result`, could not be sent (the client
  /// died waiting): undo what must not be lost (an item taken from a queue).
  virtual void reply_failed(std::string_view /*method*/, std::string_view /*result*/) {}
};

/// Makes an object of a registered type from its encoded constructor arguments.
using Factory = std::unique_ptr<ManagedObject> (*)(std::string_view args);

/// Type name → factory, filled during static initialisation, read by the server.
class TypeRegistry {
public:
  /// The program's registry.
  static TypeRegistry& instance();
  /// Registers `name` (idempotent: the same name twice keeps the first).
  bool add(std::string name, Factory factory);
  /// The factory for `name`, or nullptr.
  [[nodiscard]] Factory find(std::string_view name) const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, Factory, std::less<>> factories_;
};

/// "no method" for a proxy that asked what the type does not have.
[[noreturn]] void throw_no_method(std::string_view type, std::string_view method);

/// Decodes `args` as the tuple of `A...`, calls `fn(a...)`, encodes its result
/// ("" for void).
template <class... A, class Fn>
std::string apply_encoded(std::string_view args, Fn&& fn) {
  std::tuple<std::decay_t<A>...> t;
  mp::load(args, t);
  using R = decltype(std::apply(fn, t));
  if constexpr (std::is_void_v<R>) {
    std::apply(fn, t);
    return {};
  } else {
    return mp::dumps(std::apply(fn, t));
  }
}

/// Registers `T` (a ManagedObject with `static std::string type_name()` and a
/// constructor from its encoded arguments) before main(): odr-use `registered`
/// where the client side makes a T, and every program that can ask for a T
/// can also serve one.
template <class T>
struct ManagedType {
  static std::unique_ptr<ManagedObject> make(std::string_view args) { return std::make_unique<T>(args); }
  static inline const bool registered = TypeRegistry::instance().add(T::type_name(), &make);
};

}  // namespace mp::detail::manager
