#include "mp/detail/demangle.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace mp::detail {

std::string demangle(const char* mangled) {
  int rc = 0;
  const std::unique_ptr<char, decltype(&std::free)> p(abi::__cxa_demangle(mangled, nullptr, nullptr, &rc),
                                                      &std::free);
  return rc == 0 && p ? std::string(p.get()) : std::string(mangled);
}

}  // namespace mp::detail
