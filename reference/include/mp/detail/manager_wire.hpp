#pragma once
/// @file
/// @brief The manager's messages (detail): requests from proxies to the
/// manager's server process, and its replies.
///
/// Each message is one mp::Connection frame. A request is
///
///     op (1 byte) | object id (8 bytes, little-endian) | name length (4) | name | arguments
///
/// where `name` is the method (call), the type (create) or the shared
/// object's name (lookup), and the arguments are mp::dump()'s bytes of a
/// std::tuple of the method's parameters. A reply is a status byte, then the
/// result's mp::dump() bytes (ok) or an exception as exception_wire.hpp
/// encodes it (error).
///
/// **Hostile bytes.** decode_request() checks every length against the bytes
/// there are and allocates only what the frame holds; a frame larger than
/// max_frame is refused by the connection before it is read. Whatever a
/// client sends, the server answers with an error or closes that client's
/// connection, and serves the others. (Fuzzed: reference/fuzz/manager_request_fuzz.cpp.)
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace mp::detail::manager {

/// What a request asks.
enum class Op : std::uint8_t {
  call = 1,      ///< call method `name` of object `object`
  create = 2,    ///< make an object of registered type `name` from the arguments; reply: its id
  lookup = 3,    ///< the id and type of the shared object registered as `name`
  ping = 4,      ///< reply ok (a client checking that the manager lives)
  shutdown = 5,  ///< reply ok, then the server process exits
  upgrade = 6,   ///< reply ok, then send a shared-memory channel's descriptor (manager_channel.hpp)
};

/// The largest request or reply (64 MiB): a frame announcing more is refused.
inline constexpr std::size_t max_frame = std::size_t{64} << 20;

/// A decoded request; `name` and `args` are views into the frame.
struct Request {
  Op op = Op::ping;
  std::uint64_t object = 0;
  std::string_view name;
  std::string_view args;
};

/// The frame of a request.
std::string encode_request(Op op, std::uint64_t object, std::string_view name, std::string_view args);
/// Reads a request frame. @throws mp::SerializationError when the frame is too
/// short, a length points past its end, or the op is unknown.
Request decode_request(std::string_view frame);

/// A reply carrying a result (`payload`: its mp::dump() bytes).
std::string encode_reply(std::string_view payload);
/// A reply carrying the exception `e`.
std::string encode_error_reply(const std::exception_ptr& e);
/// The result bytes of a reply frame. @throws the exception an error reply
/// carries; mp::SerializationError for a malformed frame.
std::string_view decode_reply(std::string_view frame);

}  // namespace mp::detail::manager
