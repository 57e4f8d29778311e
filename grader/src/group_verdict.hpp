#pragma once
/// @file
/// @brief A test group's verdict across its runs: each test's count of runs
/// and passes, the first failing run's account (message, output, backtraces),
/// flaky tests and groups, the status and the points.
#include <optional>
#include <string>

#include "gtest_run.hpp"
#include "manifest.hpp"
#include "results.hpp"

namespace grader {

/// Folds the runs of one group into its GroupResult, whose cases are the
/// tests the group runs (all `passed` with no run yet).
class GroupVerdict {
public:
  GroupVerdict(GroupResult& result, const TestGroup& group) : gr_(result), g_(group) {}

  /// Adds run `k` (1-based); `how`, when not empty, says how it ran (its
  /// schedule perturbed). Returns whether another run is worth doing: not
  /// after a failing first run (it is not a matter of luck), a timeout or a
  /// fork bomb (too costly to repeat).
  bool add(const GroupRun& run, int k, const std::string& how = "");

  /// Decides the group: flaky tests and runs, status, points and message.
  /// `repro_command` reruns the group many times (shown when it is flaky).
  void conclude(const std::string& repro_command);

private:
  GroupResult& gr_;
  const TestGroup& g_;
  bool recorded_failure_ = false;
  bool stopped_hard_ = false;  // a timeout or a fork bomb: not repeated
  std::optional<Status> failure_kind_;
};

}  // namespace grader
