#include "group_verdict.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace grader {

bool GroupVerdict::add(const GroupRun& run, int k, const std::string& how) {
  ++gr_.runs_done;
  if (run.passed) ++gr_.runs_passed;
  gr_.peak_processes = std::max(gr_.peak_processes, run.run.peak_processes);
  gr_.stragglers_killed += run.run.stragglers_killed;
  for (const auto& s : run.run.segments_removed) gr_.segments_removed.push_back(s);
  for (const auto& s : run.run.segments_left) gr_.segments_left.push_back(s);
  for (std::size_t i = 0; i < run.cases.size() && i < gr_.cases.size(); ++i) {
    const CaseRun& c = run.cases[i];
    CaseResult& cr = gr_.cases[i];
    if (c.status == Status::not_run && !run.report_read) {
      // Not reached this run: it does not count as a run of this test.
      if (cr.message.empty()) cr.message = c.message;
      if (cr.runs == 0) cr.status = Status::not_run;
      continue;
    }
    ++cr.runs;
    const bool ok = c.status == Status::passed || c.status == Status::skipped;
    if (ok) {
      ++cr.runs_passed;
      if (cr.runs_passed == cr.runs) cr.status = c.status;
    } else if (cr.message.empty() || cr.status == Status::passed || cr.status == Status::not_run) {
      cr.status = c.status;
      cr.message = c.message;
    }
  }
  if (!run.passed && !recorded_failure_) {
    recorded_failure_ = true;
    gr_.message = run.message;
    const std::string detail = how.empty() ? "" : " (" + how + ")";
    if (g_.runs > 1) gr_.message = fmt::format("run {} of {}{}: {}", k, g_.runs, detail, gr_.message);
    gr_.backtraces = run.run.backtraces;
    gr_.sanitizer_report = run.sanitizer_report;
    gr_.output = run.run.out.text;
    if (!run.run.err.text.empty())
      gr_.output += (gr_.output.empty() ? "" : "\n--- stderr ---\n") + run.run.err.text;
    gr_.output_truncated = run.run.out.truncated() || run.run.err.truncated();
    if (run.run.timed_out)
      failure_kind_ = Status::timeout;
    else if (run.run.too_many_processes || run.run.signal != 0 || run.run.memory_exceeded)
      failure_kind_ = Status::crashed;
    else
      failure_kind_ = Status::failed;
    if (!run.sanitizer_report.empty()) failure_kind_ = Status::failed;
  }
  if (!run.passed && (k == 1 || run.run.timed_out || run.run.too_many_processes)) {
    stopped_hard_ = run.run.timed_out || run.run.too_many_processes;
    return false;
  }
  return true;
}

void GroupVerdict::conclude(const std::string& repro_command) {
  // A case that passed in some runs and failed in others is flaky.
  for (auto& cr : gr_.cases) {
    if (cr.runs_passed > 0 && cr.runs_passed < cr.runs) {
      cr.message = fmt::format("flaky: passed {} of {} runs; {}", cr.runs_passed, cr.runs, cr.message);
      cr.status = Status::flaky;
    }
  }
  if (gr_.runs_passed == g_.runs) {
    gr_.status = Status::passed;
    gr_.points = g_.points;
    gr_.message.clear();
  } else if (gr_.runs_passed > 0) {
    gr_.status = Status::flaky;
    gr_.message = fmt::format(
        "flaky {}/{}: passed {} of {} runs, and a test that passes only by luck earns "
        "no points; {}",
        gr_.runs_passed, gr_.runs_done, gr_.runs_passed, gr_.runs_done, gr_.message);
    gr_.command = repro_command;
  } else {
    gr_.status = failure_kind_.value_or(Status::failed);
  }
  if (gr_.status != Status::passed && g_.runs > 1 && gr_.runs_done < g_.runs && !stopped_hard_) {
    gr_.message += fmt::format("\n(the remaining {} run(s) were not needed)", g_.runs - gr_.runs_done);
  }
}

}  // namespace grader
