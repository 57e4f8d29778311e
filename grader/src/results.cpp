#include "results.hpp"

#include <cmath>

#include <fmt/format.h>

namespace grader {

namespace {
double round2(double v) { return std::round(v * 100) / 100; }
}  // namespace

double percent(double score, double max) { return max > 0 ? 100 * score / max : 100; }

std::string format_points(double points) {
  std::string s = fmt::format("{:.2f}", round2(points));
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string short_command(const std::string& command) {
  std::string out;
  std::size_t pos = 0;
  bool first = true;
  while (pos < command.size()) {
    std::size_t end = command.find(' ', pos);
    if (end == std::string::npos) end = command.size();
    std::string word = command.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty() || word.starts_with("--gtest_output") || word.starts_with("--gtest_color")) continue;
    if (first) {
      word = word.substr(word.rfind('/') == std::string::npos ? 0 : word.rfind('/') + 1);
      first = false;
    }
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

void compute_scores(Report& report) {
  report.score = report.max_score = 0;
  for (auto& lesson : report.lessons) {
    lesson.score = lesson.max_score = 0;
    for (auto& ex : lesson.exercises) {
      ex.score = ex.max_score = 0;
      for (auto& g : ex.tests) {
        g.points = round2(g.points);
        if (!g.counted) continue;
        ex.score += g.points;
        ex.max_score += g.max_points;
      }
      for (auto& t : ex.timing) {
        t.points = round2(t.points);
        if (!t.counted) continue;
        ex.score += t.points;
        ex.max_score += t.max_points;
      }
      ex.score = round2(ex.score);
      if (lesson.build.failed()) {
        ex.status = Status::build_failed;
      } else if (ex.score >= ex.max_score - 1e-9) {
        ex.status = Status::passed;
      } else if (ex.score <= 0) {
        ex.status = Status::failed;
      } else {
        ex.status = Status::partial;
      }
      lesson.score += ex.score;
      lesson.max_score += ex.max_score;
    }
    lesson.score = round2(lesson.score);
    report.score += lesson.score;
    report.max_score += lesson.max_score;
  }
  report.score = round2(report.score);
  report.max_score = round2(report.max_score);
}

std::string trace_line(const TraceInfo& trace) {
  const std::string what = trace.failed_again
                               ? "a traced run that failed again"
                               : "a traced run that passed this time (the failure did not recur)";
  const std::string picture = trace.svg.empty() ? "" : trace.svg + " (open it in a browser): ";
  return fmt::format("{}{}; its events: {} (open it in https://ui.perfetto.dev)", picture, what, trace.json);
}

}  // namespace grader
