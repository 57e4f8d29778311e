// Isolated runs: exit status and output, limits, the wall-clock limit with backtraces,
// fork bombs, stragglers, shared memory left behind.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "isolated_run.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using grader::testing::TempDir;

// As in the grader's main(): orphans of a run are adopted, and reaped, by us.
const bool subreaper = (grader::enable_child_subreaper(), true);

grader::RunResult sh(const std::string& script, grader::RunLimits limits = {}) {
  grader::RunSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.limits = limits;
  return grader::run_isolated(spec);
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

}  // namespace

// ---------------------------------------------------------------- isolated runs

TEST(IsolatedRun, CapturesExitStatusStdoutAndStderr) {
  const auto r = sh("echo out; echo err >&2; exit 3");
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.out.text, "out\n");
  EXPECT_EQ(r.err.text, "err\n");
  EXPECT_FALSE(r.exited_ok());
  EXPECT_EQ(r.describe_end(), "exit status 3");
}

TEST(IsolatedRun, RunsInItsDirectoryWithItsEnvironment) {
  TempDir dir;
  grader::RunSpec spec;
  spec.argv = {"sh", "-c", "pwd; echo \"$GRADER_UNIT_X\"; ps -o pgid= -p $$ | tr -d ' '; echo $$"};
  spec.cwd = dir.path();
  spec.env = {{"GRADER_UNIT_X", "42"}};
  const auto r = grader::run_isolated(spec);
  ASSERT_TRUE(r.exited_ok()) << r.describe_end() << r.err.text;
  std::istringstream lines(r.out.text);
  std::string cwd, x, pgid, pid;
  std::getline(lines, cwd);
  std::getline(lines, x);
  std::getline(lines, pgid);
  std::getline(lines, pid);
  EXPECT_EQ(fs::path(cwd), dir.path());
  EXPECT_EQ(x, "42");
  EXPECT_EQ(pgid, pid) << "the program leads its own process group";
}

TEST(IsolatedRun, ReportsAProgramThatCannotStart) {
  grader::RunSpec spec;
  spec.argv = {"/nonexistent/program"};
  const auto r = grader::run_isolated(spec);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.start_error.find("exec of /nonexistent/program"), std::string::npos) << r.start_error;
  spec.argv = {"no-such-program-anywhere"};
  EXPECT_NE(grader::run_isolated(spec).start_error.find("not found in PATH"), std::string::npos);
}

TEST(IsolatedRun, KillsTheWholeGroupAtTheWallClockLimit) {
  grader::RunLimits limits;
  limits.wall = 300ms;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = sh("sleep 30 & sleep 30 & wait", limits);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.timed_out);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(r.peak_processes, 3);
  EXPECT_TRUE(grader::process_group_members(r.pid).empty()) << "the group is gone, zombies included";
  EXPECT_NE(r.describe_end().find("timed out"), std::string::npos);
}

TEST(IsolatedRun, ShowsWhereATimedOutProgramWas) {
  if (grader::find_program("gdb").empty()) GTEST_SKIP() << "gdb is not installed";
  grader::RunSpec spec;
  spec.argv = {"sleep", "30"};
  spec.limits.wall = 200ms;
  spec.backtraces_on_timeout = true;
  const auto r = grader::run_isolated(spec);
  EXPECT_TRUE(r.timed_out);
  ASSERT_EQ(r.backtraces.size(), 1U);
  EXPECT_EQ(r.backtraces[0].pid, r.pid);
  EXPECT_EQ(r.backtraces[0].command, "sleep 30");
  EXPECT_NE(r.backtraces[0].text.find("#0"), std::string::npos) << r.backtraces[0].text;
}

TEST(IsolatedRun, KeepsTheFirstBytesAndNeverBlocksTheProgram) {
  grader::RunLimits limits;
  limits.output_cap = 1000;
  const auto r = sh("head -c 50000000 /dev/zero; echo done >&2", limits);
  ASSERT_TRUE(r.exited_ok()) << r.describe_end();
  EXPECT_EQ(r.out.text.size(), 1000U);
  EXPECT_EQ(r.out.total_bytes, 50'000'000U);
  EXPECT_TRUE(r.out.truncated());
  EXPECT_EQ(r.err.text, "done\n");
}

TEST(IsolatedRun, LineObserversSeeEveryLinePastTheCap) {
  grader::RunSpec spec;
  spec.argv = {"seq", "1", "100000"};
  spec.limits.output_cap = 100;
  int lines = 0;
  std::string last;
  spec.on_stdout_line = [&](std::string_view l) {
    ++lines;
    last = l;
  };
  const auto r = grader::run_isolated(spec);
  ASSERT_TRUE(r.exited_ok());
  EXPECT_EQ(lines, 100000);
  EXPECT_EQ(last, "100000");
}

TEST(IsolatedRun, StopsAForkBomb) {
  grader::RunLimits limits;
  limits.max_processes = 20;
  limits.wall = 20s;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = sh("i=0; while [ $i -lt 2000 ]; do sleep 60 & i=$((i+1)); done; wait", limits);
  EXPECT_TRUE(r.too_many_processes);
  EXPECT_GT(r.peak_processes, 20);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_TRUE(grader::process_group_members(r.pid).empty());
  EXPECT_NE(r.describe_end().find("processes"), std::string::npos);
}

TEST(IsolatedRun, KillsStragglersLeftBehind) {
  const auto r = sh("sleep 60 & echo $!");
  ASSERT_TRUE(r.exited_ok());
  EXPECT_EQ(r.stragglers_killed, 1);
  const pid_t sleeper = std::stoi(r.out.text);
  // Reaped by us (subreaper) or by init: either way, not running any more.
  (void)subreaper;
  EXPECT_FALSE(alive(sleeper)) << "adopted by us as subreaper, killed and reaped";
  EXPECT_TRUE(grader::process_group_members(r.pid).empty());
}

TEST(IsolatedRun, RemovesTheRunsSharedMemorySegments) {
  const auto r = sh("echo x > /dev/shm/mp_$$_unit; echo y > /dev/shm/grader_unit_other_$$; echo $$");
  ASSERT_TRUE(r.exited_ok());
  const std::string pid = r.out.text.substr(0, r.out.text.find('\n'));
  EXPECT_EQ(r.segments_removed, std::vector<std::string>{"mp_" + pid + "_unit"});
  EXPECT_FALSE(fs::exists("/dev/shm/mp_" + pid + "_unit"));
  const std::string other = "grader_unit_other_" + pid;
  EXPECT_NE(std::find(r.segments_left.begin(), r.segments_left.end(), other), r.segments_left.end());
  fs::remove("/dev/shm/" + other);
}

TEST(IsolatedRun, AppliesTheFileSizeLimit) {
  TempDir dir;
  grader::RunSpec spec;
  spec.argv = {"sh", "-c", "head -c 5000000 /dev/zero > big"};
  spec.cwd = dir.path();
  spec.limits.file_size_bytes = 1 << 20;
  const auto r = grader::run_isolated(spec);
  EXPECT_FALSE(r.exited_ok());
  EXPECT_LE(fs::file_size(dir.path() / "big"), 1U << 20);
}

TEST(IsolatedRun, NamesTheSignalThatEndedTheProgram) {
  const auto r = sh("kill -SEGV $$");
  EXPECT_EQ(r.signal, SIGSEGV);
  EXPECT_NE(r.describe_end().find("SIGSEGV"), std::string::npos) << r.describe_end();
}
