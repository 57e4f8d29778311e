// The grade and selftest verbs: grade, write the reports, remember the grade.
#include <algorithm>
#include <fstream>
#include <iostream>

#include <unistd.h>

#include <fmt/format.h>

#include "hints.hpp"
#include "last_grade.hpp"
#include "report.hpp"
#include "timing.hpp"
#include "verbs.hpp"

namespace grader {

namespace fs = std::filesystem;

namespace {

void write_file(const std::string& path, const std::string& text) {
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int grade_verb(const Options& o, const Course& course) {
  GradeOptions g = o.run;
  g.selftest = o.verb == "selftest";
  if (g.selftest && course.edition == Edition::student) {
    throw UsageError(
        "selftest grades the reference solutions, which the students' copy of the course does not have "
        "(it runs in the instructors' repository)");
  }
  g.jobs = o.run.jobs > 0 ? o.run.jobs : available_cores();
  // Lessons (01, 01-processes) and exercises (run_all): an exercise alone grades only it.
  bool some_exercise = false;
  std::vector<const Exercise*> chosen;
  for (const auto& key : o.args) {
    const Lesson* l = course.find_lesson(key);
    const Exercise* ex = l == nullptr ? course.find_exercise(key, &l) : nullptr;
    if (l == nullptr) {
      std::string ids;
      for (const auto& ll : course.lessons) ids += (ids.empty() ? "" : ", ") + ll.id + " (" + ll.dir + ")";
      throw UsageError(fmt::format("no lesson or exercise '{}' (lessons: {}; `{} list` shows the exercises)",
                                   key, ids, own_command()));
    }
    if (std::find(g.lessons.begin(), g.lessons.end(), l) == g.lessons.end()) g.lessons.push_back(l);
    if (ex != nullptr) {
      some_exercise = true;
      chosen.push_back(ex);
    } else {
      for (const auto& e : l->exercises) chosen.push_back(&e);
    }
  }
  if (some_exercise) g.exercises = chosen;
  std::sort(g.lessons.begin(), g.lessons.end());  // the course's order (pointers into one vector)
  Progress progress(!o.quiet, o.color);
  g.progress = [&](const std::string& line) { progress(line); };
  Report report = grade(course, g);
  progress.finish();

  // Hints: the next unrevealed one for each exercise that lost points.
  const HintState hints =
      HintState::load(hints_file(g.build_dir));  // in the main tree, also under --sanitize
  for (auto& lr : report.lessons) {
    for (auto& er : lr.exercises) {
      const Exercise* ex = course.find_exercise(er.id);
      er.hints_shown = std::min(hints.shown(er.id), er.hints_total);
      if (ex != nullptr && er.status != Status::passed && er.hints_shown < er.hints_total) {
        er.next_hint = ex->hints[static_cast<std::size_t>(er.hints_shown)];
      }
    }
  }

  if (!g.selftest) {
    LastGrade last = LastGrade::load(g.build_dir);
    last.remember(to_json(report));
  }
  // The whole report, always: what the text report cuts is there.
  const fs::path saved = g.build_dir / "grader" / "last-report.json";
  try {
    write_file(saved.string(), json_report(report));
    report.full_report = display_path(saved);
  } catch (const std::exception&) {
    // The text report then names the JSON report option instead.
  }

  std::vector<Destination> outputs = o.outputs;
  const bool stdout_taken =
      std::any_of(outputs.begin(), outputs.end(), [](const Destination& d) { return d.path.empty(); });
  if (!stdout_taken) outputs.insert(outputs.begin(), {"text", ""});
  int rc = exit_ok;
  for (const auto& d : outputs) {
    std::string text;
    if (d.format == "text")
      text = text_report(report, d.path.empty() && use_color(stdout, o.color), o.watching);
    else if (d.format == "json")
      text = json_report(report);
    else if (d.format == "junit")
      text = junit_report(report);
    else if (d.format == "markdown")
      text = markdown_report(report);
    else
      text = gradescope_report(report, course.gradescope);
    if (d.path.empty()) {
      std::cout << text << std::flush;
    } else {
      try {
        write_file(d.path, text);
        if (!o.quiet) std::cerr << fmt::format("grader: {} report written to {}\n", d.format, d.path);
      } catch (const std::exception& e) {
        std::cerr << "grader: " << e.what() << "\n";
        rc = exit_cannot_run;
      }
    }
  }
  if (rc != exit_ok) return rc;
  if (!stdout_taken && !g.selftest && !g.timing_only && report.max_score > 0 &&
      report.score >= report.max_score)
    std::cout << whats_next(course, report, o.watching);
  // The text report showed each failing exercise's next hint to a person at a terminal:
  // that counts as seen, so `hint` goes on with the one after it (a log or a file read
  // later does not count).
  if (!stdout_taken && !g.selftest && ::isatty(STDOUT_FILENO) == 1) {
    HintState seen = HintState::load(hints_file(g.build_dir));
    bool any = false;
    for (const auto& lr : report.lessons) {
      for (const auto& er : lr.exercises) {
        if (er.next_hint.empty()) continue;
        seen.set_shown(er.id, er.hints_shown + 1);
        any = true;
      }
    }
    try {
      if (any) seen.save();
    } catch (const std::exception&) {
      // The next report offers the same hint again: no harm.
    }
  }
  const double pct = percent(report.score, report.max_score);
  if (g.selftest && report.score < report.max_score) {
    std::cerr << fmt::format("grader: selftest FAILED: the reference solutions score {} / {}, not 100%\n",
                             format_points(report.score), format_points(report.max_score));
    return exit_below_minimum;
  }
  if (o.fail_under && pct + 1e-9 < *o.fail_under) {
    std::cerr << fmt::format("grader: score {:.1f}% is below --fail-under {}%\n", pct, *o.fail_under);
    return exit_below_minimum;
  }
  return exit_ok;
}

}  // namespace grader
