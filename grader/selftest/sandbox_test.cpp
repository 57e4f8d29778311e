// The sandbox against a student who attacks the grader from a test or benchmark
// run (docs/grading.md, "Threat model"). Each attack runs as a shell script inside
// run_isolated with the sandbox on, as a student's test binary would; the
// assertions are made here, outside, on what the grader and the machine see.
// Without a usable bubblewrap every test is skipped with the reason (the report
// says the same to students).
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "isolated_run.hpp"
#include "sandbox.hpp"
#include "temp_dir.hpp"

namespace {

using grader::testing::TempDir;

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const bool subreaper = (grader::enable_child_subreaper(), true);

class Sandbox : public ::testing::Test {
protected:
  void SetUp() override {
    (void)subreaper;
    if (!grader::sandbox_support().available) GTEST_SKIP() << grader::sandbox_support().why_not;
  }

  // Runs `script` with sh in the sandbox, in `scratch_` (its one writable directory).
  grader::RunResult attack(const std::string& script, grader::RunLimits limits = {},
                           std::vector<std::pair<std::string, std::string>> env = {}) {
    grader::RunSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.cwd = scratch_.path();
    spec.env = std::move(env);
    limits.sandbox.enabled = true;
    if (limits.wall == grader::RunLimits{}.wall) limits.wall = 20s;
    spec.limits = limits;
    auto r = grader::run_isolated(spec);
    EXPECT_TRUE(r.sandboxed);
    return r;
  }

  TempDir scratch_;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// Every process on the machine whose command line contains `needle`.
std::set<pid_t> processes_running(const std::string& needle) {
  std::set<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.empty() || name[0] < '0' || name[0] > '9') continue;
    std::string cmd = slurp(e.path() / "cmdline");
    for (auto& c : cmd) c = c == '\0' ? ' ' : c;
    if (cmd.find(needle) != std::string::npos && std::stoi(name) != ::getpid()) out.insert(std::stoi(name));
  }
  return out;
}

char process_state(pid_t pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

TEST_F(Sandbox, CannotStopOrKillTheGrader) {
  // A stand-in for the grader: a process outside the sandbox whose pid the student knows.
  const pid_t grader_stand_in = ::fork();
  ASSERT_GE(grader_stand_in, 0);
  if (grader_stand_in == 0) {
    ::pause();
    ::_exit(0);
  }
  const auto r = attack(
      "kill -STOP $GRADER_PID; kill -KILL $GRADER_PID; kill -STOP $PPID; kill -KILL $PPID; "
      "kill -STOP 1; kill -KILL 1; echo still here",
      {}, {{"GRADER_PID", std::to_string(grader_stand_in)}});
  EXPECT_TRUE(r.exited_ok()) << r.describe_end() << "\n" << r.err.text;
  EXPECT_EQ(r.out.text, "still here\n");
  EXPECT_EQ(::kill(grader_stand_in, 0), 0) << "the process outside the sandbox was killed";
  const char state = process_state(grader_stand_in);
  EXPECT_NE(state, 'T') << "the process outside the sandbox was stopped";
  ::kill(grader_stand_in, SIGKILL);
  ::waitpid(grader_stand_in, nullptr, 0);
}

TEST_F(Sandbox, NothingOutlivesTheRunNotEvenASetsidEscapee) {
  const auto r = attack(
      "setsid sh -c 'exec sleep 3107' & "
      "setsid sh -c 'touch spinner_up; while :; do :; done' & "
      // Both escapees exist before the run ends (the run's wall limit is the deadline).
      "until pgrep -f '^sleep 3107' >/dev/null && [ -e spinner_up ]; do :; done; echo started");
  EXPECT_TRUE(r.exited_ok()) << r.describe_end() << "\n" << r.err.text;
  EXPECT_EQ(r.out.text, "started\n");
  EXPECT_TRUE(processes_running("sleep 3107").empty()) << "a process that called setsid() survived the run";
  EXPECT_TRUE(grader::process_group_members(r.pid).empty());
}

TEST_F(Sandbox, AForkBombOfSetsidProcessesIsStillCounted) {
  grader::RunLimits limits;
  limits.max_processes = 20;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = attack("i=0; while [ $i -lt 500 ]; do setsid sleep 3108 & i=$((i+1)); done; wait", limits);
  EXPECT_TRUE(r.too_many_processes) << r.describe_end();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  EXPECT_TRUE(processes_running("sleep 3108").empty());
}

TEST_F(Sandbox, TmpAndShmArePrivateBoundedAndGoneAfterTheRun) {
  // A name no other process uses (other tests create files in /tmp at the same time).
  const std::string flood = "grader-flood-" + std::to_string(::getpid());
  grader::RunLimits limits;
  limits.sandbox.tmp_bytes = 8 << 20;
  limits.sandbox.shm_bytes = 8 << 20;
  const auto r = attack(
      "dd if=/dev/zero of=/tmp/$FLOOD bs=1M count=64 2>/dev/null; echo tmp $?; "
      "dd if=/dev/zero of=/dev/shm/$FLOOD bs=1M count=64 2>/dev/null; echo shm $?; "
      "du -sm /tmp/$FLOOD /dev/shm/$FLOOD | cut -f1",
      limits, {{"FLOOD", flood}});
  EXPECT_TRUE(r.exited_ok()) << r.describe_end() << "\n" << r.err.text;
  EXPECT_EQ(r.out.text, "tmp 1\nshm 1\n8\n8\n") << "each write stops at the tmpfs's size (no space left)";
  EXPECT_FALSE(fs::exists("/tmp/" + flood)) << "the run's /tmp is not the machine's";
  EXPECT_FALSE(fs::exists("/dev/shm/" + flood)) << "the run's /dev/shm is not the machine's";
}

TEST_F(Sandbox, FilesAreReadOnlyButTheScratchDirectory) {
  TempDir build_tree;  // stands for the build tree, the sources and the report folder
  std::ofstream(build_tree.path() / "lesson01_bench_ref") << "the real one";
  const auto r = attack(
      "(echo forged > \"$TREE/lesson01_bench_ref\") 2>/dev/null || echo refused; "
      "touch \"$TREE/new\" 2>/dev/null || echo refused; echo mine > scratch_file && echo written",
      {}, {{"TREE", build_tree.path().string()}});
  EXPECT_TRUE(r.exited_ok()) << r.describe_end() << "\n" << r.err.text;
  EXPECT_EQ(r.out.text, "refused\nrefused\nwritten\n");
  EXPECT_EQ(slurp(build_tree.path() / "lesson01_bench_ref"), "the real one");
  EXPECT_FALSE(fs::exists(build_tree.path() / "new"));
  EXPECT_TRUE(fs::exists(scratch_.path() / "scratch_file")) << "the run's cwd is its scratch directory";
}

TEST_F(Sandbox, AProgramAndTheFilesItReadsUnderTmpAreVisibleReadOnly) {
  // A build tree or a checkout in /tmp (CI, grade-pr.sh) must not vanish under the private
  // /tmp: the program's folder is bound by itself, the data's because it is `visible`.
  TempDir tree;
  fs::create_directories(tree.path() / "bin");
  fs::create_directories(tree.path() / "data");
  std::ofstream(tree.path() / "data/data.txt") << "from the tree\n";
  {
    std::ofstream script(tree.path() / "bin/prog.sh");
    script << "#!/bin/sh\ncat \"$1/data.txt\"; (echo x >> \"$1/data.txt\") 2>/dev/null || echo read-only\n";
  }
  fs::permissions(tree.path() / "bin/prog.sh",
                  fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  grader::RunSpec spec;
  spec.argv = {(tree.path() / "bin/prog.sh").string(), (tree.path() / "data").string()};
  spec.cwd = scratch_.path();
  spec.limits.sandbox.enabled = true;
  spec.limits.sandbox.visible = {tree.path() / "data"};
  spec.limits.wall = 20s;
  const auto r = grader::run_isolated(spec);
  EXPECT_TRUE(r.sandboxed);
  EXPECT_TRUE(r.exited_ok()) << r.describe_end() << "\n" << r.err.text;
  EXPECT_EQ(r.out.text, "from the tree\nread-only\n");
}

TEST_F(Sandbox, NoNetworkButItsOwnLoopback) {
  const auto r = attack("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
  EXPECT_TRUE(r.exited_ok()) << r.describe_end() << "\n" << r.err.text;
  EXPECT_EQ(r.out.text, "lo\n") << "the run sees network interfaces other than its own loopback";
}

TEST_F(Sandbox, ASignalThatEndsTheProgramIsReportedAsThatSignal) {
  const auto r = attack("kill -SEGV $$");
  EXPECT_EQ(r.signal, SIGSEGV) << r.describe_end();
  EXPECT_EQ(r.exit_code, -1);
  const auto ok = attack("exit 7");
  EXPECT_EQ(ok.exit_code, 7);
  EXPECT_EQ(ok.signal, 0);
}

TEST_F(Sandbox, RunsAsNobodyWithoutCapabilities) {
  const auto r = attack("id -u; grep CapEff /proc/self/status | tr -d '\\t'");
  EXPECT_TRUE(r.exited_ok()) << r.describe_end() << "\n" << r.err.text;
  EXPECT_EQ(r.out.text, "65534\nCapEff:0000000000000000\n");
}

TEST(SandboxSupport, SaysWhyWhenItCannotSandbox) {
  const auto& s = grader::sandbox_support();
  if (s.available) {
    EXPECT_FALSE(s.program.empty());
    EXPECT_NE(grader::sandbox_description().find("namespaces"), std::string::npos);
  } else {
    EXPECT_FALSE(s.why_not.empty());
    EXPECT_EQ(grader::sandbox_description().rfind("none: ", 0), 0u);
  }
}

}  // namespace
