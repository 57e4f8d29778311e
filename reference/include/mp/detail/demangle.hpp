#pragma once
/// @file
/// @brief Readable C++ type names (detail), for errors that cross a process boundary.
#include <string>

namespace mp::detail {

/// The readable name of a type from its mangled name (`typeid(x).name()`):
/// `"app::ParseError"` for `"N3app10ParseErrorE"`; the mangled name itself when
/// it cannot be demangled. Allocates; not for use after fork in a threaded parent.
[[nodiscard]] std::string demangle(const char* mangled);

}  // namespace mp::detail
