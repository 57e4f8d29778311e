#include "report.hpp"

#include <fmt/format.h>

namespace grader {

std::string gradescope_report(const Report& r) {
  using nlohmann::json;
  json tests = json::array();
  for (const auto& l : r.lessons) {
    for (const auto& e : l.exercises) {
      const std::string prefix = fmt::format("{} {} / {}", l.id, l.title, e.id);
      for (const auto& g : e.tests) {
        std::string output;
        if (g.status == Status::build_failed) {
          output = "The lesson does not compile:\n" + l.build.errors;
        } else if (g.status != Status::passed) {
          output = fmt::format("{}: {}\n\nReproduce: {}", g.status, g.message, g.command);
          if (!g.hint.empty()) output += "\nAbout this failure: " + g.hint;
          if (!e.section.empty()) output += "\nReread: " + e.section;
          if (!e.next_hint.empty())
            output += fmt::format("\nHint {}/{}: {}", e.hints_shown + 1, e.hints_total, e.next_hint);
        } else {
          output = fmt::format("passed {} of {} runs", g.runs_passed, g.runs);
        }
        tests.push_back({{"name", prefix + " / " + g.name},
                         {"score", g.points},
                         {"max_score", g.max_points},
                         {"status", g.status == Status::passed ? Status::passed : Status::failed},
                         {"output", output},
                         {"visibility", "visible"}});
      }
      for (const auto& t : e.timing) {
        if (!t.counted) continue;  // not graded on this machine: not part of max_score either
        tests.push_back({{"name", prefix + " / timing: " + t.name},
                         {"score", t.points},
                         {"max_score", t.max_points},
                         {"status", t.points >= t.max_points ? Status::passed : Status::failed},
                         {"output", fmt::format("{}: {}", t.status, t.reason)},
                         {"visibility", "visible"}});
      }
    }
  }
  json out = {{"score", r.score},
              {"max_score", r.max_score},
              {"execution_time", static_cast<int>(r.duration_s + 0.5)},
              {"output", fmt::format("{}: {} / {} points", r.course, format_points(r.score),
                                     format_points(r.max_score))},
              {"stdout_visibility", "visible"},
              {"tests", tests}};
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace grader
