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
/// mp::SerializationError, never undefined behaviour: every read is bounds-checked,
/// a container's announced size is checked against the bytes that remain before
/// anything is allocated, a `bool` must be 0 or 1, a variant index must exist,
/// and bytes left over after the value are an error too.
///
/// Python: `pickle.dumps(obj)` / `pickle.loads(data)`.
#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

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
    is_instance_of<T, std::tuple> || is_instance_of<T, std::variant> || is_instance_of<T, std::chrono::duration> ||
    is_instance_of<T, std::chrono::time_point> || is_instance_of<T, cereal::BinaryData> ||
    is_instance_of<T, cereal::NameValuePair> || is_instance_of<T, cereal::SizeTag>;

// A struct that names its own cereal hook (the documented `serialize` member,
// or cereal's other forms) never takes the bitwise path.
template <class T>
concept HasCerealHook = requires(T& t, ByteWriter& w, ByteReader& r) {
  requires(requires { t.serialize(w); } || requires { t.save(w); } || requires { t.load(r); } ||
           requires { serialize(w, t); });
};

/// Types that travel as their bytes: trivially copyable class types without a hook.
template <class T>
concept Bitwise = std::is_trivially_copyable_v<T> && std::is_class_v<T> && !cereal_knows<T> && !HasCerealHook<T>;

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
// container allocates.
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(ByteReader& ar, cereal::SizeTag<T>& tag) {
  ar(tag.size);
  if (tag.size > ar.remaining()) {
    throw SerializationError("malformed message: a container announces " + std::to_string(tag.size) +
                             " elements but only " + std::to_string(ar.remaining()) + " bytes remain");
  }
}

} // namespace mp::detail

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

} // namespace mp
