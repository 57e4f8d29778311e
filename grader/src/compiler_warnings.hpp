#pragma once
/// @file
/// @brief The compiler's warnings about the student's files, shown in the report as a
/// note (never a failure), so that an unused variable or a narrowing conversion is
/// seen. Make recompiles a file only when it changed: the warnings of each file's last
/// compile are kept in <build>/grader/warnings/, so every grade shows them.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace grader {

class CompilerWarnings {
public:
  /// Keeps its memory in `dir` (created when first needed).
  explicit CompilerWarnings(std::filesystem::path dir);

  /// Reads a build's output: each of `files` (relative to `source_dir`) that it
  /// compiled gets the warnings found now (none: its old ones are forgotten).
  void update(std::string_view build_output, const std::vector<std::string>& files,
              const std::filesystem::path& source_dir) const;

  /// The remembered warnings of `files`: "file:line:col: warning: ..." with the
  /// compiler's source line and caret, at most `max_lines` lines; "" when none.
  std::string of(const std::vector<std::string>& files, std::size_t max_lines = 24) const;

private:
  std::filesystem::path memory_of(const std::string& file) const;
  std::filesystem::path dir_;
};

/// The warnings in a compiler's output about `file` (its path as the compiler printed it,
/// `source_prefix` removed), each with the lines of source and caret that follow it.
std::string warnings_about(std::string_view output, const std::string& file, std::string_view source_prefix);

}  // namespace grader
