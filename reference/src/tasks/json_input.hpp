#pragma once
// Hostile JSON in, for the protocol's decoders: a size limit, a nesting limit
// (nlohmann's parser is iterative, but printing and our walks recurse), and
// typed field access that throws ProtocolError instead of nlohmann's errors.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mp/tasks/message.hpp"

namespace mp::tasks::detail {

inline constexpr std::size_t max_document = std::size_t{64} << 20;
inline constexpr int max_depth = 64;

/// Parses `raw`; @throws ProtocolError naming `what` when it is not JSON or too big or deep.
nlohmann::json parse_json(std::string_view raw, std::string_view what);
/// base64 (standard alphabet, padded) both ways; decoding bad text throws ProtocolError.
std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text, std::string_view what);

/// `obj[key]` as a string ("" when absent or null); @throws ProtocolError when another type.
std::string opt_string(const nlohmann::json& obj, const char* key, std::string_view what);
/// `obj[key]`, which must be an object; @throws ProtocolError.
const nlohmann::json& need_object(const nlohmann::json& obj, const char* key, std::string_view what);

}  // namespace mp::tasks::detail
