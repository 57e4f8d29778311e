#pragma once
/// @file
/// @brief The proxies of mp::Manager's containers: mp::BaseProxy,
/// mp::DictProxy, mp::ListProxy, mp::ArrayProxy, mp::ValueProxy,
/// mp::NamespaceProxy (Python's `BaseProxy`, `DictProxy`, `ListProxy`,
/// `ArrayProxy`, `ValueProxy`, `NamespaceProxy`);
/// the locks, events, queues and the like are in mp/sync_proxy.hpp.
///
/// A proxy names an object that lives in a manager's server process: its
/// address, the auth key, and the object's id. Every method is one round trip
/// to the manager (the calling thread's connection, see
/// mp/detail/manager_link.hpp; for a manager on the same machine, a
/// shared-memory channel, mp/detail/manager_channel.hpp: about a microsecond
/// instead of a socket's tens) and blocks until the manager answers; the
/// object's own exceptions come back with their type (a missing key is
/// std::out_of_range "KeyError: 3", as Python's KeyError). Proxies are values:
/// copy them, capture them in a child's function (forked before or after they
/// were made), send them through an mp::Queue or mp::Pipe (they serialize as
/// address, key and id, so only send them to processes you trust with the key).
///
/// **Nested objects are copies.** `d[k]` returns a copy of the value: changing
/// the copy does not change the dict (Python's classic surprise with
/// `d['list'].append(x)`); read, change, and store it back with `d[k] = v`.
///
/// **A manager that is gone** (shut down, or killed) makes every call raise
/// mp::ProcessError at once: its connections close with it, so nothing waits.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mp/detail/managed_types.hpp"
#include "mp/detail/manager_link.hpp"
#include "mp/listener.hpp"
#include "mp/pickle.hpp"
#include "mp/repr.hpp"
#include "mp/timeout.hpp"

namespace mp {

/// What every proxy has: where its object lives (Python's `BaseProxy`).
class BaseProxy {
public:
  /// An empty proxy (no object): calls raise mp::ValueError.
  BaseProxy() = default;
  /// A proxy on object `id` of the manager at `address`.
  BaseProxy(Address address, std::string authkey, std::uint64_t id)
      : address_(std::move(address)), authkey_(std::move(authkey)), id_(id) {}

  /// The manager's address.
  [[nodiscard]] const Address& address() const noexcept { return address_; }
  /// The object's id in its manager.
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  /// Whether it names an object.
  [[nodiscard]] bool valid() const noexcept { return id_ != 0; }

  /// Serialization (mp/pickle.hpp): the address as text, the key, the id.
  template <class Archive>
  void save(Archive& ar) const {
    ar(address_.to_string(), authkey_, id_);
  }
  /// Serialization: the inverse of save().
  template <class Archive>
  void load(Archive& ar) {
    std::string address;
    ar(address, authkey_, id_);
    address_ = Address::parse(address);
  }

protected:
  /// Calls `method(args...)` on the object and returns its result.
  template <class R, class... A>
  R call(std::string_view method, const A&... args) const {
    return call_encoded<R>(method, mp::dumps(std::tuple<std::decay_t<A>...>(args...)));
  }
  /// Calls `method` with arguments already encoded (a std::tuple's bytes).
  template <class R>
  R call_encoded(std::string_view method, const std::string& args) const {
    if (id_ == 0) throw ValueError("mp: an empty proxy (default-constructed or moved from)");
    const std::string bytes =
        detail::manager::round_trip(address_, authkey_, detail::manager::Op::call, id_, method, args);
    if constexpr (!std::is_void_v<R>) return mp::loads<R>(bytes);
  }

private:
  Address address_ = Address::abstract("none");
  std::string authkey_;
  std::uint64_t id_ = 0;
};

/// A dict in a manager (Python's `manager.dict()`): keys of type K, values of
/// type V, iteration in insertion order. For Python's mixed types use mp::Scalar.
template <class K, class V>
class DictProxy : public BaseProxy {
public:
  /// The server-side type.
  using Managed = detail::manager::ManagedDict<K, V>;
  using BaseProxy::BaseProxy;

  /// `d[k]`: reads the value (KeyError as std::out_of_range) or, assigned to, stores one.
  class Item {
  public:
    /// The item at `k` of `d` (made by DictProxy::operator[]).
    Item(const DictProxy& d, K k) : d_(d), k_(std::move(k)) {}
    /// Python's `d[k]` in an expression. @throws std::out_of_range when missing.
    operator V() const { return d_.at(k_); }  // NOLINT(google-explicit-constructor): d[k] reads as a V
    /// Python's `d[k] = v`.
    Item& operator=(const V& v) {
      d_.set(k_, v);
      return *this;
    }

  private:
    const DictProxy& d_;
    K k_;
  };
  /// Python's `d[k]` (read or assign).
  Item operator[](const K& k) const { return Item(*this, k); }

  /// The value for `k`. @throws std::out_of_range ("KeyError: k") when missing.
  V at(const K& k) const { return this->template call<V>("getitem", k); }
  /// The value for `k`, or nullopt (Python's `d.get(k)`).
  std::optional<V> get(const K& k) const { return this->template call<std::optional<V>>("get", k); }
  /// Stores `v` at `k` (Python's `d[k] = v`).
  void set(const K& k, const V& v) const { this->template call<void>("setitem", k, v); }
  /// Python's `k in d`.
  [[nodiscard]] bool contains(const K& k) const { return this->template call<bool>("contains", k); }
  /// Python's `del d[k]`. @throws std::out_of_range when missing.
  void erase(const K& k) const { this->template call<void>("delitem", k); }
  /// Removes `k` and returns its value (Python's `d.pop(k)`). @throws std::out_of_range when missing.
  V pop(const K& k) const { return this->template call<V>("pop", k); }
  /// The value at `k`, storing `v` there first if missing (Python's `setdefault`).
  V setdefault(const K& k, const V& v) const { return this->template call<V>("setdefault", k, v); }
  /// Stores every pair, in order (Python's `d.update(...)`).
  void update(const std::vector<std::pair<K, V>>& items) const { this->template call<void>("update", items); }
  /// The number of keys (Python's `len(d)`).
  [[nodiscard]] std::size_t size() const {
    return static_cast<std::size_t>(this->template call<std::uint64_t>("len"));
  }
  /// Every pair in insertion order (Python's `list(d.items())`): a copy.
  [[nodiscard]] std::vector<std::pair<K, V>> items() const {
    return this->template call<std::vector<std::pair<K, V>>>("items");
  }
  /// The keys in insertion order.
  [[nodiscard]] std::vector<K> keys() const {
    std::vector<K> out;
    for (auto& kv : items()) out.push_back(std::move(kv.first));
    return out;
  }
  /// The values in insertion order.
  [[nodiscard]] std::vector<V> values() const {
    std::vector<V> out;
    for (auto& kv : items()) out.push_back(std::move(kv.second));
    return out;
  }
  /// Removes every key.
  void clear() const { this->template call<void>("clear"); }
  /// Python's `print(d)`: `{1: '1', '2': 2, 0.25: None}`.
  friend std::ostream& operator<<(std::ostream& os, const DictProxy& d) { return os << repr_dict(d.items()); }
};

/// A list in a manager (Python's `manager.list()`). Indices may be negative.
template <class T>
class ListProxy : public BaseProxy {
public:
  /// The server-side type.
  using Managed = detail::manager::ManagedList<T>;
  using BaseProxy::BaseProxy;

  /// `l[i]`: reads the item (IndexError as std::out_of_range) or, assigned to, stores one.
  class Item {
  public:
    /// The item at `i` of `l` (made by ListProxy::operator[]).
    Item(const ListProxy& l, std::int64_t i) : l_(l), i_(i) {}
    /// Python's `l[i]` in an expression.
    operator T() const { return l_.at(i_); }  // NOLINT(google-explicit-constructor): l[i] reads as a T
    /// Python's `l[i] = v`.
    Item& operator=(const T& v) {
      l_.set(i_, v);
      return *this;
    }

  private:
    const ListProxy& l_;
    std::int64_t i_;
  };
  /// Python's `l[i]` (read or assign).
  Item operator[](std::int64_t i) const { return Item(*this, i); }

  /// The item at `i`. @throws std::out_of_range ("IndexError: ...").
  T at(std::int64_t i) const { return this->template call<T>("getitem", i); }
  /// Stores `v` at `i`. @throws std::out_of_range.
  void set(std::int64_t i, const T& v) const { this->template call<void>("setitem", i, v); }
  /// Python's `l.append(v)`.
  void append(const T& v) const { this->template call<void>("append", v); }
  /// Python's `l.extend(vs)`.
  void extend(const std::vector<T>& vs) const { this->template call<void>("extend", vs); }
  /// Python's `l.insert(i, v)`.
  void insert(std::int64_t i, const T& v) const { this->template call<void>("insert", i, v); }
  /// Removes and returns the item at `i` (Python's `l.pop(i=-1)`).
  T pop(std::int64_t i = -1) const { return this->template call<T>("pop", i); }
  /// Python's `del l[i]`.
  void erase(std::int64_t i) const { this->template call<void>("delitem", i); }
  /// Python's `l.reverse()`.
  void reverse() const { this->template call<void>("reverse"); }
  /// Python's `l.sort(reverse=...)` (stable).
  void sort(bool reverse = false) const { this->template call<void>("sort", reverse); }
  /// Removes every item.
  void clear() const { this->template call<void>("clear"); }
  /// Python's `len(l)`.
  [[nodiscard]] std::size_t size() const {
    return static_cast<std::size_t>(this->template call<std::uint64_t>("len"));
  }
  /// Every item (Python's `list(l)` or `l[:]`): a copy.
  [[nodiscard]] std::vector<T> items() const { return this->template call<std::vector<T>>("items"); }
  /// Python's `print(l)`: `[9, 8, 7]`.
  friend std::ostream& operator<<(std::ostream& os, const ListProxy& l) { return os << repr(l.items()); }
};

/// A fixed-size array in a manager (Python's `manager.Array(typecode, sequence)`).
template <class T>
class ArrayProxy : public BaseProxy {
public:
  /// The server-side type.
  using Managed = detail::manager::ManagedArray<T>;
  using BaseProxy::BaseProxy;
  /// The item at `i` (negative from the end). @throws std::out_of_range ("IndexError: ...").
  T at(std::int64_t i) const { return this->template call<T>("getitem", i); }
  /// Stores `v` at `i`. @throws std::out_of_range.
  void set(std::int64_t i, const T& v) const { this->template call<void>("setitem", i, v); }
  /// Python's `len(a)`.
  [[nodiscard]] std::size_t size() const {
    return static_cast<std::size_t>(this->template call<std::uint64_t>("len"));
  }
  /// Every item (Python's `a[:]`): a copy.
  [[nodiscard]] std::vector<T> items() const { return this->template call<std::vector<T>>("items"); }
  /// Replaces every item at once (Python's `a[:] = vs`). @throws mp::ValueError for another length.
  void assign(const std::vector<T>& vs) const { this->template call<void>("assign", vs); }
  /// Python's `print(a[:])`.
  friend std::ostream& operator<<(std::ostream& os, const ArrayProxy& a) { return os << repr(a.items()); }
};

/// One value in a manager (Python's `manager.Value(typecode, value)`).
template <class T>
class ValueProxy : public BaseProxy {
public:
  /// The server-side type.
  using Managed = detail::manager::ManagedValue<T>;
  using BaseProxy::BaseProxy;
  /// Python's `v.value` (read).
  [[nodiscard]] T get() const { return this->template call<T>("get"); }
  /// Python's `v.value = x`.
  void set(const T& x) const { this->template call<void>("set", x); }
};

/// A namespace in a manager (Python's `manager.Namespace()`): named fields,
/// each of any serialisable type. A field read as another type than it was
/// stored raises mp::ValueError; a missing one std::out_of_range
/// ("AttributeError: ..."). Printing gives Python's `Namespace(x=1, y='a')`.
class NamespaceProxy : public BaseProxy {
public:
  /// The server-side type.
  using Managed = detail::manager::ManagedNamespace;
  using BaseProxy::BaseProxy;

  /// Python's `ns.name` (read), as a T.
  /// @throws std::out_of_range when there is no such field; mp::ValueError when it holds another type.
  template <class T>
  T get(const std::string& name) const {
    const auto [type, bytes] = this->template call<std::tuple<std::string, std::string>>("getattr", name);
    if (type != detail::manager::name_of<T>()) {
      throw ValueError("Namespace." + name + " holds a " + type + ", not a " + detail::manager::name_of<T>());
    }
    return mp::loads<T>(bytes);
  }
  /// Python's `ns.name = value`.
  template <class T>
  void set(const std::string& name, const T& value) const {
    std::string shown;
    if constexpr (requires { mp::repr(value); }) {
      shown = mp::repr(value);
    } else {
      shown = "<" + detail::manager::name_of<T>() + ">";
    }
    this->template call<void>("setattr", name, detail::manager::name_of<T>(), mp::dumps(value), shown);
  }
  /// Python's `del ns.name`. @throws std::out_of_range when there is no such field.
  void erase(const std::string& name) const { this->template call<void>("delattr", name); }
  /// Python's `hasattr(ns, name)`.
  [[nodiscard]] bool contains(const std::string& name) const {
    return this->template call<bool>("hasattr", name);
  }
  /// Python's `print(ns)`: `Namespace(x=1, y='a')`, fields in the order first set.
  friend std::ostream& operator<<(std::ostream& os, const NamespaceProxy& n) {
    return os << n.template call<std::string>("repr");
  }
};

}  // namespace mp
