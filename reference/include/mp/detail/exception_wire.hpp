#pragma once
/// @file
/// @brief Exceptions as bytes (detail): how an exception thrown in one process
/// is raised again in another (a pool's worker → the caller of get(); a
/// manager → the caller of a proxy's method).
///
/// The standard types and mp::'s own (listed in mp/pool.hpp, "Exceptions from
/// tasks") come back as themselves, with their message (std::system_error
/// with its errno); any other type comes back as mp::RemoteError, which
/// carries the type's name and the message.
#include <exception>
#include <string>
#include <string_view>

namespace mp::detail {

/// Appends `e` in a form decode_exception() turns back into an exception.
void encode_exception(const std::exception_ptr& e, std::string& out);
/// The exception encoded in `bytes`, ready to rethrow; bytes that are not an
/// encoded exception give mp::SerializationError (never throws itself).
[[nodiscard]] std::exception_ptr decode_exception(std::string_view bytes) noexcept;
/// The demangled type name of the exception inside `e` ("" when none).
[[nodiscard]] std::string exception_type_name(const std::exception_ptr& e);

}  // namespace mp::detail
