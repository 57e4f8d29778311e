// Lesson 03, exercise 1: grep_count (contract: exercises/03-pipes/grep_count.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): grep_count runs in a
// child that loaded the student's code; the checks run here. Every wait has a
// deadline; the fault test runs grep_count in a further child so that its
// workers are grandchildren it can find and kill.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp/error.hpp>
#include <mp/process.hpp>

#include "grep_count.hpp"
#include "log_lines.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson03::grep_count;
using lesson03::grep_count_serial;
using lesson03::LineCounts;
using lesson03::testing::LogLines;
using mp::testing::in_student;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;

constexpr const char* reread_eof = "reread lessons/03-pipes/README.md, \"The reader that never sees EOF\"";

bool no_children_left() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
}

// The children of `pid` (its main thread's), from /proc.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t child = 0; in >> child;) out.push_back(child);
  return out;
}

// Enough lines to keep two workers busy for a good fraction of a second.
const std::vector<std::string>& big_log() {
  static const std::vector<std::string> lines = LogLines(3).lines(600'000);
  return lines;
}

// What one call of grep_count did, seen from the process that called it.
struct Call {
  LineCounts counts;
  bool children_left = false;  // a worker of the caller, running or zombie, after the call
  double seconds = 0;
  std::string raised;  // the exception's type, "" when it returned
  template <class Archive>
  void serialize(Archive& ar) {
    ar(counts, children_left, seconds, raised);
  }
};

Call call_grep_count(const std::vector<std::string>& lines, const std::string& needle, int workers,
                     mp::Timeout timeout = mp::Timeout()) {
  return in_student([&] {
    Call c;
    const auto start = Clock::now();
    try {
      c.counts = grep_count(lines, needle, workers, timeout);
    } catch (const mp::ValueError&) {
      c.raised = "mp::ValueError";
    } catch (const mp::TimeoutError&) {
      c.raised = "mp::TimeoutError";
    } catch (const mp::ProcessError&) {
      c.raised = "mp::ProcessError";
    }
    c.seconds = mp::testing::seconds_since(start);
    c.children_left = !no_children_left();
    return c;
  });
}

TEST(GrepCount, CountsASmallLog) {
  const std::vector<std::string> lines{"db ERROR disk full", "web INFO ok", "db ERROR disk full",
                                       "web ERROR timeout", "ERROR"};
  const Call c = call_grep_count(lines, "ERROR", 2, scaled(10s));
  ASSERT_NE(c.raised, "mp::TimeoutError")
      << "five lines timed out: your reader never saw EOF. A read end reports EOF only when every copy of "
         "its write end is closed, in every process: close each write end in the caller right after "
         "starting its worker; "
      << reread_eof;
  EXPECT_EQ(c.counts, (LineCounts{{"ERROR", 1}, {"db ERROR disk full", 2}, {"web ERROR timeout", 1}}));
  EXPECT_FALSE(c.children_left) << "grep_count left a worker behind (not joined: a zombie)";
}

TEST(GrepCount, NothingToFindGivesNoCounts) {
  const Call none = call_grep_count({}, "x", 2, scaled(10s));
  const Call no_match = call_grep_count({"abc", "def"}, "xyz", 3, scaled(10s));
  EXPECT_EQ(none.counts, LineCounts{}) << "no lines";
  EXPECT_EQ(no_match.counts, LineCounts{}) << "no line contains the needle";
  EXPECT_EQ(none.raised + no_match.raised, "");
  EXPECT_FALSE(none.children_left || no_match.children_left);
}

TEST(GrepCount, AnEmptyNeedleMatchesEveryLine) {
  const auto lines = LogLines(5).lines(300);
  EXPECT_EQ(call_grep_count(lines, "", 3, scaled(10s)).counts, grep_count_serial(lines, ""));
}

TEST(GrepCount, RejectsFewerThanOneWorker) {
  const Call zero = call_grep_count({"a"}, "a", 0);
  const Call negative = call_grep_count({"a"}, "a", -3);
  EXPECT_EQ(zero.raised, "mp::ValueError") << "grep_count(lines, needle, 0) must throw mp::ValueError";
  EXPECT_EQ(negative.raised, "mp::ValueError") << "grep_count(lines, needle, -3) must throw mp::ValueError";
  EXPECT_FALSE(zero.children_left || negative.children_left);
}

TEST(GrepCount, MoreWorkersThanLines) {
  const Call c = call_grep_count({"one ERROR", "two"}, "ERROR", 8, scaled(10s));
  EXPECT_EQ(c.counts, (LineCounts{{"one ERROR", 1}}));
  EXPECT_FALSE(c.children_left);
}

TEST(GrepCount, DefaultTimeoutWaitsForTheCount) {
  const auto lines = LogLines(7).lines(2000);
  EXPECT_EQ(call_grep_count(lines, "WARN", 2).counts, grep_count_serial(lines, "WARN"));
}

// Every line matches and nearly every line is different: the matches are worth
// megabytes, far more than a pipe holds. A caller that joins a worker before
// reading its pipe waits forever (the worker waits for room in the pipe).
TEST(GrepCount, MatchesLargerThanAPipe) {
  const auto lines = LogLines(11).lines(200'000, 1'000'000);
  const Call c = call_grep_count(lines, "", 2, scaled(30s));
  ASSERT_NE(c.raised, "mp::TimeoutError")
      << "the matches did not fit in the pipes and grep_count timed out: read the pipes while the workers "
         "run (mp::wait over the read ends), and join a worker only after its pipe reported EOF; "
      << reread_eof;
  EXPECT_EQ(c.counts, grep_count_serial(lines, ""));
  EXPECT_FALSE(c.children_left);
}

TEST(GrepCount, ManyWorkersEachWithItsOwnPipe) {
  const auto lines = LogLines(13).lines(20'000);
  const Call c = call_grep_count(lines, "db", 16, scaled(20s));
  EXPECT_EQ(c.counts, grep_count_serial(lines, "db"));
  EXPECT_FALSE(c.children_left);
}

// The workers still at work at the deadline are killed and reaped.
TEST(GrepCount, TimesOut) {
  const Call c = call_grep_count(big_log(), "", 2, 20ms);
  EXPECT_EQ(c.raised, "mp::TimeoutError");
  EXPECT_LT(c.seconds, std::chrono::duration<double>(scaled(2s)).count()) << "the timeout was not respected";
  EXPECT_FALSE(c.children_left) << "after a timeout, kill and join the workers before throwing";
}

// A worker killed with SIGKILL closes its pipe as surely as one that finished: only
// its exit code tells them apart. grep_count must throw mp::ProcessError, not return
// counts with a worker's share missing.
TEST(GrepCount, KilledWorkerIsReportedNotCountedAsDone) {
  // -1: no worker appeared; 0: grep_count still waited 5 s later; else the counter's exit code.
  const int outcome = in_student([] {
    mp::Process counter([&] {
      try {
        (void)grep_count(big_log(), "", 2);
      } catch (const mp::ProcessError&) {
        mp::exit(3);  // what we expect
      }
      mp::exit(4);  // returned although a worker was killed
    });
    counter.start();
    const pid_t pid = *counter.pid();
    const auto until = Clock::now() + scaled(5s);
    bool killed = false;
    while (!killed && Clock::now() < until && counter.is_alive()) {
      for (pid_t worker : children_of(pid)) {
        ::kill(worker, SIGKILL);
        killed = true;
        break;
      }
      if (!killed) std::this_thread::sleep_for(200us);
    }
    if (!killed) {
      counter.kill();
      (void)counter.join(scaled(5s));
      return -1;
    }
    if (!counter.join(scaled(5s))) {
      const auto workers = children_of(pid);
      counter.kill();
      (void)counter.join(scaled(5s));
      for (pid_t worker : workers) ::kill(worker, SIGKILL);
      return 0;
    }
    return counter.exitcode().value_or(-1000);
  });
  ASSERT_NE(outcome, -1) << "grep_count started no worker process (or ended before one appeared)";
  ASSERT_NE(outcome, 0) << "grep_count still waited 5 s after a worker was killed: its pipe reached EOF, "
                           "then check the worker's exit code";
  EXPECT_EQ(outcome, 3) << "3: mp::ProcessError (expected); 4: grep_count returned counts with a killed "
                           "worker's share missing (EOF does not mean done: check each worker's exit code); "
                           "1: another exception (see stderr)";
}

class GrepCountWorkers : public ::testing::TestWithParam<int> {};

TEST_P(GrepCountWorkers, MatchesTheSerialCount) {
  const auto lines = LogLines(static_cast<std::uint64_t>(GetParam())).lines(5000);
  const Call c = call_grep_count(lines, "ERROR", GetParam(), scaled(20s));
  EXPECT_EQ(c.counts, grep_count_serial(lines, "ERROR"));
  EXPECT_FALSE(c.children_left);
}

INSTANTIATE_TEST_SUITE_P(Sweep, GrepCountWorkers, ::testing::Values(1, 2, 3, 4, 8),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::to_string(p.param) + "workers";
                         });

}  // namespace
