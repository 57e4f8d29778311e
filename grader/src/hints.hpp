#pragma once
/// @file
/// @brief Hints revealed so far, per exercise: `grader hint EXERCISE` shows the
/// next one and remembers it in a small JSON file (<build>/grader/hints.json),
/// so that hints come one at a time, and the report offers the next unrevealed one.
#include <filesystem>
#include <map>
#include <string>

namespace grader {

class HintState {
public:
  /// Reads the file; a missing or unreadable file is an empty state.
  static HintState load(const std::filesystem::path& file);

  int shown(const std::string& exercise) const;
  void set_shown(const std::string& exercise, int count);
  /// Writes the file (atomically: a temporary file renamed over it).
  void save() const;

  const std::filesystem::path& file() const { return file_; }

private:
  std::filesystem::path file_;
  std::map<std::string, int> shown_;
};

/// The hints file of a build tree.
std::filesystem::path hints_file(const std::filesystem::path& build_dir);

}  // namespace grader
