#pragma once
/// @file
/// @brief The command line: verbs (grade, selftest, list, hint, help), options,
/// report destinations, and exit codes.
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "grading.hpp"
#include "terminal.hpp"

namespace grader {

/// Exit codes (docs/grading.md).
enum ExitCode : int {
  exit_ok = 0,             ///< grading ran, whatever the score
  exit_below_minimum = 1,  ///< --fail-under not reached (selftest: below 100%)
  exit_usage = 2,          ///< bad command line, unknown lesson or exercise
  exit_manifest = 3,       ///< the manifest cannot be read or is inconsistent
  exit_cannot_run = 4,     ///< no build tree, sanitizer tree cannot be configured, a report cannot be written
};

class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct Destination {
  std::string format;  ///< text, json, junit, markdown, gradescope
  std::string path;    ///< empty: stdout
};

/// Everything the command line says, in one place: what to do (verb, args),
/// where the reports go, and how to grade (`run`, handed to grade() as it is,
/// once run_cli() has resolved its paths and lessons).
struct Options {
  std::string verb = "grade";
  std::vector<std::string> args;  ///< lessons (grade, selftest) or the exercise (hint)
  std::vector<Destination> outputs;
  GradeOptions run;  ///< build_dir, source_dir, sanitizer, timing, jobs (0: the cores available)
  std::optional<double> fail_under;  ///< percent
  std::filesystem::path manifest;    ///< empty: SOURCE-DIR/grader/course.toml
  ColorMode color = ColorMode::automatic;
  bool quiet = false;
  bool watching = false;  ///< set by `watch`: a compact report, and "press n" for what is next
};

/// Parses the arguments (without argv[0]) with CLI11; throws UsageError.
Options parse_args(const std::vector<std::string>& args);

/// The whole program: returns the exit code.
int run_cli(int argc, char** argv);

/// The help text.
std::string usage();

}  // namespace grader
