#pragma once
/// @file
/// @brief The sanitizers the grader can build and test under: one profile each.
///
/// Everything that differs between "no sanitizer", ThreadSanitizer and
/// AddressSanitizer lives in one SanitizerProfile: its name on the command line,
/// the name a person reads, its build tree, the compiler it prefers, how much
/// slower it runs (time limits are multiplied) and the environment of every run
/// (options, and the runtime's suppressions file).
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace grader {

struct SanitizerProfile {
  std::string name;         ///< "" (none), "thread", "address": MP_SANITIZER and --sanitize
  std::string label;        ///< "ThreadSanitizer": what a person reads
  std::string tree_suffix;  ///< the build tree beside the main one: "-tsan", "-asan"
  std::string compiler;     ///< preferred C++ compiler when installed ("" = CMake's default)
  double time_scale = 1;    ///< time limits are multiplied by this
  std::vector<std::pair<std::string, std::string>> env;  ///< for every run of a test binary

  bool none() const { return name.empty(); }
  /// The sanitizer's options line for a command a person copies ("" when none).
  std::string repro_prefix() const;
};

/// The profile of `name` ("", "thread" or "address"), with suppressions from
/// `source_dir`. Throws std::invalid_argument for another name.
SanitizerProfile sanitizer_profile(const std::string& name, const std::filesystem::path& source_dir);

/// The sanitizer names --sanitize accepts.
const std::vector<std::string>& sanitizer_names();

}  // namespace grader
