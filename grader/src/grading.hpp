#pragma once
/// @file
/// @brief The orchestration: build each selected lesson, run its test groups
/// isolated (several runs each, up to `jobs` groups at once), then its timing
/// cases (alone: nothing else runs while a benchmark is measured), and score.
///
/// `grade` builds lessonNN_tests (the student's code) and compares
/// lessonNN_bench with lessonNN_bench_ref; `selftest` does the same with the
/// reference on both sides (lessonNN_tests_ref, lessonNN_bench_ref) and must
/// reach 100%.
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "manifest.hpp"
#include "results.hpp"

namespace grader {

/// Grading cannot run at all (no build tree, cannot configure): exit 4.
class GradingError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct GradeOptions {
  std::filesystem::path build_dir;
  std::filesystem::path source_dir;
  bool selftest = false;
  std::vector<const Lesson*> lessons;  ///< empty: all
  /// Of those lessons, the exercises graded; empty: all of them. The report holds only these.
  std::vector<const Exercise*> exercises;
  std::string sanitizer;  ///< "", "thread", "address"
  bool timing = true;
  /// Only the timing: each correctness group runs once, as the gate that timing needs,
  /// and is not scored (a grade after the machine was too busy to time).
  bool timing_only = false;
  /// Runs of a test group after the first perturb the schedule, to show races
  /// (grader/harness/perturbation.hpp; docs/grading.md, "Races").
  bool perturb = true;
  /// A failing group runs once more with the runtime's tracing on, for its timeline
  /// (failure_trace.hpp; docs/grading.md, "Timelines of failing groups").
  bool timelines = true;
  int jobs = 1;  ///< parallel compile jobs, and test groups run at once (the command line's 0: the cores)
  /// Progress lines, for a person (called from several threads, one line at a time).
  std::function<void(const std::string&)> progress;
};

/// Grades; throws GradingError when it cannot run at all.
Report grade(const Course& course, const GradeOptions& options);

/// A path as the user would type it from the current directory (relative
/// when below it, absolute otherwise).
std::string display_path(const std::filesystem::path& p);

}  // namespace grader
