#pragma once
/// @file
/// @brief One run of one test group: the lesson's GoogleTest binary with
/// `--gtest_filter=GROUP --gtest_output=json:FILE`, isolated (isolated_run.hpp),
/// and the verdict of each test in it.
///
/// The verdicts come from gtest's JSON report. When there is none — the
/// program crashed, hung, called exit() in the middle, or was killed at a
/// limit — they come from gtest's progress lines on stdout ("[ RUN      ]",
/// "[       OK ]", "[  FAILED  ]"), which are watched as they stream by (also
/// past the output cap): tests that finished keep their verdict, the test that
/// was running gets the blame, and tests that never started are "not run".
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "isolated_run.hpp"
#include "status.hpp"

namespace grader {

struct CaseRun {
  std::string name;  ///< Suite.Test
  Status status = Status::not_run;
  std::string message;
  double time_s = 0;
};

struct GroupRunSpec {
  std::filesystem::path binary;
  std::string filter;
  std::vector<std::string> expected;  ///< the tests the filter selects (from list_tests)
  RunLimits limits;
  std::filesystem::path scratch;  ///< a fresh directory: the run's cwd and its JSON report
  std::vector<std::pair<std::string, std::string>> env;
  bool backtraces_on_timeout = true;
};

struct GroupRun {
  RunResult run;
  std::vector<CaseRun> cases;    ///< one per expected test, in order
  bool passed = false;           ///< every test passed (or skipped) and the program ended cleanly
  std::string message;           ///< why not, for a person: the first failure, or what ended the program
  std::string sanitizer_report;  ///< the first sanitizer report on stderr, if any
  bool report_read = false;      ///< gtest's JSON report was there and complete
};

/// Runs the group once. Throws only when the grader itself cannot work.
GroupRun run_group_once(const GroupRunSpec& spec);

/// The tests of a binary (`--gtest_list_tests`), DISABLED_ ones left out.
/// Throws std::runtime_error with the program's output when it cannot list them.
std::vector<std::string> list_tests(const std::filesystem::path& binary, const RunLimits& limits,
                                    const std::vector<std::pair<std::string, std::string>>& env = {});

/// Parses the output of --gtest_list_tests.
std::vector<std::string> parse_test_list(std::string_view output);

/// gtest's --gtest_filter semantics: "POS1:POS2-NEG1:NEG2", with '*' and '?'.
bool filter_matches(std::string_view filter, std::string_view test_name);

/// Parses gtest's JSON report; repairs the missing comma that gtest 1.12
/// writes before "NonTestSuiteFailure" (failures outside any test).
std::optional<nlohmann::json> parse_gtest_json(std::string text);

}  // namespace grader
