#pragma once
/// @file
/// @brief The one set of verdicts the grader gives: to a test case, a group of
/// tests, a timing case or an exercise. The reports write them by these names
/// (docs/grading.md, "Verdicts" and the JSON schema).
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace grader {

enum class Status {
  passed,        ///< everything asked for
  partial,       ///< some points: an exercise with some groups passing, a timing case somewhat slow
  failed,        ///< a test's assertion failed (or an exercise with no points)
  flaky,         ///< passed in some runs and failed in others: a race
  skipped,       ///< not run here, with a reason (left out of the maximum)
  timeout,       ///< still running at the time limit
  crashed,       ///< ended by a signal, or stopped at the process limit
  ended_early,   ///< the test program exited before the test finished
  not_run,       ///< never reached (an earlier test ended the program)
  build_failed,  ///< the lesson does not compile
  slow,          ///< a timing case with no points
  inconclusive,  ///< a timing case measured twice without a verdict (deferred)
  not_counted,   ///< timing waits for correctness
  error,         ///< the grader could not measure or run it
};

/// The name the reports use: "passed", "ended_early", ...
std::string_view to_string(Status s);

/// passed, or skipped: nothing to fix.
inline bool is_fine(Status s) { return s == Status::passed || s == Status::skipped; }

NLOHMANN_JSON_SERIALIZE_ENUM(Status, {{Status::passed, "passed"},
                                      {Status::partial, "partial"},
                                      {Status::failed, "failed"},
                                      {Status::flaky, "flaky"},
                                      {Status::skipped, "skipped"},
                                      {Status::timeout, "timeout"},
                                      {Status::crashed, "crashed"},
                                      {Status::ended_early, "ended_early"},
                                      {Status::not_run, "not_run"},
                                      {Status::build_failed, "build_failed"},
                                      {Status::slow, "slow"},
                                      {Status::inconclusive, "inconclusive"},
                                      {Status::not_counted, "not_counted"},
                                      {Status::error, "error"}})

}  // namespace grader

/// `fmt::format("{}", status)` writes its name.
template <>
struct fmt::formatter<grader::Status> : fmt::formatter<std::string_view> {
  auto format(grader::Status s, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(grader::to_string(s), ctx);
  }
};
