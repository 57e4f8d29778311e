#include "test_group.hpp"

#include <cctype>
#include <chrono>
#include <random>

#include <fmt/format.h>

#include "build.hpp"
#include "failure_trace.hpp"
#include "grading.hpp"
#include "group_verdict.hpp"
#include "gtest_run.hpp"
#include "stack_folding.hpp"

namespace grader {

namespace {

// Never 0 (which means "plain"), different in every grading.
std::uint64_t perturb_seed() {
  std::random_device rd;
  return std::uniform_int_distribution<std::uint64_t>(100, 999'999'999)(rd);
}

void replace_all(std::string& s, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (std::size_t pos = 0; (pos = s.find(what, pos)) != std::string::npos; pos += with.size())
    s.replace(pos, what.size(), with);
}

}  // namespace

std::string repro_command(const SanitizerProfile& sanitizer, const LessonTests& lesson,
                          const std::string& filter, int repeat, std::uint64_t perturb_seed) {
  std::vector<std::string> argv{display_path(lesson.tests), "--gtest_filter=" + filter};
  if (repeat > 1) argv.push_back(fmt::format("--gtest_repeat={}", repeat));
  const std::string perturb = perturb_seed != 0 ? fmt::format("MP_PERTURB={} ", perturb_seed) : "";
  const std::string rebuild = lesson.rebuild.empty() ? "" : lesson.rebuild + " && ";
  return rebuild + sanitizer.repro_prefix() + perturb + shell_join(argv);
}

GroupResult planned_group(const TestGroup& group, const LessonTests& lesson,
                          const SanitizerProfile& sanitizer) {
  GroupResult gr;
  gr.name = group.name;
  gr.filter = group.filter;
  gr.max_points = group.points;
  gr.runs = group.runs;
  gr.timeout_s = group.timeout_s * sanitizer.time_scale;
  gr.hint = group.hint;
  gr.hidden = group.hidden;
  gr.command = repro_command(sanitizer, lesson, group.filter, 1);
  return gr;
}

GroupResult run_test_group(const TestGroup& group, const LessonTests& lesson, const GroupContext& context) {
  const SanitizerProfile& sanitizer = *context.sanitizer;
  GroupResult gr = planned_group(group, lesson, sanitizer);
  const auto t0 = std::chrono::steady_clock::now();
  const auto say = [&](const std::string& line) {
    if (context.say) context.say(context.tag + ": " + line);
  };

  if (!lesson.list_error.empty()) {
    gr.status = Status::crashed;
    gr.message = "the test program could not even list its tests: " + lesson.list_error;
    return gr;
  }
  std::vector<std::string> expected;
  for (const auto& t : lesson.all_tests) {
    if (filter_matches(group.filter, t)) expected.push_back(t);
  }
  if (expected.empty()) {
    gr.status = Status::error;
    gr.message = fmt::format("no test of {} matches the filter '{}' (a manifest error)",
                             lesson.tests.filename().string(), group.filter);
    return gr;
  }
  for (const auto& name : expected) gr.cases.push_back({name, Status::passed, 0, 0, ""});

  GroupVerdict verdict(gr, group);
  // Runs after the first perturb the schedule, each with its own seed: a race that
  // loses one plain run in twenty loses most perturbed ones (docs/grading.md, "Races").
  const std::uint64_t seed = context.perturb ? perturb_seed() : 0;
  GroupRunSpec last;  // the last run's: a failing group stops at its failing run
  for (int k = 1; k <= group.runs; ++k) {
    say(fmt::format("run {}/{}", k, group.runs));
    GroupRunSpec spec;
    spec.binary = lesson.tests;
    spec.filter = group.filter;
    spec.expected = expected;
    spec.limits = context.limits;
    spec.env = context.env;
    spec.env.emplace_back("MP_GRADER_RUN", fmt::format("{}/{}", k, group.runs));
    std::string how;
    if (seed != 0 && k > 1) {
      spec.env.emplace_back("MP_PERTURB", std::to_string(seed + k));
      how = fmt::format("schedule perturbed, MP_PERTURB={}", seed + k);
    }
    spec.scratch = context.scratch.string() + fmt::format("-{}", k);
    last = spec;
    if (!verdict.add(run_group_once(spec), k, how)) break;
  }
  verdict.conclude(
      repro_command(sanitizer, lesson, group.filter, 20, seed != 0 && group.runs > 1 ? seed + 2 : 0));
  if (!context.trace_dir.empty() && wants_failure_trace(gr.status)) {
    say("a traced run, for the timeline");
    attach_failure_trace(gr, last, context.trace_dir, context.trace_name, context.source_dir);
  }
  // Paths in assertion messages read better relative to the sources.
  const std::string prefix = (context.source_dir.lexically_normal() / "").string();
  replace_all(gr.message, prefix, "");
  for (auto& cr : gr.cases) replace_all(cr.message, prefix, "");
  for (auto& b : gr.backtraces) b.text = fold_backtrace(b.text, context.source_dir, context.student_files);
  std::stable_partition(gr.backtraces.begin(),
                        gr.backtraces.end(),  // the processes in the student's code first
                        [](const Backtrace& b) { return b.text.find("\nyour code: ") != std::string::npos; });
  gr.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  say(fmt::format("{}", gr.status));
  return gr;
}

}  // namespace grader
