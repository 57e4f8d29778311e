#include "cli.hpp"

#include <algorithm>
#include <csignal>
#include <iostream>
#include <utility>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "grading.hpp"
#include "isolated_run.hpp"
#include "manifest.hpp"
#include "sanitizer.hpp"
#include "timing.hpp"
#include "verbs.hpp"

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
  watch [EXERCISE]       grade EXERCISE (default: the first one not passed yet), then again
                         each time you save one of its files; keys: h hint, n next
                         exercise, r re-grade, q quit
  list                   lessons, exercises, points, your last grade, where you are, the
                         hints seen
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
  --timing-only          only the timing comparisons (after "the machine was too busy"):
                         each correctness group runs once, as the gate, and is not scored;
                         your last grade keeps its correctness points
  --no-perturb           run tests on the plain schedule only (by default the runs after a
                         group's first perturb it, so that a race shows)
  --no-timelines         no traced run for a failing group (by default one more run with
                         tracing on draws its timeline: <build-dir>/grader/traces/)
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
  bool no_timing = false, timing_only = false, no_perturb = false, no_timelines = false, help = false,
       version = false;

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
  app.add_flag("--timing-only", timing_only);
  app.add_flag("--no-perturb", no_perturb);
  app.add_flag("--no-timelines", no_timelines);
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
  o.run.timing_only = timing_only;
  if (timing_only && no_timing)
    throw UsageError("--timing-only and --no-timing together leave nothing to do");
  if (timing_only && !o.run.sanitizer.empty())
    throw UsageError("--timing-only: timing is not measured under a sanitizer");
  o.run.perturb = !no_perturb;
  o.run.timelines = !no_timelines;
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
    static const std::vector<std::string> verbs{"grade", "selftest", "watch", "list",
                                                "hint",  "files",    "help"};
    if (std::find(verbs.begin(), verbs.end(), words[0]) == verbs.end()) {
      throw UsageError(
          fmt::format("unknown verb '{}' (grade, selftest, watch, list, hint, files, help)", words[0]));
    }
    o.verb = words[0];
    o.args.assign(words.begin() + 1, words.end());
  }
  if (o.verb == "watch" && o.args.size() > 1)
    throw UsageError(fmt::format("watch takes one exercise, or none for the current one: {} watch [EXERCISE]",
                                 own_command()));
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
  restore_terminal();         // watch's keys: echo back on
  kill_all_running_groups();  // the runs are in their own groups: Ctrl-C does not reach them
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

int run_cli(int argc, char** argv) {
  Options o;
  try {
    o = parse_args(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& e) {
    std::cerr << "grader: " << e.what() << "\n(grader help: the usage)\n";
    return exit_usage;
  }
  if (o.verb == "help") {
    std::cout << usage();
    return exit_ok;
  }
  if (o.verb == "version") {
    std::cout << "grader " << GRADER_VERSION << "\n";
    return exit_ok;
  }
  enable_child_subreaper();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_signal);

  GradeOptions& run = o.run;
  run.build_dir = run.build_dir.empty() ? fs::path(GRADER_DEFAULT_BUILD_DIR) : fs::absolute(run.build_dir);
  run.source_dir =
      run.source_dir.empty() ? fs::path(GRADER_DEFAULT_SOURCE_DIR) : fs::absolute(run.source_dir);
  o.manifest = o.manifest.empty() ? run.source_dir / "grader" / "course.toml" : fs::absolute(o.manifest);
  const bool color = use_color(stdout, o.color);
  try {
    const Course course = load_manifest(o.manifest);
    if (o.verb == "list") return list_verb(o, course, color);
    if (o.verb == "hint") return hint_verb(o, course, o.args.at(0), color);
    if (o.verb == "files") return files_verb(o, course);
    if (o.verb == "watch") return watch_verb(o, course, color);
    return grade_verb(o, course);
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
