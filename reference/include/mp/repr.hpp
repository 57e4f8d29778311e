#pragma once
/// @file
/// @brief `mp::Scalar` (a value of one of Python's scalar types) and mp::repr()
/// (Python's `repr()`), for printing values the way a Python program prints them.
///
/// A Python dict may mix key and value types, as the one printed below. In
/// C++ such a dict holds mp::Scalar keys and values, a `std::variant` of
/// None, bool, int, float and str; mp::repr() prints it as Python does:
///
/// @code
/// std::vector<std::pair<mp::Scalar, mp::Scalar>> d{{1, "1"}, {"2", 2}, {0.25, mp::None{}}};
/// std::cout << mp::repr_dict(d) << '\n';          // {1: '1', '2': 2, 0.25: None}
/// std::cout << mp::repr(std::vector<int>{9, 8}) << '\n';   // [9, 8]
/// std::cout << mp::repr(1.0) << ' ' << mp::repr(1e16) << '\n';   // 1.0 1e+16
/// @endcode
///
/// Floats print as Python's repr: the shortest digits that read back to the
/// same double, with `.0` on whole numbers, and an exponent below 1e-4 or from
/// 1e16 on. Strings print in single quotes (double quotes when the text holds
/// a single quote and no double quote) with Python's escapes; bytes of UTF-8
/// text above 0x7F are kept as they are.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mp {

/// Python's None.
using None = std::monostate;

/// A value of one of Python's scalar types: None, bool, int, float or str.
/// Constructs from the C++ literal of each (`1`, `0.25`, `"text"`, `true`,
/// `mp::None{}`); orders and compares as std::variant does (by type first).
using Scalar = std::variant<None, bool, std::int64_t, double, std::string>;

/// Python's repr() of a float.
std::string repr(double x);
/// Python's repr() of a str.
std::string repr(std::string_view s);
/// Python's repr() of a str.
inline std::string repr(const std::string& s) { return repr(std::string_view(s)); }
/// Python's repr() of a str.
inline std::string repr(const char* s) { return repr(std::string_view(s)); }
/// `None`.
inline std::string repr(None) { return "None"; }
/// `True` / `False`.
inline std::string repr(bool b) { return b ? "True" : "False"; }

/// Integers as Python prints them.
template <class T>
requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>) std::string
    repr(T x) {
  return std::to_string(x);
}
/// Floats (float, long double) as doubles.
template <class T>
requires(std::is_floating_point_v<T> && !std::is_same_v<T, double>) std::string repr(T x) {
  return repr(static_cast<double>(x));
}

template <class... T>
std::string repr(const std::variant<T...>& v);
template <class T>
std::string repr(const std::optional<T>& v);
template <class T, class A>
std::string repr(const std::vector<T, A>& v);
template <class K, class V, class C, class A>
std::string repr(const std::map<K, V, C, A>& m);
template <class A, class B>
std::string repr(const std::pair<A, B>& p);
template <class... T>
std::string repr(const std::tuple<T...>& t);

/// The active alternative's repr().
template <class... T>
std::string repr(const std::variant<T...>& v) {
  return std::visit([](const auto& x) { return repr(x); }, v);
}
/// `None` or the value's repr().
template <class T>
std::string repr(const std::optional<T>& v) {
  return v ? repr(*v) : std::string("None");
}
/// `[a, b, c]` (Python's list).
template <class T, class A>
std::string repr(const std::vector<T, A>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i == 0 ? "" : ", ") + repr(v[i]);
  return out + "]";
}
/// `{k: v, ...}` in the map's order (Python's dict).
template <class K, class V, class C, class A>
std::string repr(const std::map<K, V, C, A>& m) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : m) {
    out += (first ? "" : ", ") + repr(k) + ": " + repr(v);
    first = false;
  }
  return out + "}";
}
/// `(a, b)` (Python's tuple).
template <class A, class B>
std::string repr(const std::pair<A, B>& p) {
  return "(" + repr(p.first) + ", " + repr(p.second) + ")";
}
/// `(a, b, c)`; `(a,)` for one element, `()` for none (Python's tuple).
template <class... T>
std::string repr(const std::tuple<T...>& t) {
  std::string out = "(";
  std::size_t i = 0;
  std::apply([&](const auto&... x) { ((out += (i++ == 0 ? "" : ", ") + repr(x)), ...); }, t);
  return out + (sizeof...(T) == 1 ? ",)" : ")");
}

/// `{k: v, ...}` for key/value pairs in the order given (a dict's insertion
/// order, as mp::DictProxy::items() returns them).
template <class K, class V>
std::string repr_dict(const std::vector<std::pair<K, V>>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : ", ") + repr(items[i].first) + ": " + repr(items[i].second);
  }
  return out + "}";
}

}  // namespace mp
