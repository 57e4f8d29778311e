#pragma once
/// @file
/// @brief The data model of a grading run: what every report (terminal, JSON,
/// JUnit, Markdown, Gradescope) is written from. The JSON report is this
/// model as it is (docs/grading.md documents its schema).
#include <optional>
#include <string>
#include <vector>

#include "isolated_run.hpp"
#include "status.hpp"

namespace grader {

/// One test (Suite.Name) of a group, over the group's runs.
struct CaseResult {
  std::string name;
  Status status =
      Status::not_run;  ///< passed, failed, flaky, skipped, timeout, crashed, ended_early, not_run
  int runs = 0;         ///< runs in which it was reached
  int runs_passed = 0;
  std::string message;  ///< from the first run where it did not pass
};

/// The timeline of a failing group: one more run with the runtime's tracing on
/// (failure_trace.hpp), not scored. Empty paths: none was made (note says why).
struct TraceInfo {
  std::string json;           ///< the trace (Chrome trace event format: Perfetto opens it)
  std::string svg;            ///< its picture (needs python3-matplotlib)
  bool failed_again = false;  ///< the traced run failed too (a race may pass this once)
  std::string note;           ///< why there is no trace
};

/// A group of correctness tests (a gtest filter), run `runs` times.
struct GroupResult {
  std::string name;
  std::string filter;
  double points = 0;
  double max_points = 0;
  /// passed, failed, flaky, timeout, crashed, build_failed, error
  Status status = Status::not_run;
  int runs = 0;       ///< planned
  int runs_done = 0;  ///< done (a failing first run, a timeout, a fork bomb stop early)
  int runs_passed = 0;
  std::string message;  ///< the failing run's account, for a person
  std::string command;  ///< the command that reproduces it, after rebuilding what it runs
  double timeout_s = 0;
  std::vector<CaseResult> cases;
  std::vector<Backtrace> backtraces;  ///< where each process was at a timeout
  std::string output;                 ///< the failing run's stdout+stderr (capped)
  bool output_truncated = false;
  std::string sanitizer_report;
  std::vector<std::string> segments_removed;  ///< /dev/shm names the grader removed
  std::vector<std::string> segments_left;
  int stragglers_killed = 0;  ///< processes left running after the program ended
  int peak_processes = 0;
  double duration_s = 0;  ///< all runs together
  bool counted = true;    ///< false under --timing-only: run once as timing's gate, not scored
  std::string hint;       ///< the manifest's hint for this group's failure (empty: none)
  bool hidden = false;    ///< a group students do not see (the manifest's `hidden`)
  TraceInfo trace;        ///< a failing group's timeline
};

/// A timing case.
struct TimingResult {
  std::string name;
  std::string benchmark;
  std::string baseline;  ///< speedup only
  std::string kind;      ///< ratio, speedup
  double points = 0;
  double max_points = 0;
  /// passed, partial, slow, inconclusive, skipped, not_counted, error
  Status status = Status::not_run;
  bool counted = true;    ///< false: left out of max_score (skipped: --no-timing, sanitizer, 1 core)
  bool deferred = false;  ///< not graded because the machine was too busy or noisy: --timing-only later
  std::string reason;     ///< why skipped / not counted / error, and how the verdict was reached
  double required = 0;    ///< ratio: the largest time ratio with full credit; speedup: the smallest speed-up
  double zero_at = 0;     ///< the ratio (or speed-up) at which credit reaches 0
  std::optional<double> value;   ///< the measured ratio of medians (ratio) or speed-up (speedup)
  std::optional<double> ci_low;  ///< its 95% bootstrap interval
  std::optional<double> ci_high;
  int pairs = 0;
  std::vector<double> a_ns;  ///< ratio: student samples; speedup: the parallel benchmark
  std::vector<double> b_ns;  ///< ratio: reference samples; speedup: the serial baseline
  int cores = 0;
  std::optional<double> free_cores;  ///< speedup: cores that were really free while measuring
  std::string command;               ///< how to run the student's benchmark by hand
};

struct ExerciseResult {
  std::string id;
  std::string title;
  std::string kind;
  std::vector<std::string> files;
  std::string section;
  double score = 0;
  double max_score = 0;
  Status status = Status::not_run;  ///< passed, partial, failed, build_failed
  std::vector<GroupResult> tests;
  std::vector<TimingResult> timing;
  int hints_total = 0;
  int hints_shown = 0;    ///< revealed so far with `grader hint`
  std::string next_hint;  ///< the next one (hints_shown + 1), for a failing exercise
  std::string warnings;   ///< the compiler's warnings about its files (a note, not a failure)
};

struct BuildInfo {
  std::string status;  ///< ok, failed (the build's own two words)
  bool failed() const { return status == "failed"; }
  std::string target;
  std::string command;
  std::string errors;  ///< the compiler's first errors
  double duration_s = 0;
};

struct LessonResult {
  std::string id;
  std::string dir;
  std::string title;
  double score = 0;
  double max_score = 0;
  BuildInfo build;
  std::vector<ExerciseResult> exercises;
};

struct Report {
  std::string schema = "mp-grader/1";
  std::string course;
  std::string mode;        ///< grade, selftest
  std::string started_at;  ///< ISO 8601, UTC
  double duration_s = 0;
  int cores = 0;
  std::string sandbox;    ///< how student code was isolated (sandbox_description()), or why not
  std::string sanitizer;  ///< "", thread, address
  bool timing_enabled = true;
  bool timing_only = false;  ///< --timing-only: correctness groups ran once as a gate, not scored
  std::string full_report;   ///< where the whole report was saved (what the text report cuts); may be empty
  std::string build_dir;
  std::string manifest;
  std::string grader_version;
  double score = 0;
  double max_score = 0;
  std::vector<LessonResult> lessons;
};

/// Sums points bottom-up (uncounted timing left out of max_score) and sets
/// each exercise's status. Scores are rounded to 0.01.
void compute_scores(Report& report);

/// 100 * score / max (100 when max is 0).
double percent(double score, double max);

/// "6", "5.5", "2.67": points as people write them.
std::string format_points(double points);

/// A failing group's timeline in one sentence: which files, what the traced
/// run did, how to open them ("build/grader/traces/NAME.svg: a traced run
/// that failed again; its events ... open in https://ui.perfetto.dev").
std::string trace_line(const TraceInfo& trace);

/// A traced process's command line as a person reads it: the program's file
/// name and its arguments, without the grader's own (--gtest_output, --gtest_color).
std::string short_command(const std::string& command);

}  // namespace grader
