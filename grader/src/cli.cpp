#include "cli.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "grading.hpp"
#include "hints.hpp"
#include "isolated_run.hpp"
#include "manifest.hpp"
#include "report.hpp"
#include "sanitizer.hpp"
#include "timing.hpp"

namespace grader {

namespace fs = std::filesystem;

std::string usage() {
  return fmt::format(
      R"(grader: builds the course's exercises, runs their tests isolated, compares their speed
with the reference solutions, and reports a score.

usage: grader [VERB] [ARGUMENTS] [OPTIONS]

verbs:
  grade [LESSON|EXERCISE...]
                         grade your exercises (default verb; default: every lesson).
                         LESSON is 01, 01-processes or lesson01; an EXERCISE (run_all)
                         grades that exercise alone.
  selftest [LESSON...]   grade the reference solutions: must reach 100% (exit 1 otherwise)
  list                   lessons, exercises, points, your last grade and the hints seen
  hint EXERCISE          the next hint for EXERCISE (one more each time)
  files [EXERCISE]       the files a student edits for EXERCISE (none: every exercise), one a line
  help                   this text

options:
  --format FORMAT        text, json, junit, markdown or gradescope; repeatable
  --output FILE          where the --format just before it goes (default: stdout; when no
                         format goes to stdout, the text report does)
  --sanitize SANITIZER   thread or address: build and test your code under a sanitizer, in
                         its own build tree (<build-dir>-tsan / -asan); a report fails the test
  --no-timing            skip the timing comparisons (their points leave the maximum)
  --no-perturb           run tests on the plain schedule only (by default the runs after a
                         group's first perturb it, so that a race shows)
  --fail-under PERCENT   exit 1 when the score is below PERCENT percent of the maximum
  --jobs N               compile jobs, and test groups run at once (default: the cores, {})
  --build-dir DIR        the CMake build tree (default: {})
  --source-dir DIR       the course's sources (default: {})
  --manifest FILE        the course manifest (default: SOURCE-DIR/grader/course.toml)
  --color WHEN           auto (default: on a terminal, unless NO_COLOR is set), always, never
  --quiet                no progress lines on stderr
  --version              the grader's version

exit status: 0 grading ran (whatever the score); 1 below --fail-under (selftest: below
100%); 2 bad command line; 3 bad manifest; 4 cannot run (no build tree, ...).
)",
      available_cores(), GRADER_DEFAULT_BUILD_DIR, GRADER_DEFAULT_SOURCE_DIR);
}

Options parse_args(const std::vector<std::string>& args) {
  Options o;
  o.run.jobs = 0;
  std::vector<std::string> words;  // the verb, then its arguments
  std::vector<std::string> formats, output_paths;
  std::string fail_under, jobs, color = "auto";
  bool no_timing = false, no_perturb = false, help = false, version = false;

  CLI::App app{"grader"};
  app.set_help_flag();  // our own help: usage()
  app.allow_extras(false);
  app.positionals_at_end(false);
  app.add_option("words", words);
  auto* format_option = app.add_option("--format", formats)
                            ->check(CLI::IsMember({"text", "json", "junit", "markdown", "gradescope"}));
  auto* output_option = app.add_option("--output,-o", output_paths);
  app.add_option("--sanitize", o.run.sanitizer)->check(CLI::IsMember(sanitizer_names()));
  app.add_flag("--no-timing", no_timing);
  app.add_flag("--no-perturb", no_perturb);
  app.add_option("--fail-under", fail_under);
  app.add_option("--jobs,-j", jobs);
  app.add_option("--build-dir", o.run.build_dir);
  app.add_option("--source-dir", o.run.source_dir);
  app.add_option("--manifest", o.manifest);
  app.add_option("--color,--colour", color)->check(CLI::IsMember({"auto", "always", "never"}));
  app.add_flag("--quiet,-q", o.quiet);
  app.add_flag("--help,-h", help);
  app.add_flag("--version", version);

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }

  // Each --output belongs to the --format just before it; one before any --format is the
  // text report's.
  std::size_t next_format = 0, next_output = 0;
  std::optional<std::string> pending_output;
  for (const CLI::Option* opt : app.parse_order()) {
    if (opt == format_option) {
      o.outputs.push_back({formats.at(next_format++), ""});
      if (pending_output) o.outputs.back().path = *std::exchange(pending_output, std::nullopt);
    } else if (opt == output_option) {
      const std::string& path = output_paths.at(next_output++);
      if (!o.outputs.empty() && o.outputs.back().path.empty() && !pending_output) {
        o.outputs.back().path = path;
      } else if (!pending_output && o.outputs.empty()) {
        pending_output = path;
      } else {
        throw UsageError(fmt::format("--output {}: give one --output after each --format", path));
      }
    }
  }
  if (pending_output) o.outputs.push_back({"text", *pending_output});

  o.run.timing = !no_timing;
  o.run.perturb = !no_perturb;
  if (!fail_under.empty()) {
    std::string v = fail_under;
    if (v.back() == '%') v.pop_back();
    try {
      std::size_t used = 0;
      o.fail_under = std::stod(v, &used);
      if (used != v.size() || *o.fail_under < 0 || *o.fail_under > 100) throw std::invalid_argument(v);
    } catch (const std::exception&) {
      throw UsageError(fmt::format("--fail-under takes a percentage between 0 and 100 (got '{}')", v));
    }
  }
  if (!jobs.empty()) {
    try {
      std::size_t used = 0;
      o.run.jobs = std::stoi(jobs, &used);
      if (used != jobs.size()) o.run.jobs = -1;
    } catch (const std::exception&) {
      o.run.jobs = -1;
    }
    if (o.run.jobs < 1 || o.run.jobs > 256)
      throw UsageError(fmt::format("--jobs takes a number from 1 to 256 (got '{}')", jobs));
  }
  o.color = color == "always"  ? ColorMode::always
            : color == "never" ? ColorMode::never
                               : ColorMode::automatic;

  if (help || version) {
    o.verb = help ? "help" : "version";
    if (!words.empty()) throw UsageError(fmt::format("{} takes no arguments", o.verb));
    return o;
  }
  if (!words.empty()) {
    static const std::vector<std::string> verbs{"grade", "selftest", "list", "hint", "files", "help"};
    if (std::find(verbs.begin(), verbs.end(), words[0]) == verbs.end()) {
      throw UsageError(fmt::format("unknown verb '{}' (grade, selftest, list, hint, files, help)", words[0]));
    }
    o.verb = words[0];
    o.args.assign(words.begin() + 1, words.end());
  }
  if (o.verb == "files" && o.args.size() > 1)
    throw UsageError(
        fmt::format("files takes one exercise, or none for all: {} files EXERCISE", own_command()));
  if (o.verb == "hint" && o.args.size() != 1)
    throw UsageError(fmt::format("hint takes one exercise: {} hint EXERCISE", own_command()));
  if ((o.verb == "list" || o.verb == "help") && !o.args.empty()) {
    throw UsageError(fmt::format("{} takes no arguments", o.verb));
  }
  return o;
}

namespace {

void on_signal(int sig) {
  kill_all_running_groups();  // the runs are in their own groups: Ctrl-C does not reach them
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void write_file(const std::string& path, const std::string& text) {
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

fs::path last_grade_file(const fs::path& build_dir) { return build_dir / "grader" / "last-grade.json"; }

// Keeps the last grade per lesson (a later `grade 02` replaces lesson 02 only), for `list`.
void remember(const fs::path& build_dir, const nlohmann::json& report) {
  const fs::path file = last_grade_file(build_dir);
  nlohmann::json merged = nlohmann::json::object();
  if (std::ifstream in(file); in) {
    auto old = nlohmann::json::parse(in, nullptr, false);
    if (!old.is_discarded() && old.is_object()) merged = old;
  }
  if (!merged.contains("lessons") || !merged["lessons"].is_object())
    merged["lessons"] = nlohmann::json::object();
  for (const auto& l : report["lessons"]) {
    // Exercise by exercise: a grade of one exercise keeps the others' last grades.
    nlohmann::json& entry = merged["lessons"][l["id"].get<std::string>()];
    if (!entry.is_object() || !entry.contains("exercises") || !entry["exercises"].is_object())
      entry = {{"exercises", nlohmann::json::object()}};
    entry["build"] = l["build"]["status"];
    entry["graded_at"] = report["started_at"];
    for (const auto& e : l["exercises"]) {
      entry["exercises"][e["id"].get<std::string>()] = {
          {"score", e["score"]}, {"max_score", e["max_score"]}, {"status", e["status"]}};
    }
    double score = 0, max = 0;
    for (const auto& [id, e] : entry["exercises"].items()) {
      score += e.value("score", 0.0);
      max += e.value("max_score", 0.0);
    }
    entry["score"] = score;
    entry["max_score"] = max;
  }
  try {
    write_file(file.string(), merged.dump(2) + "\n");
  } catch (const std::exception&) {
    // `list` just shows less.
  }
}

// The options, with their paths resolved (run_cli).
struct Context {
  Options o;
};

int do_list(const Context& c, const Course& course, bool color) {
  nlohmann::json last = nlohmann::json::object();
  if (std::ifstream in(last_grade_file(c.o.run.build_dir)); in) {
    last = nlohmann::json::parse(in, nullptr, false);
    if (last.is_discarded()) last = nlohmann::json::object();
  }
  const HintState hints = HintState::load(hints_file(c.o.run.build_dir));
  std::string out = paint(course.title, "title", color) + "\n";
  for (const auto& l : course.lessons) {
    const nlohmann::json* ll = nullptr;
    if (last.contains("lessons") && last["lessons"].contains(l.id)) ll = &last["lessons"][l.id];
    std::string status = ll == nullptr
                             ? "not graded yet"
                             : fmt::format("last grade {}/{}", format_points((*ll)["score"].get<double>()),
                                           format_points((*ll)["max_score"].get<double>()));
    if (ll != nullptr && (*ll)["build"] == "failed") status += ", did not compile";
    out += fmt::format("\n{}  {}  ({} points; {})\n", paint(l.id + " " + l.title, "bold", color),
                       paint("lessons/" + l.dir + "/README.md", "dim", color), format_points(l.max_points()),
                       status);
    for (const auto& e : l.exercises) {
      std::string st = "-";
      const char* kind = "dim";
      if (ll != nullptr && (*ll)["exercises"].contains(e.id)) {
        const auto& ee = (*ll)["exercises"][e.id];
        st = fmt::format("{}/{} {}", format_points(ee["score"].get<double>()),
                         format_points(ee["max_score"].get<double>()), ee["status"].get<std::string>());
        kind = ee["status"] == "passed" ? "ok" : ee["status"] == "partial" ? "warn" : "bad";
      }
      out += fmt::format("   {:<22} {:<6} {:>5} pts  {:<22} hints {}/{}   {}\n", e.id, e.kind,
                         format_points(e.max_points()), paint(st, kind, color), hints.shown(e.id),
                         e.hints.size(), paint(e.title, "dim", color));
    }
  }
  out += fmt::format("\nTotal: {} points. `{} grade` grades, `{} hint EXERCISE` gives a hint.\n",
                     format_points(course.max_points()), own_command(), own_command());
  std::cout << out;
  return exit_ok;
}

// The files of an exercise (the manifest's `files`), for `./course reset`.
int do_files(const Context& c, const Course& course) {
  const std::string id = c.o.args.empty() ? "" : c.o.args[0];
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

int do_hint(const Context& c, const Course& course, bool color) {
  const std::string& id = c.o.args[0];
  const Lesson* lesson = nullptr;
  const Exercise* ex = course.find_exercise(id, &lesson);
  if (ex == nullptr) {
    std::string ids;
    for (const auto& l : course.lessons) {
      for (const auto& e : l.exercises) ids += (ids.empty() ? "" : ", ") + e.id;
    }
    throw UsageError(fmt::format("no exercise '{}' (exercises: {})", id, ids));
  }
  HintState hints = HintState::load(hints_file(c.o.run.build_dir));
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
  std::cout << out;
  return exit_ok;
}

// After a full score: the exercise after the last one graded (in the course's order),
// or the next lesson's page, or the end of the course.
std::string whats_next(const Course& course, const Report& report) {
  const Exercise* last = nullptr;
  for (const auto& lr : report.lessons)
    for (const auto& er : lr.exercises)
      if (const Exercise* ex = course.find_exercise(er.id)) last = ex;
  bool after = false;
  for (const auto& l : course.lessons) {
    for (const auto& e : l.exercises) {
      if (after) {
        const bool same_lesson = !report.lessons.empty() && report.lessons.back().id == l.id;
        if (same_lesson)
          return fmt::format("\nAll passed. Next: {} ({}), then `{} grade {}`.\n", e.id, e.title,
                             own_command(), e.id);
        return fmt::format(
            "\nAll passed. Next: lesson {} ({}): read lessons/{}/README.md, then `{} grade {}`.\n", l.id,
            l.title, l.dir, own_command(), l.id);
      }
      if (&e == last) after = true;
    }
  }
  return "\nAll passed, and that was the course's last exercise: well done.\n";
}

int do_grade(const Context& c, const Course& course) {
  const Options& o = c.o;
  GradeOptions g = o.run;
  g.selftest = o.verb == "selftest";
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

  const nlohmann::json j = to_json(report);
  if (!g.selftest) remember(g.build_dir, j);

  std::vector<Destination> outputs = o.outputs;
  const bool stdout_taken =
      std::any_of(outputs.begin(), outputs.end(), [](const Destination& d) { return d.path.empty(); });
  if (!stdout_taken) outputs.insert(outputs.begin(), {"text", ""});
  int rc = exit_ok;
  for (const auto& d : outputs) {
    std::string text;
    if (d.format == "text")
      text = text_report(report, d.path.empty() && use_color(stdout, o.color));
    else if (d.format == "json")
      text = json_report(report);
    else if (d.format == "junit")
      text = junit_report(report);
    else if (d.format == "markdown")
      text = markdown_report(report);
    else
      text = gradescope_report(report);
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
  if (!stdout_taken && !g.selftest && report.max_score > 0 && report.score >= report.max_score)
    std::cout << whats_next(course, report);
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

}  // namespace

int run_cli(int argc, char** argv) {
  Context c;
  try {
    c.o = parse_args(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& e) {
    std::cerr << "grader: " << e.what() << "\n(grader help: the usage)\n";
    return exit_usage;
  }
  if (c.o.verb == "help") {
    std::cout << usage();
    return exit_ok;
  }
  if (c.o.verb == "version") {
    std::cout << "grader " << GRADER_VERSION << "\n";
    return exit_ok;
  }
  enable_child_subreaper();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_signal);

  GradeOptions& run = c.o.run;
  run.build_dir = run.build_dir.empty() ? fs::path(GRADER_DEFAULT_BUILD_DIR) : fs::absolute(run.build_dir);
  run.source_dir =
      run.source_dir.empty() ? fs::path(GRADER_DEFAULT_SOURCE_DIR) : fs::absolute(run.source_dir);
  c.o.manifest =
      c.o.manifest.empty() ? run.source_dir / "grader" / "course.toml" : fs::absolute(c.o.manifest);
  const bool color = use_color(stdout, c.o.color);
  try {
    const Course course = load_manifest(c.o.manifest);
    if (c.o.verb == "list") return do_list(c, course, color);
    if (c.o.verb == "hint") return do_hint(c, course, color);
    if (c.o.verb == "files") return do_files(c, course);
    return do_grade(c, course);
  } catch (const ManifestError& e) {
    std::cerr << "grader: bad manifest: " << e.what() << "\n";
    return exit_manifest;
  } catch (const UsageError& e) {
    std::cerr << "grader: " << e.what() << "\n";
    return exit_usage;
  } catch (const GradingError& e) {
    std::cerr << "grader: cannot grade: " << e.what() << "\n";
    return exit_cannot_run;
  } catch (const std::exception& e) {
    std::cerr << "grader: internal error: " << e.what() << "\n";
    return exit_cannot_run;
  }
}

}  // namespace grader
