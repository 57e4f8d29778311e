#include "gtest_run.hpp"

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace grader {

namespace {

bool glob_match(std::string_view pattern, std::string_view s) {
  // Iterative '*' backtracking, as gtest's own matcher.
  std::size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == s[i])) {
      ++p;
      ++i;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool any_match(std::string_view patterns, std::string_view name) {
  std::size_t pos = 0;
  while (true) {
    const std::size_t colon = patterns.find(':', pos);
    const std::string_view one =
        patterns.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos);
    if (glob_match(one, name)) return true;
    if (colon == std::string_view::npos) return false;
    pos = colon + 1;
  }
}

std::string trim_right(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// What gtest's progress lines said, as they streamed by.
struct Progress {
  // The tests the group runs: a "[ RUN ]" line naming another is the program's own output
  // (a forged line must not make the report blame a test that does not exist).
  const std::vector<std::string>* expected = nullptr;
  std::string running;       // the test started and not finished
  std::string running_text;  // its output since "[ RUN      ]" (capped)
  std::map<std::string, CaseRun> done;
  bool in_teardown = false;
  bool summary_seen = false;            // "[==========] N tests ... ran."
  std::string teardown_text;            // what the global tear-down printed (leak checks)
  std::deque<std::string> stderr_tail;  // the last lines of stderr
  std::string sanitizer;                // the first sanitizer report
  int sanitizer_lines = 0;

  static constexpr std::size_t cap = 8 * 1024;

  void on_stdout(std::string_view line) {
    if (line.starts_with("[ RUN      ] ") && is_expected(line.substr(13))) {
      running = std::string(line.substr(13));
      running_text.clear();
      return;
    }
    const bool ok = line.starts_with("[       OK ] ");
    const bool failed = line.starts_with("[  FAILED  ] ");
    const bool skipped = line.starts_with("[  SKIPPED ] ");
    if ((ok || failed || skipped) && !running.empty()) {
      std::string name(line.substr(13));
      name = name.substr(0, name.find(" ("));
      if (name == running) {
        CaseRun c{running,
                  ok       ? Status::passed
                  : failed ? Status::failed
                           : Status::skipped,
                  trim_right(running_text), 0};
        done[running] = std::move(c);
        running.clear();
        running_text.clear();
        return;
      }
    }
    if (line.starts_with("[----------] Global test environment tear-down")) {
      in_teardown = true;
      return;
    }
    if (line.starts_with("[==========]") && line.find(" ran.") != std::string_view::npos) {
      summary_seen = true;
      in_teardown = false;
      return;
    }
    if (!running.empty() && running_text.size() < cap) {
      running_text.append(line.substr(0, cap - running_text.size()));
      running_text += '\n';
    } else if (in_teardown && teardown_text.size() < cap) {
      teardown_text.append(line.substr(0, cap - teardown_text.size()));
      teardown_text += '\n';
    }
  }

  bool is_expected(std::string_view name) const {
    return expected == nullptr || expected->empty() ||
           std::find(expected->begin(), expected->end(), name) != expected->end();
  }

  void on_stderr(std::string_view line) {
    stderr_tail.emplace_back(line.substr(0, 1024));
    if (stderr_tail.size() > 20) stderr_tail.pop_front();
    const bool starts_report = line.find("Sanitizer") != std::string_view::npos ||
                               line.find("runtime error:") != std::string_view::npos;
    if (sanitizer.empty() && starts_report) sanitizer_lines = 1;
    if (sanitizer_lines > 0 && sanitizer_lines <= 60 && sanitizer.size() < cap) {
      sanitizer.append(line.substr(0, 1024));
      sanitizer += '\n';
      ++sanitizer_lines;
    }
  }

  std::string stderr_excerpt() const {
    std::string s;
    for (const auto& l : stderr_tail) s += l + "\n";
    return trim_right(s);
  }
};

std::string join_failures(const nlohmann::json& failures) {
  std::string out;
  for (const auto& f : failures) {
    if (!out.empty()) out += "\n\n";
    std::string one = f.value("failure", std::string());
    if (one.starts_with("unknown file\n"))
      one.erase(0, 13);  // an exception has no location: the line says nothing
    out += one;
  }
  return out;
}

double parse_seconds(const nlohmann::json& t) {
  if (!t.is_string()) return 0;
  try {
    return std::stod(t.get<std::string>());
  } catch (...) {
    return 0;
  }
}

}  // namespace

bool filter_matches(std::string_view filter, std::string_view test_name) {
  const std::size_t dash = filter.find('-');
  std::string_view positive = filter.substr(0, dash);
  const std::string_view negative =
      dash == std::string_view::npos ? std::string_view{} : filter.substr(dash + 1);
  if (positive.empty()) positive = "*";
  return any_match(positive, test_name) && (negative.empty() || !any_match(negative, test_name));
}

std::vector<std::string> parse_test_list(std::string_view output) {
  std::vector<std::string> tests;
  std::string suite;
  std::size_t pos = 0;
  while (pos < output.size()) {
    std::size_t end = output.find('\n', pos);
    if (end == std::string_view::npos) end = output.size();
    std::string_view line = output.substr(pos, end - pos);
    pos = end + 1;
    if (const auto hash = line.find("  #"); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (line[0] != ' ') {
      if (line.back() == '.')
        suite = std::string(line.substr(0, line.size() - 1));
      else
        suite.clear();  // not gtest's format (some other output)
      continue;
    }
    if (suite.empty()) continue;
    const std::string name(line.substr(line.find_first_not_of(' ')));
    if (suite.starts_with("DISABLED_") || name.starts_with("DISABLED_") ||
        suite.find("/DISABLED_") != std::string::npos) {
      continue;
    }
    tests.push_back(suite + "." + name);
  }
  return tests;
}

std::optional<nlohmann::json> parse_gtest_json(std::string text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded()) return j;
  // gtest 1.12 forgets the comma between the last suite and the
  // "NonTestSuiteFailure" one: insert ',' between '}' and '{' outside strings.
  std::string fixed;
  fixed.reserve(text.size() + 16);
  bool in_string = false;
  bool escaped = false;
  char last_significant = '\0';
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      fixed += c;
      continue;
    }
    if (c == '{' && last_significant == '}') fixed += ',';
    if (c == '"') in_string = true;
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') last_significant = c;
    fixed += c;
  }
  j = nlohmann::json::parse(fixed, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::vector<std::string> parse_test_list_or_throw(const RunResult& r) {
  if (!r.exited_ok()) {
    throw std::runtime_error(fmt::format("listing its tests failed ({}):\n{}{}", r.describe_end(),
                                         r.out.text.substr(0, 2000), r.err.text.substr(0, 2000)));
  }
  return parse_test_list(r.out.text);
}

std::vector<std::string> list_tests(const std::filesystem::path& binary, const RunLimits& limits,
                                    const std::vector<std::pair<std::string, std::string>>& env) {
  RunSpec spec;
  spec.argv = {binary.string(), "--gtest_list_tests"};
  spec.limits = limits;
  spec.limits.wall = std::min(limits.wall, std::chrono::milliseconds(60'000));
  spec.limits.output_cap = 4 * 1024 * 1024;
  spec.env = env;
  return parse_test_list_or_throw(run_isolated(spec));
}

GroupRun run_group_once(const GroupRunSpec& spec) {
  GroupRun g;
  std::filesystem::create_directories(spec.scratch);
  const auto report = spec.scratch / "gtest.json";
  std::filesystem::remove(report);

  Progress progress;
  progress.expected = &spec.expected;
  RunSpec run;
  run.argv = {spec.binary.string(), "--gtest_filter=" + spec.filter, "--gtest_output=json:" + report.string(),
              "--gtest_color=no"};
  run.cwd = spec.scratch;
  run.env = spec.env;
  run.limits = spec.limits;
  run.backtraces_on_timeout = spec.backtraces_on_timeout;
  run.on_stdout_line = [&](std::string_view l) { progress.on_stdout(l); };
  run.on_stderr_line = [&](std::string_view l) { progress.on_stderr(l); };
  g.run = run_isolated(run);
  const RunResult& r = g.run;
  g.sanitizer_report = trim_right(progress.sanitizer);

  if (!r.started) {
    for (const auto& name : spec.expected) g.cases.push_back({name, Status::not_run, "", 0});
    g.message = "the test program " + r.describe_end();
    return g;
  }

  // The JSON report, when the program got to write it: gtest writes it whole as the program
  // ends, over whatever was there. A program that did not end by itself (a signal, a limit)
  // may have left a file that the code under test wrote, so it is not read; the progress
  // lines say what finished (a lesson program's stdout is its own: the code it tests runs
  // in children whose stdout is stderr).
  std::map<std::string, CaseRun> from_json;
  std::string outside_tests;  // failures outside any test (global set-up/tear-down: leak checks)
  const bool ended_by_itself = r.signal == 0 && !r.timed_out && !r.too_many_processes;
  if (ended_by_itself && std::filesystem::exists(report)) {
    if (auto j = parse_gtest_json(read_file(report)); j && j->contains("testsuites")) {
      g.report_read = true;
      for (const auto& suite : (*j)["testsuites"]) {
        const std::string suite_name = suite.value("name", std::string());
        for (const auto& t : suite.value("testsuite", nlohmann::json::array())) {
          const std::string full = suite_name + "." + t.value("name", std::string());
          if (suite_name == "NonTestSuiteFailure" || t.value("name", std::string()).empty()) {
            if (t.contains("failures")) outside_tests += join_failures(t["failures"]) + "\n";
            continue;
          }
          CaseRun c{full, Status::passed, "", parse_seconds(t.value("time", nlohmann::json()))};
          if (t.value("status", std::string()) == "NOTRUN") {
            c.status = Status::not_run;
            c.message = "not run (disabled)";
          } else if (t.contains("failures") && !t["failures"].empty()) {
            c.status = Status::failed;
            c.message = join_failures(t["failures"]);
          } else if (t.value("result", std::string()) == "SKIPPED") {
            c.status = Status::skipped;
          }
          from_json[full] = std::move(c);
        }
      }
    }
  }

  const std::string end = r.describe_end();
  const std::string early_end =
      r.timed_out ? "the test program timed out" : fmt::format("the test program ended early ({})", end);
  std::string stopped_in;  // the test that was running when the program stopped
  for (const auto& name : spec.expected) {
    CaseRun c{name, Status::not_run, "", 0};
    if (auto it = from_json.find(name); it != from_json.end()) {
      c = it->second;
    } else if (auto jt = progress.done.find(name); jt != progress.done.end()) {
      c = jt->second;
    } else if (progress.running == name) {
      stopped_in = name;
      if (r.timed_out) {
        c.status = Status::timeout;
        c.message = fmt::format(
            "still running after {:.3g} s, the time limit of this group: "
            "a deadlock, or a wait that never ends?",
            r.wall_s);
      } else if (r.too_many_processes) {
        c.status = Status::crashed;
        c.message = fmt::format("killed: its process group went over {} processes (a fork that never stops?)",
                                spec.limits.max_processes);
      } else if (r.signal != 0) {
        c.status = Status::crashed;
        c.message = "crashed: " + end + " during this test";
      } else if (!progress.sanitizer.empty()) {
        c.status = Status::crashed;
        c.message = "stopped by a sanitizer's report (" + end + "):\n" + trim_right(progress.sanitizer);
      } else {
        c.status = Status::ended_early;
        c.message = fmt::format(
            "the test program ended early: {} before finishing this test "
            "(did the code call exit(), or return from a forked child?)",
            end);
      }
      const std::string printed = trim_right(progress.running_text);
      if (!printed.empty()) c.message += "\nits output before that:\n" + printed.substr(0, 2000);
      if (progress.sanitizer.empty() && (r.signal != 0 || (!r.timed_out && !r.too_many_processes))) {
        const std::string tail = progress.stderr_excerpt();
        if (!tail.empty() && printed.find(tail) == std::string::npos) c.message += "\nstderr:\n" + tail;
      }
    } else if (!g.report_read) {
      c.message = "not run: " + early_end + (progress.running.empty() ? "" : " during " + progress.running);
    } else {
      c.message = "not run: the filter did not select it";
    }
    g.cases.push_back(std::move(c));
  }

  const bool all_passed = std::all_of(g.cases.begin(), g.cases.end(), [](const CaseRun& c) {
    return c.status == Status::passed || c.status == Status::skipped;
  });
  g.passed = all_passed && g.report_read && r.exited_ok() && outside_tests.empty();

  if (!g.passed) {
    const auto first_bad = std::find_if(g.cases.begin(), g.cases.end(), [](const CaseRun& c) {
      return c.status != Status::passed && c.status != Status::skipped && c.status != Status::not_run;
    });
    if (first_bad != g.cases.end()) {
      g.message = first_bad->name + ": " + first_bad->message;
    } else if (all_passed && !spec.expected.empty()) {
      // Every test passed, and yet: the checks after the tests (leaked
      // children or shared memory) failed, or the program died at exit.
      std::string why = trim_right(outside_tests.empty() ? progress.teardown_text : outside_tests);
      g.message = fmt::format("every test passed, but then the test program {}{}",
                              r.exited_ok() ? "reported a failure after its tests" : "failed (" + end + ")",
                              why.empty() ? "" : ":\n" + why);
      if (why.empty() && !r.exited_ok()) {
        const std::string tail = progress.stderr_excerpt();
        if (!tail.empty()) g.message += "\nstderr:\n" + tail;
      }
    } else if (spec.expected.empty()) {
      g.message = "no test matches this group's filter";
    } else {
      g.message = early_end + (stopped_in.empty() ? " before its first test" : "");
      const std::string tail = progress.stderr_excerpt();
      if (!tail.empty()) g.message += "\nstderr:\n" + tail;
    }
    if (!g.sanitizer_report.empty() && g.message.find("Sanitizer") == std::string::npos) {
      g.message += "\nsanitizer report:\n" + g.sanitizer_report;
    }
    if (r.memory_exceeded) {
      g.message += fmt::format(
          "\nthe run went over its memory limit ({} MiB for all its processes together, the course's "
          "memory_mb): the kernel killed one of them",
          spec.limits.cgroup.memory_bytes >> 20);
    }
    if (r.tasks_exceeded) {
      g.message += fmt::format(
          "\nthe run reached its limit of {} processes and threads at once: a fork() or a new thread failed",
          spec.limits.cgroup.tasks);
    }
  }
  return g;
}

}  // namespace grader
