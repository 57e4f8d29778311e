#pragma once
/// @file
/// @brief Building lessons with CMake: `cmake --build DIR --target ...`, the
/// compiler's first errors for a student, and the separate trees that
/// `--sanitize` builds in.
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sanitizer.hpp"

namespace grader {

struct BuildResult {
  bool ok = false;
  std::string command;       ///< as a shell would take it
  std::string output;        ///< the build's output (stdout and stderr; capped)
  std::string first_errors;  ///< the compiler's first errors, trimmed (empty when ok)
  double duration_s = 0;
};

/// Builds `targets` in the CMake build tree `build_dir` with `jobs` parallel
/// jobs (blocks until done, at most `limit`). Never throws for a failed build.
BuildResult build_targets(const std::filesystem::path& build_dir, const std::vector<std::string>& targets,
                          int jobs, std::chrono::seconds limit = std::chrono::minutes(20));

/// The first errors of a compiler/linker/CMake output, with the lines that
/// locate them ("In function ...", "In file included from ..."), without
/// make's progress lines; at most `max_lines` lines. `strip_prefix` (the
/// source dir + '/') is removed from paths so that they read as relative.
std::string first_errors(std::string_view output, std::size_t max_lines = 25,
                         std::string_view strip_prefix = {});

/// `<build_dir>-tsan` for ThreadSanitizer, `<build_dir>-asan` for AddressSanitizer.
std::filesystem::path sanitizer_build_dir(const std::filesystem::path& build_dir,
                                          const SanitizerProfile& sanitizer);

/// Configures (once; later calls only build) a tree with MP_SANITIZER set:
/// Debug, the profile's compiler when installed (clang++ for TSan, as the tsan
/// preset), benchmarks on (the grader's targets need them), examples off.
BuildResult configure_sanitizer_tree(const std::filesystem::path& source_dir,
                                     const std::filesystem::path& tree, const SanitizerProfile& sanitizer);

/// Whether `dir` is a configured CMake build tree (has CMakeCache.txt).
bool is_build_tree(const std::filesystem::path& dir);

/// A command line quoted for a POSIX shell (arguments with special characters in '...').
std::string shell_join(const std::vector<std::string>& argv);

}  // namespace grader
