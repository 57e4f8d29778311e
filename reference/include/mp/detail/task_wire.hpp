#pragma once
/// @file
/// @brief How tasks and results travel between a process pool and its workers:
/// the message headers, exceptions as bytes, map chunks encoded in place, and
/// the worker-side runners that decode a task, call it and encode its result.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mp/detail/callable.hpp"
#include "mp/detail/exception_wire.hpp"
#include "mp/pickle.hpp"

namespace mp::detail {

/// What a worker process runs: decodes `args`, calls the function at address
/// `fn`, appends the encoded result to `out`. Throws what the function throws.
using RunFn = void (*)(std::uintptr_t fn, std::string_view args, std::string& out);

/// First bytes of a task message; the encoded arguments follow.
/// `job == 0` is the *stop* message: the worker that takes it exits.
struct TaskHeader {
  std::uint64_t job;   ///< JobBase::id
  std::uint64_t part;  ///< which part (chunk) of the job
  std::uintptr_t run;  ///< a RunFn, as an integer
  std::uintptr_t fn;   ///< the user's function pointer, as an integer
};
static_assert(std::is_trivially_copyable_v<TaskHeader>);

/// How a part ended, in a result message.
enum class ResultStatus : std::uint32_t {
  ok = 1,           ///< the encoded value follows
  error = 2,        ///< an encoded exception follows (encode_exception)
  init_failed = 3,  ///< the worker's initializer threw (job 0); an encoded exception follows
};

/// First bytes of a result message; the payload follows.
struct ResultHeader {
  std::uint64_t job;
  std::uint64_t part;
  ResultStatus status;
  std::uint32_t reserved;
};
static_assert(std::is_trivially_copyable_v<ResultHeader>);

// Exceptions travel as mp/detail/exception_wire.hpp encodes them.

// ============================================================== item sequences on the wire
// A chunk of map() items travels exactly as cereal encodes a std::vector of
// them (size tag, then the elements), but written straight from the caller's
// range and read straight into the result vector, without a temporary vector.

template <class Arg, class It>
void encode_items(std::string& out, It& it, std::size_t n) {
  ByteWriter ar(out);
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(n)));
  for (std::size_t i = 0; i < n; ++i, ++it) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(*it)>, Arg>) {
      ar(*it);
    } else {
      const Arg converted(*it);
      ar(converted);
    }
  }
}

/// Appends one item `x` as an `Arg` (converted first when it is another type).
template <class Arg, class X>
void encode_item(ByteWriter& ar, X&& x) {
  if constexpr (std::is_same_v<std::remove_cvref_t<X>, Arg>) {
    ar(x);
  } else {
    const Arg converted(std::forward<X>(x));
    ar(converted);
  }
}

/// Decodes an encoded vector of exactly `n` T into `dst[0..n)`.
template <class T, class Out>
void decode_items_into(std::string_view bytes, Out dst, std::size_t n) {
  ByteReader ar(bytes);
  try {
    cereal::size_type size = 0;
    ar(cereal::make_size_tag(size));
    if (size != n) {
      throw SerializationError("malformed result: a chunk of " + std::to_string(n) +
                               " items came back with " + std::to_string(size));
    }
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool> && std::is_pointer_v<Out>) {
      ar(cereal::binary_data(dst, n * sizeof(T)));
    } else {
      for (std::size_t i = 0; i < n; ++i, ++dst) {
        T v{};
        ar(v);
        *dst = std::move(v);
      }
    }
  } catch (const SerializationError&) {
    throw;
  } catch (const cereal::Exception& e) {
    throw SerializationError(std::string("malformed result: ") + e.what());
  }
  if (ar.remaining() != 0) throw SerializationError("malformed result: bytes left over after a chunk");
}

// ============================================================== worker-side runners

/// Runs apply()/submit(): decodes the argument tuple, calls, encodes the result.
template <class Fp>
void run_call(std::uintptr_t fn, std::string_view args, std::string& out) {
  using T = fn_traits<Fp>;
  using R = typename T::result;
  typename T::stored tup{};
  if constexpr (T::arity > 0) mp::load(args, tup);
  const auto f = reinterpret_cast<Fp>(fn);
  if constexpr (std::is_void_v<R>) {
    std::apply(f, std::move(tup));
  } else {
    const R r = std::apply(f, std::move(tup));
    mp::dump(r, out);
  }
}

/// Runs one chunk of map()/starmap(): decodes the items, calls f on each
/// (unpacking tuples when `Star`), encodes the results as a vector.
template <bool Star, class Fp>
void run_chunk(std::uintptr_t fn, std::string_view args, std::string& out) {
  using T = fn_traits<Fp>;
  using R = typename T::result;
  using Item =
      std::conditional_t<Star, typename T::stored, std::decay_t<std::tuple_element_t<0, typename T::params>>>;
  // A worker is single-threaded: keep the vectors' memory from chunk to chunk.
  static std::vector<Item> items;
  static std::vector<R> results;
  const auto f = reinterpret_cast<Fp>(fn);
  mp::load(args, items);
  results.clear();
  results.reserve(items.size());
  for (auto& item : items) {
    if constexpr (Star) {
      results.push_back(std::apply(f, std::move(item)));
    } else {
      results.push_back(f(std::move(item)));
    }
  }
  mp::dump(results, out);
}

}  // namespace mp::detail
