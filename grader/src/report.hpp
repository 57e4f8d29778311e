#pragma once
/// @file
/// @brief Report writers: JSON (the model as it is), JUnit XML, Markdown (a
/// pull-request comment or CI job summary), Gradescope's results.json.
/// The text report for the terminal is in terminal.hpp.
#include <string>

#include <nlohmann/json.hpp>

#include "manifest.hpp"
#include "results.hpp"

namespace grader {

/// The JSON report (schema "mp-grader/1", docs/grading.md).
nlohmann::json to_json(const Report& report);
std::string json_report(const Report& report);

/// JUnit XML: <testsuites> with one <testsuite> per lesson, one <testcase> per
/// test group and per timing case; <failure> for a lost point, <error> for a
/// lesson that does not compile or a timing that could not be measured,
/// <skipped> for what was not graded.
std::string junit_report(const Report& report);

/// Markdown: the score, a table of lessons and exercises, then each failure
/// in a <details> block with its message and the command that reproduces it.
std::string markdown_report(const Report& report);

/// Gradescope's results.json (its autograder specification): execution_time,
/// output, visibility, stdout_visibility and tests[] (name, score, max_score,
/// status "passed"/"failed", output, visibility). No top-level score: Gradescope
/// adds the tests up. Every test group and timing entry of the graded exercises
/// is a test, a timing entry not measured here too (scored as `settings` say),
/// so that the tests' maximum is always the manifest's.
std::string gradescope_report(const Report& report, const GradescopeSettings& settings = {});

}  // namespace grader
