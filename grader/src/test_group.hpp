#pragma once
/// @file
/// @brief One correctness group of a lesson, graded: its runs (the first on
/// the plain schedule, the others perturbed to show races), folded into its
/// verdict (group_verdict.hpp), with the command that reproduces a failure.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "isolated_run.hpp"
#include "manifest.hpp"
#include "results.hpp"
#include "sanitizer.hpp"

namespace grader {

/// A lesson's test program as its groups need it.
struct LessonTests {
  std::string rebuild;                 ///< the command that rebuilds it and the code it loads
  std::filesystem::path tests;         ///< the test program
  std::filesystem::path code;          ///< the code object it loads (MP_LESSON_CODE); empty: in the tests
  std::vector<std::string> all_tests;  ///< what it lists
  std::string list_error;              ///< why it could not list them
};

/// How one group is run.
struct GroupContext {
  const SanitizerProfile* sanitizer = nullptr;
  RunLimits limits;                                      ///< of one run, the group's timeout included
  std::vector<std::pair<std::string, std::string>> env;  ///< of every run
  std::filesystem::path scratch;                         ///< run k works in scratch + "-k"
  std::filesystem::path source_dir;                      ///< removed from paths in messages
  std::vector<std::string> student_files;  ///< the exercise's files: a hang's stack shows them first
  bool perturb = true;                     ///< runs after the first perturb the schedule
  std::filesystem::path trace_dir;         ///< where a failing group's timeline goes (empty: none is made)
  std::string trace_name;                  ///< its file name, without .json / .svg
  std::string tag;                         ///< progress lines start with it
  std::function<void(const std::string&)> say;  ///< progress lines (may be empty)
};

/// The command a person runs to see a group's tests again: rebuilt first (an
/// edit since grading would not show otherwise), then `repeat` times, under the
/// sanitizer's options, perturbed by `perturb_seed` (0: plain).
std::string repro_command(const SanitizerProfile& sanitizer, const LessonTests& lesson,
                          const std::string& filter, int repeat, std::uint64_t perturb_seed = 0);

/// A group's fields known before it runs (what a lesson that does not compile reports).
GroupResult planned_group(const TestGroup& group, const LessonTests& lesson,
                          const SanitizerProfile& sanitizer);

/// Runs the group `group.runs` times at most (group_verdict.hpp says when it stops
/// early) and decides it.
GroupResult run_test_group(const TestGroup& group, const LessonTests& lesson, const GroupContext& context);

}  // namespace grader
