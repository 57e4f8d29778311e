// A run's cgroup (grader/src/run_cgroup.hpp) against a student's floods: many
// processes that each stay under the per-process rlimits but together take the
// machine's memory, forks without end, and spinning processes. Each runs as a
// shell script through run_isolated, sandboxed as a test binary would be; the
// assertions are made here, outside. Without usable cgroups every test is
// skipped with the reason (the report says the same: sandbox_description()).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "isolated_run.hpp"
#include "run_cgroup.hpp"
#include "temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const bool subreaper = (grader::enable_child_subreaper(), true);

class Cgroup : public ::testing::Test {
protected:
  void SetUp() override {
    (void)subreaper;
    if (!grader::cgroup_support().available) GTEST_SKIP() << grader::cgroup_support().why_not;
  }

  grader::RunResult run(const std::string& script, const grader::CgroupLimits& cgroup,
                        const std::string& shell = "/bin/sh") {
    grader::RunSpec spec;
    spec.argv = {shell, "-c", script};
    spec.cwd = scratch_.path();
    spec.limits.wall = 30s;
    spec.limits.sandbox.enabled = true;
    spec.limits.cgroup = cgroup;
    auto r = grader::run_isolated(spec);
    EXPECT_TRUE(r.in_cgroup) << r.cgroup_error;
    return r;
  }

  grader::testing::TempDir scratch_;
};

// Four processes of about 100 MiB each: under any per-process limit, over the run's
// 256 MiB together. Each opens the FIFO `hold` first (while it still holds the
// script's write end, so the open cannot block), takes its memory, and keeps it
// until it reads the end of `hold`: when the script closes the last write end,
// once the first of them has ended (the kernel killed it). So they are all alive
// together however the scheduler staggers their starts. Without the limit none
// ends, and the run's wall limit ends the test as a failure.
TEST_F(Cgroup, MemoryOfAllTheProcessesTogetherIsLimited) {
  const auto r =
      run("mkfifo hold; exec 3<>hold; "
          "for i in 1 2 3 4; do ( exec 4<hold 3>&-; x=$(head -c 100M /dev/zero | tr '\\0' x); "
          "read -r _ <&4 ) & done; "
          "wait -n; exec 3>&-; wait; echo done",
          {.memory_bytes = 256ull << 20}, "/bin/bash");
  EXPECT_TRUE(r.memory_exceeded) << "peak " << (r.peak_memory_bytes >> 20) << " MiB; " << r.describe_end();
  EXPECT_LE(r.peak_memory_bytes, 256ull << 20);
}

TEST_F(Cgroup, AnHonestRunUnderTheLimitIsUntouched) {
  const auto r =
      run("head -c 20M /dev/zero | tail -n 1 | wc -c", {.memory_bytes = 256ull << 20, .tasks = 64});
  EXPECT_TRUE(r.exited_ok()) << r.describe_end() << r.err.text;
  EXPECT_EQ(r.out.text, "20971520\n");
  EXPECT_FALSE(r.memory_exceeded);
  EXPECT_FALSE(r.tasks_exceeded);
}

// The kernel refuses the fork at the limit: no 50 ms window for a fast fork bomb.
TEST_F(Cgroup, ForksStopAtTheRunsTaskLimit) {
  const auto r =
      run("n=0; for i in $(seq 200); do sleep 20 2>/dev/null & n=$((n+1)); done 2>/dev/null; "
          "ps -e -o pid= 2>/dev/null | wc -l; kill $(jobs -p) 2>/dev/null; true",
          {.tasks = 40});
  EXPECT_TRUE(r.tasks_exceeded) << r.describe_end() << r.err.text.substr(0, 500);
  EXPECT_LE(r.peak_processes, 40);
}

// Two spinning processes for one second of wall time, with one core's worth of CPU.
TEST_F(Cgroup, CpuTimeIsLimitedToItsShare) {
  const auto r =
      run("timeout 1 sh -c 'while :; do :; done' & timeout 1 sh -c 'while :; do :; done' & wait; times",
          {.cpus = 1});
  // `times`: the shell's, then its children's user and system time ("0m0.980s 0m0.010s").
  const auto second_line = r.out.text.substr(r.out.text.find('\n') + 1);
  int um = 0, sm = 0;
  double us = 0, ss = 0;
  ASSERT_EQ(std::sscanf(second_line.c_str(), "%dm%lfs %dm%lfs", &um, &us, &sm, &ss), 4) << r.out.text;
  const double cpu = um * 60 + us + sm * 60 + ss;
  EXPECT_LT(cpu, 1.5) << "two spinners for 1 s with one core's quota used " << cpu << " s of CPU";
}

TEST_F(Cgroup, NothingOfTheCgroupIsLeftAfterTheRun) {
  std::vector<std::string> dirs;
  {
    grader::RunCgroup cgroup({.memory_bytes = 64ull << 20, .tasks = 16});
    ASSERT_TRUE(cgroup.active()) << cgroup.error();
    dirs = cgroup.dirs();
    for (const auto& d : dirs) EXPECT_TRUE(fs::exists(d));
  }
  for (const auto& d : dirs) EXPECT_FALSE(fs::exists(d)) << d;
}

}  // namespace
