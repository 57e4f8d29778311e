#pragma once
/// @file
/// @brief The runtime's "pickle": how values cross a process boundary.
///
/// Python pickles every object it sends through a Queue, a Pipe or to a Pool
/// worker. The runtime does the same with `mp::dumps` / `mp::loads`, built on
/// [cereal](https://uscilab.github.io/cereal/) with a bounds-checked binary
/// archive of our own (mp::detail::ByteWriter / ByteReader).
///
/// **What can be sent**
/// - arithmetic types, `std::string`, and every standard type cereal knows
///   when its header is included here: `std::vector`, `std::array`, `std::map`,
///   `std::unordered_map`, `std::set`, `std::pair`, `std::tuple`,
///   `std::optional`, `std::variant`, `std::chrono` durations;
/// - **trivially copyable structs** without further ado: they travel as their
///   bytes (the fast path; also used for a top-level `std::string`, which
///   travels as its characters with no length prefix);
/// - **any other struct** through cereal's one hook, a `serialize` member:
///   @code
///   struct Order {
///     std::string item;
///     std::vector<int> quantities;
///     template <class Archive> void serialize(Archive& ar) { ar(item, quantities); }
///   };
///   @endcode
///   A trivially copyable struct that declares `serialize` uses it instead of
///   the bitwise path: do that for types with invariants (a `bool` member, an
///   enum with few valid values), whose bytes from an untrusted peer must be checked.
///
/// **Decoding is safe on any input.** Truncated, malformed or foreign bytes raise
/// mp::SerializationError, never undefined behaviour nor `std::bad_alloc`: every
/// read is bounds-checked, a `bool` must be 0 or 1, a variant index must exist,
/// and bytes left over after the value are an error too. The memory a decode
/// takes follows the input, not what the input announces: a container that
/// announces n elements must have at least n times the smallest encoding of
/// one element left (8 bytes for a string or container, `sizeof` for numbers
/// and bitwise structs, N times the element's for a `std::array`, the sum for a
/// pair or tuple, ...), and it reserves no more memory than the bytes that
/// remain before its elements are decoded, growing as they arrive. (A value
/// may still legitimately take more memory than its encoding: 4 KiB for each
/// 1-byte empty `std::optional<std::array<char, 4096>>`.)
///
/// Python: `pickle.dumps(obj)` / `pickle.loads(data)`.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include <cereal/cereal.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include "mp/error.hpp"

namespace mp::detail {

/// cereal output archive appending raw bytes to a std::string.
class ByteWriter : public cereal::OutputArchive<ByteWriter, cereal::AllowEmptyClassElision> {
public:
  explicit ByteWriter(std::string& out)
      : cereal::OutputArchive<ByteWriter, cereal::AllowEmptyClassElision>(this), out_(&out) {}
  void write(const void* data, std::size_t n) {
    if (n != 0) out_->append(static_cast<const char*>(data), n);  // data may be null when n == 0
  }

private:
  std::string* out_;
};

/// cereal input archive over a byte view; every read is bounds-checked.
class ByteReader : public cereal::InputArchive<ByteReader, cereal::AllowEmptyClassElision> {
public:
  explicit ByteReader(std::string_view in)
      : cereal::InputArchive<ByteReader, cereal::AllowEmptyClassElision>(this), in_(in) {}

  void read(void* data, std::size_t n) {
    if (n == 0) return;  // data may be null (an empty vector): memcpy must not see it
    if (n > in_.size() - pos_) {
      throw SerializationError("truncated message: needed " + std::to_string(n) + " more bytes, " +
                               std::to_string(in_.size() - pos_) + " left");
    }
    std::memcpy(data, in_.data() + pos_, n);
    pos_ += n;
  }
  [[nodiscard]] std::size_t remaining() const noexcept { return in_.size() - pos_; }

private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

template <class T>
concept Arithmetic = std::is_arithmetic_v<T>;

template <class T, template <class...> class Template>
inline constexpr bool is_instance_of = false;
template <template <class...> class Template, class... Args>
inline constexpr bool is_instance_of<Template<Args...>, Template> = true;
template <class T>
inline constexpr bool is_std_array = false;
template <class T, std::size_t N>
inline constexpr bool is_std_array<std::array<T, N>> = true;

// Standard and cereal class templates that cereal serializes itself, some of
// which are trivially copyable (std::optional<int>, std::array<int, 4>,
// cereal's own wrappers): they must not take the bitwise path too.
template <class T>
inline constexpr bool cereal_knows =
    is_std_array<T> || is_instance_of<T, std::optional> || is_instance_of<T, std::pair> ||
    is_instance_of<T, std::tuple> || is_instance_of<T, std::variant> ||
    is_instance_of<T, std::chrono::duration> || is_instance_of<T, std::chrono::time_point> ||
    is_instance_of<T, cereal::BinaryData> || is_instance_of<T, cereal::NameValuePair> ||
    is_instance_of<T, cereal::SizeTag>;

// A struct that names its own cereal hook (the documented `serialize` member,
// or cereal's other forms) never takes the bitwise path.
template <class T>
concept HasCerealHook = requires(T& t, ByteWriter& w, ByteReader& r) {
  requires(
      requires { t.serialize(w); } || requires { t.save(w); } || requires { t.load(r); } ||
      requires { serialize(w, t); });
};

/// Types that travel as their bytes: trivially copyable class types without a hook.
template <class T>
concept Bitwise =
    std::is_trivially_copyable_v<T> && std::is_class_v<T> && !cereal_knows<T> && !HasCerealHook<T>;

// ---- the archive's primitives (cereal finds these by ADL on the archive type) ----

template <Arithmetic T>
void CEREAL_SAVE_FUNCTION_NAME(ByteWriter& ar, const T& t) {
  ar.write(&t, sizeof t);
}
template <Arithmetic T>
void CEREAL_LOAD_FUNCTION_NAME(ByteReader& ar, T& t) {
  if constexpr (std::is_same_v<T, bool>) {
    unsigned char byte = 0;  // a bool holding any other byte is UB: check it
    ar.read(&byte, 1);
    if (byte > 1) throw SerializationError("malformed message: bool byte is " + std::to_string(byte));
    t = byte == 1;
  } else {
    ar.read(&t, sizeof t);
  }
}

template <Bitwise T>
void CEREAL_SAVE_FUNCTION_NAME(ByteWriter& ar, const T& t) {
  ar.write(&t, sizeof t);
}
template <Bitwise T>
void CEREAL_LOAD_FUNCTION_NAME(ByteReader& ar, T& t) {
  ar.read(&t, sizeof t);
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(ByteWriter& ar, const cereal::BinaryData<T>& bd) {
  ar.write(bd.data, static_cast<std::size_t>(bd.size));
}
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(ByteReader& ar, cereal::BinaryData<T>& bd) {
  ar.read(bd.data, static_cast<std::size_t>(bd.size));
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(ByteWriter& ar, const cereal::NameValuePair<T>& nvp) {
  ar(nvp.value);
}
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(ByteReader& ar, cereal::NameValuePair<T>& nvp) {
  ar(nvp.value);
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(ByteWriter& ar, const cereal::SizeTag<T>& tag) {
  ar(tag.size);
}
// Every element takes at least one byte on the wire (empty structs excepted),
// so a size larger than what is left is malformed: refuse it before the
// container allocates. The containers below refine this with their element's
// smallest encoding (read_count).
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(ByteReader& ar, cereal::SizeTag<T>& tag) {
  ar(tag.size);
  if (tag.size > ar.remaining()) {
    throw SerializationError("malformed message: a container announces " + std::to_string(tag.size) +
                             " elements but only " + std::to_string(ar.remaining()) + " bytes remain");
  }
}

// ---- memory in proportion to the input ----

template <class T>
consteval std::size_t min_encoded_size();

template <class Tuple, std::size_t... I>
consteval std::size_t min_encoded_size_of_all(std::index_sequence<I...>) {
  return (std::size_t{0} + ... + min_encoded_size<std::tuple_element_t<I, Tuple>>());
}

template <class... Alternatives>
consteval std::size_t min_encoded_size_of_any(std::variant<Alternatives...>*) {
  return std::min({min_encoded_size<Alternatives>()...});
}

/// A lower bound on the bytes that one encoded T takes in this archive; 0
/// where unknown (a user's `serialize` may write nothing). Never more than
/// the truth, or valid messages would be refused.
template <class T>
consteval std::size_t min_encoded_size() {
  using U = std::remove_cv_t<T>;
  if constexpr (Arithmetic<U> || Bitwise<U>) {
    return sizeof(U);  // written whole
  } else if constexpr (is_std_array<U>) {
    return std::tuple_size_v<U> * min_encoded_size<typename U::value_type>();  // no size tag
  } else if constexpr (is_instance_of<U, std::pair> || is_instance_of<U, std::tuple>) {
    return min_encoded_size_of_all<U>(std::make_index_sequence<std::tuple_size_v<U>>{});
  } else if constexpr (is_instance_of<U, std::optional>) {
    return 1;  // the engaged flag
  } else if constexpr (is_instance_of<U, std::variant>) {
    return sizeof(std::int32_t) + min_encoded_size_of_any(static_cast<U*>(nullptr));  // index, alternative
  } else if constexpr (is_instance_of<U, std::chrono::duration>) {
    return min_encoded_size<typename U::rep>();
  } else if constexpr (is_instance_of<U, std::basic_string> || is_instance_of<U, std::vector> ||
                       is_instance_of<U, std::map> || is_instance_of<U, std::multimap> ||
                       is_instance_of<U, std::set> || is_instance_of<U, std::multiset> ||
                       is_instance_of<U, std::unordered_map> || is_instance_of<U, std::unordered_multimap> ||
                       is_instance_of<U, std::unordered_set> || is_instance_of<U, std::unordered_multiset>) {
    return sizeof(cereal::size_type);  // the size tag
  } else {
    return 0;
  }
}

/// Reads a container's size tag: n elements, each at least
/// min_encoded_size<Element>() bytes, must fit in what remains.
/// @throws SerializationError when they cannot.
template <class Element>
std::size_t read_count(ByteReader& ar) {
  cereal::size_type n = 0;
  ar(cereal::make_size_tag(n));  // n <= remaining: one byte per element
  constexpr std::size_t min_size = min_encoded_size<Element>();
  if constexpr (min_size > 1) {
    if (n > ar.remaining() / min_size) {
      throw SerializationError("malformed message: a container announces " + std::to_string(n) +
                               " elements of at least " + std::to_string(min_size) +
                               " bytes each, but only " + std::to_string(ar.remaining()) + " bytes remain");
    }
  }
  return static_cast<std::size_t>(n);
}

/// How many of n announced elements of `element_size` bytes a container may
/// reserve before decoding them: no more memory than the bytes that remain
/// (or a page), so that an element whose encoding is much smaller than its
/// size in memory cannot make a short input allocate much. Past that, the
/// container grows geometrically as elements actually decode.
inline std::size_t reservable(std::size_t n, std::size_t element_size, std::size_t remaining) {
  return std::min(n, std::max<std::size_t>(remaining, 4096) / element_size);
}

// These loads replace cereal's for this archive (more specialized, so overload
// resolution prefers them): cereal's resize or reserve to the announced size
// at once, which allocates n * sizeof(element) before one element is read.

// std::basic_string of characters: n characters are n * sizeof(CharT) bytes.
template <Arithmetic CharT, class Traits, class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(ByteReader& ar, std::basic_string<CharT, Traits, Alloc>& str) {
  const std::size_t n = read_count<CharT>(ar);
  str.resize(n);
  ar.read(str.data(), n * sizeof(CharT));
}

// std::vector (std::vector<bool> keeps cereal's: one byte per bit on the wire).
template <class T, class A>
requires(!std::is_same_v<T, bool>) void CEREAL_LOAD_FUNCTION_NAME(ByteReader& ar, std::vector<T, A>& vector) {
  const std::size_t n = read_count<T>(ar);
  if constexpr (Arithmetic<T> || Bitwise<T>) {  // n * sizeof(T) bytes, checked above: one copy
    vector.resize(n);
    ar.read(vector.data(), n * sizeof(T));
  } else {
    vector.clear();
    vector.reserve(reservable(n, sizeof(T), ar.remaining()));
    for (std::size_t i = 0; i < n; ++i) ar(vector.emplace_back());
  }
}

template <class Set>
void load_unordered_set(ByteReader& ar, Set& set) {
  const std::size_t n = read_count<typename Set::key_type>(ar);
  set.clear();
  set.reserve(reservable(n, sizeof(void*) + sizeof(typename Set::key_type), ar.remaining()));  // bucket + key
  for (std::size_t i = 0; i < n; ++i) {
    typename Set::key_type key{};
    ar(key);
    set.emplace(std::move(key));
  }
}

// std::unordered_set and std::unordered_multiset (cereal reserves n buckets at
// once; the maps and ordered containers insert as elements decode already).
template <class K, class H, class E, class A>
void CEREAL_LOAD_FUNCTION_NAME(ByteReader& ar, std::unordered_set<K, H, E, A>& set) {
  load_unordered_set(ar, set);
}
template <class K, class H, class E, class A>
void CEREAL_LOAD_FUNCTION_NAME(ByteReader& ar, std::unordered_multiset<K, H, E, A>& set) {
  load_unordered_set(ar, set);
}

}  // namespace mp::detail

CEREAL_REGISTER_ARCHIVE(mp::detail::ByteWriter)
CEREAL_REGISTER_ARCHIVE(mp::detail::ByteReader)
CEREAL_SETUP_ARCHIVE_TRAITS(mp::detail::ByteReader, mp::detail::ByteWriter)

namespace mp {

/// Types that a top-level dumps/loads sends as raw bytes with no framing.
template <class T>
concept RawBytes = std::is_same_v<T, std::string> || detail::Bitwise<T> || detail::Arithmetic<T>;

/// Appends the encoding of `value` to `out`.
template <class T>
void dump(const T& value, std::string& out) {
  if constexpr (std::is_same_v<T, std::string>) {
    out.append(value);
  } else if constexpr (detail::Bitwise<T> || (detail::Arithmetic<T> && !std::is_same_v<T, bool>)) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
  } else {
    detail::ByteWriter ar(out);
    ar(value);
  }
}

/// Encodes `value` (Python: `pickle.dumps(value)`).
template <class T>
[[nodiscard]] std::string dumps(const T& value) {
  std::string out;
  dump(value, out);
  return out;
}

/// The bytes of `value`: a view of the value itself where it travels as raw
/// bytes (std::string, bitwise types), else its encoding written into
/// `scratch`. Lets senders skip a copy on the fast path.
template <class T>
[[nodiscard]] std::string_view bytes_of(const T& value, std::string& scratch) {
  if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else if constexpr (detail::Bitwise<T> || (detail::Arithmetic<T> && !std::is_same_v<T, bool>)) {
    return {reinterpret_cast<const char*>(&value), sizeof value};
  } else {
    scratch.clear();
    dump(value, scratch);
    return scratch;
  }
}

/// Decodes `bytes` into `out` (which is left unspecified on error).
/// @throws mp::SerializationError when the bytes are not exactly one encoded T.
template <class T>
void load(std::string_view bytes, T& out) {
  if constexpr (std::is_same_v<T, std::string>) {
    out.assign(bytes);
  } else if constexpr (detail::Bitwise<T> || (detail::Arithmetic<T> && !std::is_same_v<T, bool>)) {
    if (bytes.size() != sizeof(T)) {
      throw SerializationError("malformed message: expected " + std::to_string(sizeof(T)) + " bytes, got " +
                               std::to_string(bytes.size()));
    }
    std::memcpy(static_cast<void*>(&out), bytes.data(), sizeof(T));
  } else {
    detail::ByteReader ar(bytes);
    try {
      ar(out);
    } catch (const SerializationError&) {
      throw;
    } catch (const cereal::Exception& e) {
      throw SerializationError(std::string("malformed message: ") + e.what());
    }
    if (ar.remaining() != 0) {
      throw SerializationError("malformed message: " + std::to_string(ar.remaining()) +
                               " bytes left over after the value (sent as another type?)");
    }
  }
}

/// Decodes `bytes` (Python: `pickle.loads(bytes)`).
/// @throws mp::SerializationError when the bytes are not exactly one encoded T.
template <class T>
[[nodiscard]] T loads(std::string_view bytes) {
  static_assert(std::is_default_constructible_v<T>,
                "mp::loads<T> needs a default-constructible T to decode into");
  T out{};
  load(bytes, out);
  return out;
}

}  // namespace mp
