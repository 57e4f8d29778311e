#pragma once
/// @file
/// @brief The objects a manager holds for its proxies (detail): a dict that
/// keeps insertion order, a list, a value, a lock and a recursive lock. Each
/// method runs under the object's mutex; see mp/detail/managed_object.hpp.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <typeinfo>
#include <utility>
#include <vector>

#include "mp/detail/demangle.hpp"
#include "mp/detail/managed_object.hpp"
#include "mp/repr.hpp"

namespace mp::detail::manager {

/// The name of `T` in type names ("int", "std::__cxx11::basic_string<...>").
template <class T>
std::string name_of() {
  return demangle(typeid(T).name());
}

/// Python's KeyError for `key` (a std::out_of_range, which crosses processes as itself).
template <class K>
[[noreturn]] void throw_key_error(const K& key) {
  if constexpr (requires { mp::repr(key); }) {
    throw std::out_of_range("KeyError: " + mp::repr(key));
  } else {
    throw std::out_of_range("KeyError: the key is not in the dict");
  }
}

/// Python's index `i` (negative: from the end) into `n` items; IndexError
/// (std::out_of_range) when out of range.
inline std::size_t py_index(std::int64_t i, std::size_t n, const char* what) {
  const auto size = static_cast<std::int64_t>(n);
  const std::int64_t p = i < 0 ? i + size : i;
  if (p < 0 || p >= size) {
    throw std::out_of_range(std::string("IndexError: ") + what + " index " + std::to_string(i) +
                            " out of range (length " + std::to_string(size) + ")");
  }
  return static_cast<std::size_t>(p);
}

/// A dict (Python's: iteration in insertion order) of K → V.
template <class K, class V>
class ManagedDict final : public ManagedObject {
public:
  static std::string type_name() { return "dict<" + name_of<K>() + "," + name_of<V>() + ">"; }
  /// Args: the initial items, in order (none: empty).
  explicit ManagedDict(std::string_view args) {
    if (args.empty()) return;
    std::tuple<std::vector<std::pair<K, V>>> init;
    mp::load(args, init);
    for (auto& [k, v] : std::get<0>(init)) set(std::move(k), std::move(v));
  }

  std::string call(std::string_view m, std::string_view a, const CallContext& /*ctx*/) override {
    std::lock_guard lk(mutex_);
    if (m == "setitem") return apply_encoded<K, V>(a, [&](K& k, V& v) { set(std::move(k), std::move(v)); });
    if (m == "getitem") return apply_encoded<K>(a, [&](const K& k) { return items_[index_of(k)].second; });
    if (m == "get") {
      return apply_encoded<K>(a, [&](const K& k) {
        const auto it = index_.find(k);
        return it == index_.end() ? std::optional<V>() : std::optional<V>(items_[it->second].second);
      });
    }
    if (m == "contains") return apply_encoded<K>(a, [&](const K& k) { return index_.count(k) != 0; });
    if (m == "delitem") return apply_encoded<K>(a, [&](const K& k) { (void)take(k); });
    if (m == "pop") return apply_encoded<K>(a, [&](const K& k) { return take(k); });
    if (m == "setdefault") {
      return apply_encoded<K, V>(a, [&](K& k, V& v) {
        const auto it = index_.find(k);
        if (it != index_.end()) return items_[it->second].second;
        set(std::move(k), v);
        return v;
      });
    }
    if (m == "update") {
      return apply_encoded<std::vector<std::pair<K, V>>>(a, [&](std::vector<std::pair<K, V>>& kvs) {
        for (auto& [k, v] : kvs) set(std::move(k), std::move(v));
      });
    }
    if (m == "len") return apply_encoded<>(a, [&] { return static_cast<std::uint64_t>(items_.size()); });
    if (m == "items") return apply_encoded<>(a, [&] { return items_; });
    if (m == "clear") {
      return apply_encoded<>(a, [&] {
        items_.clear();
        index_.clear();
      });
    }
    throw_no_method(type_name(), m);
  }

private:
  void set(K k, V v) {
    const auto it = index_.find(k);
    if (it != index_.end()) {
      items_[it->second].second = std::move(v);
      return;
    }
    index_.emplace(k, items_.size());
    items_.emplace_back(std::move(k), std::move(v));
  }
  std::size_t index_of(const K& k) const {
    const auto it = index_.find(k);
    if (it == index_.end()) throw_key_error(k);
    return it->second;
  }
  V take(const K& k) {
    const std::size_t i = index_of(k);
    V v = std::move(items_[i].second);
    index_.erase(k);
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
    for (auto& [key, at] : index_) {
      if (at > i) --at;
    }
    return v;
  }

  std::mutex mutex_;
  std::vector<std::pair<K, V>> items_;  // in insertion order
  std::map<K, std::size_t> index_;      // key → position in items_
};

/// A list (Python's) of T. Indices may be negative, as in Python.
template <class T>
class ManagedList final : public ManagedObject {
public:
  static std::string type_name() { return "list<" + name_of<T>() + ">"; }
  /// Args: the initial items (none: empty).
  explicit ManagedList(std::string_view args) {
    if (args.empty()) return;
    std::tuple<std::vector<T>> init;
    mp::load(args, init);
    items_ = std::move(std::get<0>(init));
  }

  std::string call(std::string_view m, std::string_view a, const CallContext& /*ctx*/) override {
    std::lock_guard lk(mutex_);
    if (m == "append") return apply_encoded<T>(a, [&](T& v) { items_.push_back(std::move(v)); });
    if (m == "extend") {
      return apply_encoded<std::vector<T>>(a, [&](std::vector<T>& vs) {
        items_.insert(items_.end(), std::make_move_iterator(vs.begin()), std::make_move_iterator(vs.end()));
      });
    }
    if (m == "getitem") return apply_encoded<std::int64_t>(a, [&](std::int64_t i) { return items_[at(i)]; });
    if (m == "setitem")
      return apply_encoded<std::int64_t, T>(a, [&](std::int64_t i, T& v) { items_[at(i)] = std::move(v); });
    if (m == "delitem") {
      return apply_encoded<std::int64_t>(a,
                                         [&](std::int64_t i) { items_.erase(items_.begin() + position(i)); });
    }
    if (m == "pop") {
      return apply_encoded<std::int64_t>(a, [&](std::int64_t i) {
        const auto p = position(i);
        T v = std::move(items_[static_cast<std::size_t>(p)]);
        items_.erase(items_.begin() + p);
        return v;
      });
    }
    if (m == "insert") {
      return apply_encoded<std::int64_t, T>(a, [&](std::int64_t i, T& v) {
        const auto n = static_cast<std::int64_t>(items_.size());
        const std::int64_t p = std::clamp<std::int64_t>(i < 0 ? i + n : i, 0, n);
        items_.insert(items_.begin() + p, std::move(v));
      });
    }
    if (m == "reverse") return apply_encoded<>(a, [&] { std::reverse(items_.begin(), items_.end()); });
    if (m == "sort") {
      if constexpr (requires(const T& x) { x < x; }) {
        return apply_encoded<bool>(a, [&](bool reverse) {
          std::stable_sort(items_.begin(), items_.end());
          if (reverse) std::reverse(items_.begin(), items_.end());
        });
      }
    }
    if (m == "len") return apply_encoded<>(a, [&] { return static_cast<std::uint64_t>(items_.size()); });
    if (m == "items") return apply_encoded<>(a, [&] { return items_; });
    if (m == "clear") return apply_encoded<>(a, [&] { items_.clear(); });
    throw_no_method(type_name(), m);
  }

private:
  std::size_t at(std::int64_t i) const { return py_index(i, items_.size(), "list"); }
  std::ptrdiff_t position(std::int64_t i) const { return static_cast<std::ptrdiff_t>(at(i)); }

  std::mutex mutex_;
  std::vector<T> items_;
};

/// A fixed-size array of T (Python's manager.Array(typecode, sequence)):
/// items are read and written, never added or removed.
template <class T>
class ManagedArray final : public ManagedObject {
public:
  static std::string type_name() { return "array<" + name_of<T>() + ">"; }
  /// Args: the items (none: empty).
  explicit ManagedArray(std::string_view args) {
    if (args.empty()) return;
    std::tuple<std::vector<T>> init;
    mp::load(args, init);
    items_ = std::move(std::get<0>(init));
  }

  std::string call(std::string_view m, std::string_view a, const CallContext& /*ctx*/) override {
    std::lock_guard lk(mutex_);
    if (m == "getitem") return apply_encoded<std::int64_t>(a, [&](std::int64_t i) { return items_[at(i)]; });
    if (m == "setitem") {
      return apply_encoded<std::int64_t, T>(a, [&](std::int64_t i, T& v) { items_[at(i)] = std::move(v); });
    }
    if (m == "len") return apply_encoded<>(a, [&] { return static_cast<std::uint64_t>(items_.size()); });
    if (m == "items") return apply_encoded<>(a, [&] { return items_; });
    if (m == "assign") {
      return apply_encoded<std::vector<T>>(a, [&](std::vector<T>& vs) {
        if (vs.size() != items_.size()) {
          throw ValueError("Array: " + std::to_string(vs.size()) + " items for an array of " +
                           std::to_string(items_.size()));
        }
        items_ = std::move(vs);
      });
    }
    throw_no_method(type_name(), m);
  }

private:
  std::size_t at(std::int64_t i) const { return py_index(i, items_.size(), "array"); }

  std::mutex mutex_;
  std::vector<T> items_;
};

/// One value of type T (Python's manager.Value(typecode, value)).
template <class T>
class ManagedValue final : public ManagedObject {
public:
  static std::string type_name() { return "value<" + name_of<T>() + ">"; }
  /// Args: the initial value (none: T{}).
  explicit ManagedValue(std::string_view args) {
    if (args.empty()) return;
    std::tuple<T> init;
    mp::load(args, init);
    value_ = std::move(std::get<0>(init));
  }

  std::string call(std::string_view m, std::string_view a, const CallContext& /*ctx*/) override {
    std::lock_guard lk(mutex_);
    if (m == "get") return apply_encoded<>(a, [&] { return value_; });
    if (m == "set") return apply_encoded<T>(a, [&](T& v) { value_ = std::move(v); });
    throw_no_method(type_name(), m);
  }

private:
  std::mutex mutex_;
  T value_{};
};

/// Python's Namespace: named fields, each any serialisable value, kept as
/// (type name, bytes, Python repr) so that a reader of another type is told,
/// and print() needs no types; fields keep their first-set order.
class ManagedNamespace final : public ManagedObject {
public:
  static std::string type_name() { return "namespace"; }
  /// Args: none.
  explicit ManagedNamespace(std::string_view /*args*/) {}
  std::string call(std::string_view m, std::string_view a, const CallContext& ctx) override;

private:
  struct Field {
    std::string name;
    std::string type;
    std::string bytes;
    std::string repr;
  };
  Field& field(const std::string& name);

  std::mutex mutex_;
  std::vector<Field> fields_;
};

/// A lock (`recursive` false: Python's Lock; true: RLock) owned by a client
/// connection. When its owner's connection closes while it holds the lock,
/// the lock is released and the next acquire() is told (owner_died), as mp::Lock does.
class ManagedLock final : public ManagedObject {
public:
  static std::string type_name() { return "lock"; }
  /// Args: std::tuple<bool recursive> (none: not recursive).
  explicit ManagedLock(std::string_view args);
  std::string call(std::string_view m, std::string_view a, const CallContext& ctx) override;
  void client_gone(std::uint64_t client) override;

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool recursive_ = false;
  std::uint64_t owner_ = 0;  // the client holding it (0: free)
  std::uint64_t count_ = 0;  // recursion depth of the owner
  bool owner_died_ = false;  // the last owner's connection closed while it held the lock
};

}  // namespace mp::detail::manager
