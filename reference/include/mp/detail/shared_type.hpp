#pragma once
/// @file
/// @brief detail::RequireSharedType: the one rule for what mp::RawValue,
/// mp::Value, mp::RawArray and mp::Array may hold.
#include <type_traits>

namespace mp::detail {

/// Instantiated by those classes (`static_assert(RequireSharedType<T>::value)`),
/// so that a wrong T fails to compile with a message that says why: the bytes
/// live in raw shared memory that every process reads directly, so T must not
/// own pointers or heap memory (Python's Value and Array take ctypes types only).
template <class T>
struct RequireSharedType {
  static_assert(
      std::is_trivially_copyable_v<T>,
      "mp::Value<T>, mp::Array<T> (and RawValue, RawArray): T must be trivially copyable: its bytes "
      "live in raw shared memory that other processes read directly, so it cannot own pointers or heap "
      "memory (use std::array<char, N> instead of std::string, or an mp::Queue for richer objects)");
  static_assert(!std::is_const_v<T> && !std::is_volatile_v<T> && !std::is_reference_v<T>,
                "mp::Value<T>, mp::Array<T> (and RawValue, RawArray): T must be a plain (non-const, "
                "non-volatile) object type");
  static constexpr bool value = true;
};

}  // namespace mp::detail
