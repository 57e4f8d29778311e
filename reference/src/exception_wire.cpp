// Exceptions as bytes: how an exception crosses from one process to another (a
// pool's worker to the caller, a manager to its client). See mp/detail/exception_wire.hpp.
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>
#include <typeinfo>
#include <variant>

#include "mp/detail/demangle.hpp"
#include "mp/detail/exception_wire.hpp"
#include "mp/error.hpp"
#include "mp/pickle.hpp"

namespace mp::detail {

namespace {

enum class ExcKind : std::uint32_t {
  remote = 0,  // anything else: mp::RemoteError(type name, message)
  exception,
  runtime_error,
  logic_error,
  invalid_argument,
  domain_error,
  length_error,
  out_of_range,
  range_error,
  overflow_error,
  underflow_error,
  bad_alloc,
  system_error,
  bad_optional_access,
  bad_variant_access,
  bad_cast,
  mp_error,
  timeout_error,
  value_error,
  process_error,
  serialization_error,
  empty,
  full,
  eof_error,
  broken_barrier_error,
  broken_pool,
  cancelled_error,
  invalid_state_error,
};

// kind, type name, what(), errno (system_error)
using WireException = std::tuple<std::uint32_t, std::string, std::string, std::int32_t>;

ExcKind classify(const std::type_info& t) {
  static const std::pair<const std::type_info*, ExcKind> table[] = {
      {&typeid(std::exception), ExcKind::exception},
      {&typeid(std::runtime_error), ExcKind::runtime_error},
      {&typeid(std::logic_error), ExcKind::logic_error},
      {&typeid(std::invalid_argument), ExcKind::invalid_argument},
      {&typeid(std::domain_error), ExcKind::domain_error},
      {&typeid(std::length_error), ExcKind::length_error},
      {&typeid(std::out_of_range), ExcKind::out_of_range},
      {&typeid(std::range_error), ExcKind::range_error},
      {&typeid(std::overflow_error), ExcKind::overflow_error},
      {&typeid(std::underflow_error), ExcKind::underflow_error},
      {&typeid(std::bad_alloc), ExcKind::bad_alloc},
      {&typeid(std::system_error), ExcKind::system_error},
      {&typeid(std::bad_optional_access), ExcKind::bad_optional_access},
      {&typeid(std::bad_variant_access), ExcKind::bad_variant_access},
      {&typeid(std::bad_cast), ExcKind::bad_cast},
      {&typeid(mp::Error), ExcKind::mp_error},
      {&typeid(mp::TimeoutError), ExcKind::timeout_error},
      {&typeid(mp::ValueError), ExcKind::value_error},
      {&typeid(mp::ProcessError), ExcKind::process_error},
      {&typeid(mp::SerializationError), ExcKind::serialization_error},
      {&typeid(mp::Empty), ExcKind::empty},
      {&typeid(mp::Full), ExcKind::full},
      {&typeid(mp::EOFError), ExcKind::eof_error},
      {&typeid(mp::BrokenBarrierError), ExcKind::broken_barrier_error},
      {&typeid(mp::BrokenPool), ExcKind::broken_pool},
      {&typeid(mp::CancelledError), ExcKind::cancelled_error},
      {&typeid(mp::InvalidStateError), ExcKind::invalid_state_error},
  };
  for (const auto& [type, kind] : table) {
    if (*type == t) return kind;
  }
  return ExcKind::remote;
}

std::exception_ptr rebuild(ExcKind kind, const std::string& type, const std::string& what,
                           std::int32_t code) {
  switch (kind) {
    case ExcKind::exception: return std::make_exception_ptr(std::exception());
    case ExcKind::runtime_error: return std::make_exception_ptr(std::runtime_error(what));
    case ExcKind::logic_error: return std::make_exception_ptr(std::logic_error(what));
    case ExcKind::invalid_argument: return std::make_exception_ptr(std::invalid_argument(what));
    case ExcKind::domain_error: return std::make_exception_ptr(std::domain_error(what));
    case ExcKind::length_error: return std::make_exception_ptr(std::length_error(what));
    case ExcKind::out_of_range: return std::make_exception_ptr(std::out_of_range(what));
    case ExcKind::range_error: return std::make_exception_ptr(std::range_error(what));
    case ExcKind::overflow_error: return std::make_exception_ptr(std::overflow_error(what));
    case ExcKind::underflow_error: return std::make_exception_ptr(std::underflow_error(what));
    case ExcKind::bad_alloc: return std::make_exception_ptr(std::bad_alloc());
    case ExcKind::system_error: {
      // what() is "<what_arg>: <strerror>": give the what_arg back, and the code.
      const std::error_code ec(code, std::generic_category());
      std::string arg = what;
      const std::string suffix = ": " + ec.message();
      if (arg.size() >= suffix.size() &&
          arg.compare(arg.size() - suffix.size(), suffix.size(), suffix) == 0) {
        arg.resize(arg.size() - suffix.size());
      }
      return std::make_exception_ptr(std::system_error(ec, arg));
    }
    case ExcKind::bad_optional_access: return std::make_exception_ptr(std::bad_optional_access());
    case ExcKind::bad_variant_access: return std::make_exception_ptr(std::bad_variant_access());
    case ExcKind::bad_cast: return std::make_exception_ptr(std::bad_cast());
    case ExcKind::mp_error: return std::make_exception_ptr(mp::Error(what));
    case ExcKind::timeout_error: return std::make_exception_ptr(mp::TimeoutError(what));
    case ExcKind::value_error: return std::make_exception_ptr(mp::ValueError(what));
    case ExcKind::process_error: return std::make_exception_ptr(mp::ProcessError(what));
    case ExcKind::serialization_error: return std::make_exception_ptr(mp::SerializationError(what));
    case ExcKind::empty: return std::make_exception_ptr(mp::Empty(what));
    case ExcKind::full: return std::make_exception_ptr(mp::Full(what));
    case ExcKind::eof_error: return std::make_exception_ptr(mp::EOFError(what));
    case ExcKind::broken_barrier_error: return std::make_exception_ptr(mp::BrokenBarrierError(what));
    case ExcKind::broken_pool: return std::make_exception_ptr(mp::BrokenPool(what));
    case ExcKind::cancelled_error: return std::make_exception_ptr(mp::CancelledError(what));
    case ExcKind::invalid_state_error: return std::make_exception_ptr(mp::InvalidStateError(what));
    case ExcKind::remote: break;
  }
  return std::make_exception_ptr(RemoteError(type, what));
}

}  // namespace

// ================================================================ exceptions

void encode_exception(const std::exception_ptr& e, std::string& out) {
  WireException w{static_cast<std::uint32_t>(ExcKind::remote), "", "", 0};
  try {
    std::rethrow_exception(e);
  } catch (const RemoteError& x) {  // from a nested pool: keep the original type name
    w = {static_cast<std::uint32_t>(ExcKind::remote), x.type_name(), x.message(), 0};
  } catch (const std::system_error& x) {
    const bool posix =
        x.code().category() == std::generic_category() || x.code().category() == std::system_category();
    const bool exact = typeid(x) == typeid(std::system_error);
    w = {static_cast<std::uint32_t>(exact && posix ? ExcKind::system_error : ExcKind::remote),
         demangle(typeid(x).name()), x.what(), x.code().value()};
  } catch (const std::exception& x) {
    w = {static_cast<std::uint32_t>(classify(typeid(x))), demangle(typeid(x).name()), x.what(), 0};
  } catch (...) {
    w = {static_cast<std::uint32_t>(ExcKind::remote), "<unknown>",
         "an exception of a type not derived from std::exception", 0};
  }
  mp::dump(w, out);
}

std::exception_ptr decode_exception(std::string_view bytes) noexcept {
  try {
    WireException w;
    mp::load(bytes, w);
    return rebuild(static_cast<ExcKind>(std::get<0>(w)), std::get<1>(w), std::get<2>(w), std::get<3>(w));
  } catch (...) {
    return std::make_exception_ptr(
        SerializationError("mp: could not decode the exception another process sent back"));
  }
}

std::string exception_type_name(const std::exception_ptr& e) {
  if (!e) return "";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return demangle(typeid(x).name());
  } catch (...) {
    return "<unknown>";
  }
}

}  // namespace mp::detail
