#include "sanitizer.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace grader {

std::string SanitizerProfile::repro_prefix() const {
  std::string out;
  for (const auto& [k, v] : env) {
    if (k.ends_with("SAN_OPTIONS")) out += k + "=" + v + " ";
  }
  return out;
}

SanitizerProfile sanitizer_profile(const std::string& name, const std::filesystem::path& source_dir) {
  SanitizerProfile p;
  p.name = name;
  if (name.empty()) return p;
  if (name == "thread") {
    p.label = "ThreadSanitizer";
    p.tree_suffix = "-tsan";
    p.compiler = "clang++";  // as the tsan preset (CMakePresets.json)
    p.time_scale = 5;
    // The runtime's own suppressions (reference/tests/tsan.supp: libstdc++'s uninstrumented
    // exception_ptr counting), as the tsan preset uses them.
    p.env = {
        {"MP_TEST_TIME_SCALE", "5"},
        {"TSAN_OPTIONS", fmt::format("halt_on_error=1:second_deadlock_stack=1:handle_segv=0:suppressions={}",
                                     (source_dir / "reference/tests/tsan.supp").string())}};
    return p;
  }
  if (name == "address") {
    p.label = "AddressSanitizer";
    p.tree_suffix = "-asan";
    p.time_scale = 3;
    p.env = {{"MP_TEST_TIME_SCALE", "3"},
             {"ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1:handle_segv=0"},
             {"UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1"}};
    return p;
  }
  throw std::invalid_argument(fmt::format("--sanitize takes thread or address (got '{}')", name));
}

const std::vector<std::string>& sanitizer_names() {
  static const std::vector<std::string> names{"thread", "address"};
  return names;
}

}  // namespace grader
