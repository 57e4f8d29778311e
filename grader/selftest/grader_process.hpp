#pragma once
// Runs the `grader` program from a test, isolated like any program the grader
// runs itself (its own process group, a wall-clock limit, nothing left behind).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "isolated_run.hpp"

namespace grader::testing {

struct GraderRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  double wall_s = 0;
  long peak_rss_kb = 0;
  bool timed_out = false;
};

inline GraderRun run_grader(const std::vector<std::string>& args, std::chrono::seconds limit,
                            std::vector<std::pair<std::string, std::string>> env = {}) {
  grader::RunSpec spec;
  spec.argv = {GRADER_EXE};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = std::move(env);
  spec.env.emplace_back("NO_COLOR", "1");
  spec.limits.wall = limit;
  spec.limits.output_cap = 4 * 1024 * 1024;
  spec.backtraces_on_timeout = true;
  const grader::RunResult r = grader::run_isolated(spec);
  GraderRun g;
  g.exit_code = r.signal != 0 ? -r.signal : r.exit_code;
  g.out = r.out.text;
  g.err = r.err.text;
  g.wall_s = r.wall_s;
  g.peak_rss_kb = r.peak_rss_kb;
  g.timed_out = r.timed_out;
  for (const auto& b : r.backtraces)
    g.err += "\n[grader hung] process " + std::to_string(b.pid) + ":\n" + b.text;
  return g;
}

}  // namespace grader::testing
