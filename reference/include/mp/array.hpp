#pragma once
/// @file
/// @brief `mp::RawArray` and mp::Array: a fixed-size array of T in memory shared
/// with child processes (Python's `sharedctypes.RawArray` and `multiprocessing.Array`).
///
/// Python's example, in C++:
/// @code
/// void f(mp::Value<double> n, mp::Array<int> a) {
///   n.set_value(3.1415927);
///   for (std::size_t i = 0; i < a.size(); ++i) a[i] = -a[i];
/// }
///
/// int main() {
///   mp::Value<double> num(0.0);
///   mp::Array<int> arr{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};   // Python: Array('i', range(10))
///   mp::Process p(f, num, arr);          // copies of the handles share the memory
///   p.start();
///   p.join();
///   std::cout << num.value() << '\n';    // 3.1415927
///   for (int x : arr.to_vector()) std::cout << x << ' ';   // 0 -1 -2 ... -9
/// }
/// @endcode
///
/// **Handles.** An array is a handle: copies share the same elements, which
/// live in an anonymous `MAP_SHARED` mapping. Make it before
/// `mp::Process::start()`; the forked child uses its inherited copy. The size
/// is fixed at construction. The mapping has no name and cannot leak: the
/// kernel frees it when the last process that maps it exits.
///
/// **Element access does not lock, unlike Python.** `a[i]`, at(), the
/// iterators, data() and span() are plain memory accesses on both RawArray and
/// Array. Python's locking Array takes its lock on *every* `a[i]`, which is
/// why negating a million elements in a child takes about 800 ms there against
/// a few milliseconds here (~300×), and it still does not make `a[i] = -a[i]`
/// atomic (that is a read and a write, two lockings). Here you lock once
/// around the whole compound operation:
/// @code
/// { std::lock_guard g(arr.get_lock()); for (auto& x : arr) x = -x; }
/// @endcode
/// Accesses that other processes may race with must be under get_lock() (or
/// another lock you choose); otherwise they are a data race.
///
/// **Why T must be trivially copyable.** As for mp::Value: the elements are
/// raw bytes that every process reads directly, so T must not own pointers or
/// heap memory (no `std::string`, no `std::vector`).
///
/// **No atomics.** The elements are plain memory; Array's lock (a
/// process-shared pthread mutex: lock is an acquire, unlock a release) orders
/// the accesses made under it.
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mp/detail/shared_region.hpp"
#include "mp/detail/shared_type.hpp"
#include "mp/error.hpp"
#include "mp/lock.hpp"
#include "mp/timeout.hpp"
#include "mp/value.hpp"

namespace mp {

/// A fixed-size array of T in shared memory, without a lock (Python's
/// `multiprocessing.RawArray`, or `Array(..., lock=False)`).
///
/// Construction (Python's `size_or_initializer`):
/// - `RawArray<int> a(10)`: ten elements, value-initialised (zero for numbers
///   and plain structs, as Python zero-fills);
/// - `RawArray<int> a{1, 2, 3}`: from an initializer list. Beware the
///   std::vector trap: `a{10}` is one element 10, `a(10)` is ten zeros;
/// - `RawArray<int> a(range)` / `a(first, last)`: a copy of the values of
///   any input range or iterator pair (`std::vector`, `std::array`, a view,
///   `std::istream_iterator`s, ...).
///
/// Process/thread safety: none beyond the memory itself (see the file's notes).
/// Nothing blocks; only construction and at() throw.
template <class T>
class RawArray {
  static_assert(detail::RequireSharedType<T>::value);
  static_assert(alignof(T) <= 4096,
                "mp::RawArray<T>: T is aligned beyond a page, which a mapping cannot promise");

public:
  /// @name Container types
  /// The member types of a standard contiguous container, so that the array
  /// works with std algorithms and ranges.
  //! @{
  using value_type = T;  ///< As std::vector's: the element type T; iterators are plain pointers.
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using const_reference = const T&;
  using pointer = T*;
  using const_pointer = const T*;
  using iterator = T*;
  using const_iterator = const T*;
  //! @}

  /// `n` value-initialised elements (Python's `RawArray(typecode, n)`).
  /// @throws mp::ValueError when n * sizeof(T) overflows; std::system_error from mmap.
  explicit RawArray(std::size_t n) requires std::default_initializable<T> : data_(allocate(n)), size_(n) {
    // The fresh mapping is zero bytes, which already is T{} unless T's
    // default constructor does something (default member initialisers).
    if constexpr (!std::is_trivially_default_constructible_v<T>)
      std::uninitialized_value_construct_n(data_.get(), n);
  }

  /// The given values, in order (Python's `RawArray(typecode, [1, 2, 3])`).
  RawArray(std::initializer_list<T> init) : RawArray(init.begin(), init.end()) {}

  /// A copy of the values of `range`, converted to T.
  template <std::ranges::input_range R>
  requires(!std::same_as<std::remove_cvref_t<R>, RawArray> &&
           std::convertible_to<std::ranges::range_reference_t<R>, T>) explicit RawArray(R&& range)
      : RawArray(std::ranges::begin(range), std::ranges::end(range)) {}

  /// A copy of the values in [first, last), converted to T.
  template <std::input_iterator It, std::sentinel_for<It> S>
  requires std::convertible_to<std::iter_reference_t<It>, T> RawArray(It first, S last) {
    if constexpr (std::forward_iterator<It> || std::sized_sentinel_for<S, It>) {
      const auto n = static_cast<std::size_t>(std::ranges::distance(first, last));
      fill(std::move(first), n);
    } else {  // single pass: the count is known only once it is consumed
      std::vector<T> values;
      for (; first != last; ++first) values.push_back(static_cast<T>(*first));
      fill(values.cbegin(), values.size());
    }
  }

  //! @{
  /// Element `i`, unchecked and unlocked (Python's `a[i]`; see the file's notes).
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return data_.get()[i]; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data_.get()[i]; }
  //! @}

  //! @{
  /// Element `i`, checked (Python raises IndexError), unlocked.
  /// @throws std::out_of_range when `i >= size()`, as std::vector::at does.
  [[nodiscard]] T& at(std::size_t i) { return data_.get()[check(i)]; }
  [[nodiscard]] const T& at(std::size_t i) const { return data_.get()[check(i)]; }
  //! @}

  /// The number of elements, fixed at construction (Python's `len(a)`).
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Whether size() is 0.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  //! @{
  /// The first element's address in this process's mapping (the same
  /// elements, usually at another address, in other processes); unlocked.
  [[nodiscard]] T* data() noexcept { return data_.get(); }
  [[nodiscard]] const T* data() const noexcept { return data_.get(); }
  //! @}
  //! @{
  /// Iterators over the elements (plain pointers), for range-for and std
  /// algorithms; unlocked: on an mp::Array, hold get_lock() around a loop
  /// that must see a consistent array.
  [[nodiscard]] T* begin() noexcept { return data_.get(); }
  [[nodiscard]] T* end() noexcept { return data_.get() + size_; }
  [[nodiscard]] const T* begin() const noexcept { return data_.get(); }
  [[nodiscard]] const T* end() const noexcept { return data_.get() + size_; }
  //! @}
  //! @{
  /// All elements as a span (Python's `memoryview(a)`); unlocked.
  [[nodiscard]] std::span<T> span() noexcept { return {data_.get(), size_}; }
  [[nodiscard]] std::span<const T> span() const noexcept { return {data_.get(), size_}; }
  //! @}

  /// A private copy of all elements (Python's `a[:]`). Unlocked here; Array's takes its lock.
  [[nodiscard]] std::vector<T> to_vector() const { return std::vector<T>(begin(), end()); }

private:
  // The elements start the shared mapping; the returned pointer keeps the
  // mapping alive (shared_ptr aliasing) and unmaps it with the last handle of
  // this process. T is trivially destructible, so nothing is destroyed.
  static std::shared_ptr<T> allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
      throw ValueError("mp::RawArray/mp::Array: " + std::to_string(n) + " elements of " +
                       std::to_string(sizeof(T)) + " bytes do not fit in memory");
    auto region = std::make_shared<detail::SharedRegion>(n * sizeof(T));
    T* first = static_cast<T*>(region->data());
    return std::shared_ptr<T>(std::move(region), first);
  }

  template <class It>
  void fill(It first, std::size_t n) {
    data_ = allocate(n);
    size_ = n;
    for (std::size_t i = 0; i < n; ++i, ++first) std::construct_at(data_.get() + i, static_cast<T>(*first));
  }

  std::size_t check(std::size_t i) const {
    if (i >= size_)
      throw std::out_of_range("mp::Array index " + std::to_string(i) + " out of range (size " +
                              std::to_string(size_) + ")");
    return i;
  }

  std::shared_ptr<T> data_;  // into the shared mapping; copies of the handle share it
  std::size_t size_ = 0;
};

/// A fixed-size array of T in shared memory with its own process-shared lock
/// (Python's `multiprocessing.Array(typecode, size_or_initializer, lock=True)`).
///
/// Constructors as RawArray's, each with an optional trailing mp::Lock to
/// share one lock among several objects (Python's `lock=` argument).
///
/// **What locks.** get_lock() (or lock()/unlock() on the array itself, so
/// `std::lock_guard g(arr)` works), and to_vector(), which copies a consistent
/// snapshot under the lock like Python's `a[:]`. Element access (`a[i]`,
/// at(), iterators, data(), span()) does **not** lock: hold get_lock()
/// around accesses that other processes may race with (see the file's notes).
///
/// **Lock, not RLock.** Python's Array defaults to an `RLock`; ours is an
/// mp::Lock: to_vector() while the same thread holds get_lock() raises
/// mp::Error (it would deadlock). A process killed while holding the lock
/// hands it on: the next holder sees `get_lock().owner_died()`.
///
/// | state    | to_vector()/lock()                   | try_lock()   |
/// |----------|--------------------------------------|--------------|
/// | unlocked | take the lock (and copy, release)    | true, locked |
/// | locked   | block until released (or owner died) | false        |
///
/// **What it is made of.** An Array *is* a RawArray (the elements, their
/// access and the container types, all unlocked) plus a lock
/// (mp::SynchronizedBase: get_lock(), acquire(), lock(), ...); get_obj()
/// returns the RawArray part.
///
/// Process/thread safety: every member may be called from any thread of any
/// process that holds a handle; element access is safe under get_lock().
template <class T>
class Array : public RawArray<T>, public SynchronizedBase {
public:
  /// `n` value-initialised elements (zero for numbers) and a lock.
  /// @throws mp::ValueError when n * sizeof(T) overflows; std::system_error from mmap.
  explicit Array(std::size_t n, Lock lock = Lock()) requires std::default_initializable<T>
      : RawArray<T>(n), SynchronizedBase(std::move(lock)) {}
  /// The given values, in order, and a lock. `Array<int>{10}` is one element 10.
  Array(std::initializer_list<T> init, Lock lock = Lock())
      : RawArray<T>(init), SynchronizedBase(std::move(lock)) {}
  /// A copy of the values of `range`, converted to T, and a lock. A copy
  /// also when `range` is another shared array (a RawArray, get_obj()).
  template <std::ranges::input_range R>
  requires(!std::same_as<std::remove_cvref_t<R>, Array> &&
           std::convertible_to<std::ranges::range_reference_t<R>, T>) explicit Array(R&& range,
                                                                                     Lock lock = Lock())
      : RawArray<T>(std::ranges::begin(range), std::ranges::end(range)), SynchronizedBase(std::move(lock)) {}
  /// A copy of the values in [first, last), converted to T, and a lock.
  template <std::input_iterator It, std::sentinel_for<It> S>
  requires std::convertible_to<std::iter_reference_t<It>, T> Array(It first, S last, Lock lock = Lock())
      : RawArray<T>(std::move(first), std::move(last)), SynchronizedBase(std::move(lock)) {}

  /// A private copy of all elements, taken under the lock (Python's `a[:]`).
  /// Blocks while another thread or process holds the lock.
  [[nodiscard]] std::vector<T> to_vector() const {
    std::lock_guard g(get_lock());
    return RawArray<T>::to_vector();
  }

  //! @{
  /// The unlocked array underneath (Python's `get_obj()`): a handle to the same elements.
  [[nodiscard]] RawArray<T>& get_obj() noexcept { return *this; }
  [[nodiscard]] const RawArray<T>& get_obj() const noexcept { return *this; }
  //! @}
};

}  // namespace mp
