#include "report.hpp"

namespace grader {

namespace {

using nlohmann::json;

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json group_json(const GroupResult& g) {
  json cases = json::array();
  for (const auto& c : g.cases) {
    cases.push_back({{"name", c.name},
                     {"status", c.status},
                     {"runs", c.runs},
                     {"runs_passed", c.runs_passed},
                     {"message", c.message}});
  }
  json backtraces = json::array();
  for (const auto& b : g.backtraces)
    backtraces.push_back({{"pid", b.pid}, {"command", b.command}, {"text", b.text}});
  return {{"name", g.name},
          {"filter", g.filter},
          {"points", g.points},
          {"max_points", g.max_points},
          {"status", g.status},
          {"runs", g.runs},
          {"runs_done", g.runs_done},
          {"runs_passed", g.runs_passed},
          {"counted", g.counted},
          {"hint", g.hint.empty() ? json(nullptr) : json(g.hint)},
          {"timeout_s", g.timeout_s},
          {"duration_s", g.duration_s},
          {"message", g.message},
          {"command", g.command},
          {"cases", cases},
          {"backtraces", backtraces},
          {"sanitizer_report", g.sanitizer_report},
          {"output", g.output},
          {"output_truncated", g.output_truncated},
          {"trace",
           {{"json", g.trace.json.empty() ? json(nullptr) : json(g.trace.json)},
            {"svg", g.trace.svg.empty() ? json(nullptr) : json(g.trace.svg)},
            {"failed_again", g.trace.failed_again},
            {"note", g.trace.note}}},
          {"cleanup",
           {{"segments_removed", g.segments_removed},
            {"segments_left", g.segments_left},
            {"stragglers_killed", g.stragglers_killed},
            {"peak_processes", g.peak_processes}}}};
}

json timing_json(const TimingResult& t) {
  return {{"name", t.name},
          {"benchmark", t.benchmark},
          {"baseline", t.baseline.empty() ? json(nullptr) : json(t.baseline)},
          {"kind", t.kind},
          {"points", t.points},
          {"max_points", t.max_points},
          {"status", t.status},
          {"counted", t.counted},
          {"deferred", t.deferred},
          {"reason", t.reason},
          {"required", t.required},
          {"zero_at", t.zero_at},
          {"value", optional_number(t.value)},
          {"ci", t.ci_low ? json::array({*t.ci_low, *t.ci_high}) : json(nullptr)},
          {"pairs", t.pairs},
          {"cores", t.cores},
          {"free_cores", optional_number(t.free_cores)},
          {"samples_ns", {{"a", t.a_ns}, {"b", t.b_ns}}},
          {"command", t.command}};
}

}  // namespace

json to_json(const Report& r) {
  json lessons = json::array();
  for (const auto& l : r.lessons) {
    json exercises = json::array();
    for (const auto& e : l.exercises) {
      json tests = json::array();
      for (const auto& g : e.tests) tests.push_back(group_json(g));
      json timing = json::array();
      for (const auto& t : e.timing) timing.push_back(timing_json(t));
      exercises.push_back({{"id", e.id},
                           {"title", e.title},
                           {"kind", e.kind},
                           {"files", e.files},
                           {"section", e.section},
                           {"score", e.score},
                           {"max_score", e.max_score},
                           {"status", e.status},
                           {"hints", {{"total", e.hints_total}, {"shown", e.hints_shown}}},
                           {"next_hint", e.next_hint.empty() ? json(nullptr) : json(e.next_hint)},
                           {"warnings", e.warnings},
                           {"tests", tests},
                           {"timing", timing}});
    }
    lessons.push_back({{"id", l.id},
                       {"dir", l.dir},
                       {"title", l.title},
                       {"score", l.score},
                       {"max_score", l.max_score},
                       {"build",
                        {{"status", l.build.status},
                         {"target", l.build.target},
                         {"command", l.build.command},
                         {"errors", l.build.errors},
                         {"duration_s", l.build.duration_s}}},
                       {"exercises", exercises}});
  }
  return {{"schema", r.schema},
          {"course", r.course},
          {"mode", r.mode},
          {"score", r.score},
          {"max_score", r.max_score},
          {"percent", percent(r.score, r.max_score)},
          {"started_at", r.started_at},
          {"duration_s", r.duration_s},
          {"grader_version", r.grader_version},
          {"machine", {{"cores", r.cores}, {"sandbox", r.sandbox}}},
          {"options",
           {{"sanitizer", r.sanitizer.empty() ? json(nullptr) : json(r.sanitizer)},
            {"timing", r.timing_enabled},
            {"timing_only", r.timing_only}}},
          {"build_dir", r.build_dir},
          {"manifest", r.manifest},
          {"lessons", lessons}};
}

std::string json_report(const Report& report) {
  // Invalid UTF-8 in a program's output must not make the report unwritable.
  return to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace grader
