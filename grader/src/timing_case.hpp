#pragma once
/// @file
/// @brief One timing case of the manifest, graded: skipped (and why), or measured
/// (interleaved samples, a second measurement when undecided) and credited.
#include <filesystem>
#include <functional>
#include <string>

#include "isolated_run.hpp"
#include "manifest.hpp"
#include "results.hpp"
#include "timing.hpp"

namespace grader {

/// What grading a timing case needs from the rest of the grading run.
struct TimingCaseInputs {
  std::string lesson_id;         ///< for progress lines
  bool measure = true;           ///< false: --no-timing
  bool under_sanitizer = false;  ///< timing is not measured under a sanitizer
  bool lesson_compiles = true;
  bool correct = true;  ///< every correctness group of the exercise passed
  bool bench_ok = true;
  std::string bench_error;
  BenchProgram bench_student;                   ///< timing the student's code (selftest: the reference's)
  BenchProgram bench_reference;                 ///< timing the reference's
  RunLimits limits;                             ///< of each benchmark sample (sandboxed)
  std::function<void(const std::string&)> say;  ///< progress lines
};

/// Fills `tr` (status, points, samples, reason) for the case `t` of the course
/// (docs/grading.md, "Timing"). Blocks while it measures (seconds to minutes).
void grade_timing_case(const Course& course, const TimingCase& t, const TimingCaseInputs& in,
                       TimingResult& tr);

}  // namespace grader
