// The verbs that read the student's state: list, hint, files; and what comes after a full score.
#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "hints.hpp"
#include "last_grade.hpp"
#include "results.hpp"
#include "verbs.hpp"

namespace grader {

namespace {

const char* standing_word(Standing s) {
  switch (s) {
    case Standing::done: return "done";
    case Standing::current: return "now";
    case Standing::next: return "next";
    case Standing::later: break;
  }
  return "";
}

}  // namespace

int list_verb(const Options& o, const Course& course, bool color) {
  const LastGrade last = LastGrade::load(o.run.build_dir);
  const HintState hints = HintState::load(hints_file(o.run.build_dir));
  std::string out = paint(course.title, "title", color) + "\n";
  for (const auto& l : course.lessons) {
    const nlohmann::json* ll = last.lesson(l.id);
    std::string status = ll == nullptr
                             ? "not graded yet"
                             : fmt::format("last grade {}/{}", format_points((*ll)["score"].get<double>()),
                                           format_points((*ll)["max_score"].get<double>()));
    if (ll != nullptr && ll->value("build", "") == "failed") status += ", did not compile";
    out += fmt::format("\n{}  {}  ({} points; {})\n", paint(l.id + " " + l.title, "bold", color),
                       paint("lessons/" + l.dir + "/README.md", "dim", color), format_points(l.max_points()),
                       status);
    for (const auto& e : l.exercises) {
      std::string st = "-";
      const char* kind = "dim";
      if (const nlohmann::json* ee = last.exercise(l.id, e.id)) {
        st = fmt::format("{}/{} {}", format_points((*ee)["score"].get<double>()),
                         format_points((*ee)["max_score"].get<double>()), (*ee)["status"].get<std::string>());
        kind = (*ee)["status"] == "passed" ? "ok" : (*ee)["status"] == "partial" ? "warn" : "bad";
      }
      const Standing s = last.standing(course, e);
      const std::string where = fmt::format("{:<4}", standing_word(s));
      out += fmt::format("   {:<22} {:<6} {:>5} pts  {:<22} {} hints {}/{}   {}\n", e.id, e.kind,
                         format_points(e.max_points()), paint(st, kind, color),
                         paint(where, s == Standing::current ? "title" : "dim", color), hints.shown(e.id),
                         e.hints.size(), paint(e.title, "dim", color));
    }
  }
  out += fmt::format("\nTotal: {} points.", format_points(course.max_points()));
  if (const Exercise* now = last.current(course)) {
    out += fmt::format(" Now: {} ({}): `{} watch` grades it each time you save, `{} hint {}` gives a hint.\n",
                       now->id, now->section.empty() ? now->title : now->section, own_command(),
                       own_command(), now->id);
  } else {
    out += " Every exercise passed: well done.\n";
  }
  std::cout << out;
  return exit_ok;
}

int files_verb(const Options& o, const Course& course) {
  const std::string id = o.args.empty() ? "" : o.args[0];
  std::vector<const Exercise*> exercises;
  if (id.empty()) {
    for (const auto& l : course.lessons)
      for (const auto& e : l.exercises) exercises.push_back(&e);
  } else if (const Exercise* ex = course.find_exercise(id)) {
    exercises.push_back(ex);
  } else {
    throw UsageError(fmt::format("no exercise '{}' (`{} list` shows them)", id, own_command()));
  }
  for (const Exercise* e : exercises)
    for (const auto& f : e->files) std::cout << f << '\n';
  return exit_ok;
}

int hint_verb(const Options& o, const Course& course, const std::string& id, bool color) {
  const Lesson* lesson = nullptr;
  const Exercise* ex = course.find_exercise(id, &lesson);
  if (ex == nullptr) {
    std::string ids;
    for (const auto& l : course.lessons) {
      for (const auto& e : l.exercises) ids += (ids.empty() ? "" : ", ") + e.id;
    }
    throw UsageError(fmt::format("no exercise '{}' (exercises: {})", id, ids));
  }
  HintState hints = HintState::load(hints_file(o.run.build_dir));
  const int total = static_cast<int>(ex->hints.size());
  const int shown = hints.shown(ex->id);
  std::string out =
      paint(fmt::format("{} (lesson {}): {}", ex->id, lesson->id, ex->title), "bold", color) + "\n";
  if (total == 0) {
    out += "This exercise has no hints. Reread " + (ex->section.empty() ? "the lesson" : ex->section) + ".\n";
  } else if (shown < total) {
    out += fmt::format("{} {}\n", paint(fmt::format("Hint {}/{}:", shown + 1, total), "warn", color),
                       ex->hints[static_cast<std::size_t>(shown)]);
    if (shown + 1 < total)
      out += paint(fmt::format("(run `{} hint {}` again for the next one)\n", own_command(), ex->id), "dim",
                   color);
    hints.set_shown(ex->id, shown + 1);
    try {
      hints.save();
    } catch (const std::exception& e) {
      out += fmt::format("(could not remember it: {})\n", e.what());
    }
  } else {
    out += fmt::format("You have seen all {} hints:\n", total);
    for (int i = 0; i < total; ++i)
      out += fmt::format("  {}. {}\n", i + 1, ex->hints[static_cast<std::size_t>(i)]);
  }
  if (!ex->section.empty()) out += fmt::format("Reread: {}\n", ex->section);
  std::cout << out << std::flush;
  return exit_ok;
}

std::string whats_next(const Course& course, const Report& report, bool watching) {
  const Exercise* last = nullptr;
  for (const auto& lr : report.lessons)
    for (const auto& er : lr.exercises)
      if (const Exercise* ex = course.find_exercise(er.id)) last = ex;
  const Exercise* next = last == nullptr ? nullptr : exercise_after(course, *last);
  if (next == nullptr) return "\nAll passed, and that was the course's last exercise: well done.\n";
  const Lesson* l = nullptr;
  course.find_exercise(next->id, &l);
  const bool same_lesson = !report.lessons.empty() && report.lessons.back().id == l->id;
  if (watching && same_lesson)
    return fmt::format("\nAll passed. Next: {} ({}): press n.\n", next->id, next->title);
  if (watching)
    return fmt::format("\nAll passed. Next: lesson {} ({}): read lessons/{}/README.md, then press n.\n",
                       l->id, l->title, l->dir);
  if (same_lesson)
    return fmt::format("\nAll passed. Next: {} ({}), then `{} grade {}`.\n", next->id, next->title,
                       own_command(), next->id);
  return fmt::format("\nAll passed. Next: lesson {} ({}): read lessons/{}/README.md, then `{} grade {}`.\n",
                     l->id, l->title, l->dir, own_command(), l->id);
}

}  // namespace grader
