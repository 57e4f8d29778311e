#include "report.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace grader {

namespace {

// Why a failing group lost its points, what reproduces it, and (when the settings allow)
// the hints.
std::string group_output(const LessonResult& l, const ExerciseResult& e, const GroupResult& g,
                         const GradescopeSettings& s) {
  if (g.status == Status::build_failed) return "The lesson does not compile:\n" + l.build.errors;
  if (g.status == Status::passed) return fmt::format("passed {} of {} runs", g.runs_passed, g.runs);
  std::string output = fmt::format("{}: {}\n\nReproduce: {}", g.status, g.message, g.command);
  if (s.hints && !g.hint.empty()) output += "\nAbout this failure: " + g.hint;
  if (!e.section.empty()) output += "\nReread: " + e.section;
  if (s.hints && !e.next_hint.empty())
    output += fmt::format("\nHint {}/{}: {}", e.hints_shown + 1, e.hints_total, e.next_hint);
  return output;
}

}  // namespace

std::string gradescope_report(const Report& r, const GradescopeSettings& s) {
  using nlohmann::json;
  json tests = json::array();
  double total = 0, max_total = 0;
  for (const auto& l : r.lessons) {
    for (const auto& e : l.exercises) {
      const std::string prefix = fmt::format("{} {} / {}", l.id, l.title, e.id);
      for (const auto& g : e.tests) {
        tests.push_back({{"name", prefix + " / " + g.name},
                         {"score", g.points},
                         {"max_score", g.max_points},
                         {"status", g.status == Status::passed ? Status::passed : Status::failed},
                         {"output", group_output(l, e, g, s)},
                         {"visibility", g.hidden ? s.hidden_visibility : s.visibility}});
        total += g.points;
        max_total += g.max_points;
      }
      const bool correct = std::all_of(e.tests.begin(), e.tests.end(),
                                       [](const GroupResult& g) { return g.status == Status::passed; });
      for (const auto& t : e.timing) {
        double points = t.points;
        std::string output = fmt::format("{}: {}", t.status, t.reason);
        if (!t.counted) {
          // Not measured here: a test all the same, so that the maximum stays the manifest's.
          // Its points, if the course gives them, only to code that passes every test.
          const bool full = s.unmeasured_timing == "full" && correct;
          points = full ? t.max_points : 0;
          output += full      ? "\n(not measured here: full points, as the course decided)"
                    : correct ? "\n(not measured here: no points, as the course decided)"
                              : "\n(not measured here; timing counts only once every test passes)";
        }
        tests.push_back({{"name", prefix + " / timing: " + t.name},
                         {"score", points},
                         {"max_score", t.max_points},
                         {"status", points >= t.max_points ? Status::passed : Status::failed},
                         {"output", output},
                         {"visibility", s.visibility}});
        total += points;
        max_total += t.max_points;
      }
    }
  }
  json out = {
      {"execution_time", static_cast<int>(r.duration_s + 0.5)},
      {"output", fmt::format("{}: {} / {} points", r.course, format_points(total), format_points(max_total))},
      {"visibility", s.visibility},
      {"stdout_visibility", "hidden"},
      {"tests", tests}};
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace grader
