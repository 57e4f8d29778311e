// Lesson 01, exercise 1: run_all (contract: exercises/01-processes/run_all.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): run_all runs in a
// child that loaded the student's code; the checks run here, on what it returns.
// Every wait has a deadline; the functions run in the student's children and
// report through their exit codes or through shared memory made before the fork.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <functional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp/detail/shared_region.hpp>
#include <mp/process.hpp>

#include "run_all.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson01::run_all;
using mp::testing::in_student;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;
using Functions = std::vector<std::function<void()>>;

// True when this process has no child at all, running or zombie (waitid with
// WNOWAIT looks without reaping anything).
bool no_children_left() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
}

[[noreturn]] void sleep_forever() {
  for (;;) ::pause();
}

// What one call of run_all did, seen from the process that called it.
struct Call {
  std::vector<int> codes;
  bool children_left = false;  // a child of the caller, running or zombie, after run_all returned
  double seconds = 0;          // how long run_all took
  template <class Archive>
  void serialize(Archive& ar) {
    ar(codes, children_left, seconds);
  }
};

Call call_run_all(const Functions& fns, mp::Timeout timeout = mp::Timeout()) {
  return in_student([&] {
    Call c;
    const auto start = Clock::now();
    c.codes = run_all(fns, timeout);
    c.seconds = mp::testing::seconds_since(start);
    c.children_left = !no_children_left();
    return c;
  });
}

double seconds(std::chrono::milliseconds d) { return std::chrono::duration<double>(d).count(); }

TEST(RunAll, ReturnsTheExitCodesInOrder) {
  const Functions fns = {[] {}, [] { mp::exit(3); }, [] { mp::exit(0); }, [] { mp::exit(42); }};
  const Call c = call_run_all(fns, scaled(10s));
  EXPECT_EQ(c.codes, (std::vector<int>{0, 3, 0, 42}));
  EXPECT_FALSE(c.children_left) << "run_all left a child behind (not joined: a zombie)";
}

TEST(RunAll, NoFunctionsGiveNoExitCodes) {
  EXPECT_EQ(call_run_all({}, scaled(1s)).codes, std::vector<int>{});
  EXPECT_EQ(call_run_all({}).codes, std::vector<int>{}) << "with the default timeout (forever)";
}

TEST(RunAll, DefaultTimeoutWaitsForEveryChild) {
  const Functions fns = {[] {
                           std::this_thread::sleep_for(50ms);
                           mp::exit(4);
                         },
                         [] {}};
  const Call c = call_run_all(fns);
  EXPECT_EQ(c.codes, (std::vector<int>{4, 0}));
  EXPECT_FALSE(c.children_left);
}

TEST(RunAll, ThrowingFunctionExitsWithOne) {
  const Functions fns = {[] { throw std::runtime_error("this exception is part of the test"); }, [] {}};
  EXPECT_EQ(call_run_all(fns, scaled(10s)).codes, (std::vector<int>{1, 0}))
      << "a function that throws ends its process with exit code 1; the others are not affected";
}

TEST(RunAll, KilledChildGivesMinusTheSignal) {
  const Functions fns = {[] { ::raise(SIGKILL); }, [] { ::raise(SIGTERM); }, [] {}};
  const Call c = call_run_all(fns, scaled(10s));
  EXPECT_EQ(c.codes, (std::vector<int>{-SIGKILL, -SIGTERM, 0}))
      << "a child killed by signal N has exit code -N (Python's convention)";
  EXPECT_FALSE(c.children_left);
}

TEST(RunAll, FunctionsRunInChildProcesses) {
  const pid_t parent = ::getpid();
  int touched = 0;  // the child changes its own copy of it, not ours
  const Functions fns = {[&] {
    touched = 1;
    if (::getpid() == parent) mp::exit(9);
  }};
  // `touched` is read in the process that called run_all, which is not this one.
  const auto [codes, touched_there] = in_student([&] {
    auto codes_there = run_all(fns, scaled(10s));
    return std::pair(codes_there, touched);
  });
  EXPECT_EQ(codes, std::vector<int>{0}) << "the function must run in a child process";
  EXPECT_EQ(touched_there, 0) << "the function ran in the caller's memory: it must run in a child process";
}

// Each child counts itself in, then waits until all have: that can only
// succeed when all of them run at the same time. A child that waited in vain
// sets `failed`, so that a run_all that runs them one by one fails quickly.
TEST(RunAll, RunsAllFunctionsAtTheSameTime) {
  struct Shared {
    std::atomic<int> arrived{0};
    std::atomic<bool> failed{false};
  };
  auto shared = mp::detail::make_shared_object<Shared>();
  constexpr int n = 4;
  const auto patience = scaled(2s);
  Functions fns;
  for (int i = 0; i < n; ++i)
    fns.emplace_back([shared, patience] {
      shared->arrived.fetch_add(1);
      const auto until = Clock::now() + patience;
      while (shared->arrived.load() < n) {
        if (shared->failed.load() || Clock::now() > until) {
          shared->failed.store(true);
          mp::exit(1);
        }
        std::this_thread::sleep_for(1ms);  // polling a condition, with a deadline
      }
    });
  EXPECT_EQ(call_run_all(fns, scaled(20s)).codes, std::vector<int>(n, 0))
      << "the children did not all run at the same time: start every process before joining any";
}

TEST(RunAll, ReturnsAsSoonAsAllHaveEnded) {
  const Call c = call_run_all({[] {}, [] {}, [] {}}, scaled(30s));
  EXPECT_EQ(c.codes, (std::vector<int>{0, 0, 0}));
  EXPECT_LT(c.seconds, seconds(scaled(2s)))
      << "run_all must return when the children end, not at the timeout";
}

TEST(RunAll, TimeoutKillsTheChildrenStillRunning) {
  const Functions fns = {[] {}, [] { sleep_forever(); }, [] { mp::exit(5); }};
  const Call c = call_run_all(fns, 200ms);
  EXPECT_EQ(c.codes, (std::vector<int>{0, -SIGKILL, 5}))
      << "a child still running at the timeout is killed (-9)";
  EXPECT_GE(c.seconds, 0.2) << "returned before the timeout while a child was still running";
  EXPECT_LT(c.seconds, seconds(scaled(2s))) << "the timeout was not respected";
  EXPECT_FALSE(c.children_left) << "the killed child must be reaped too";
}

TEST(RunAll, TimeoutIsOneDeadlineForTheWholeCall) {
  const auto timeout = scaled(300ms);
  const Functions fns(5, [] { sleep_forever(); });
  const Call c = call_run_all(fns, timeout);
  EXPECT_EQ(c.codes, std::vector<int>(5, -SIGKILL));
  EXPECT_LT(c.seconds, seconds(4 * timeout))
      << "5 children that never end took about 5 timeouts: use one deadline for the whole call, "
         "not a fresh timeout per join";
  EXPECT_FALSE(c.children_left);
}

TEST(RunAll, ManyProcessesAtOnce) {
  constexpr int n = 32;
  Functions fns;
  std::vector<int> expected;
  for (int i = 0; i < n; ++i) {
    fns.emplace_back([i] { mp::exit(i); });
    expected.push_back(i);
  }
  const Call c = call_run_all(fns, scaled(20s));
  EXPECT_EQ(c.codes, expected);
  EXPECT_FALSE(c.children_left);
}

// What run_all returned, and the exit code of another child of its caller.
struct Seen {
  std::vector<int> codes;
  int other_exitcode = -1000;  // -1000: `other` could not be joined
  template <class Archive>
  void serialize(Archive& ar) {
    ar(codes, other_exitcode);
  }
};

// A child of the caller that ended before run_all is called is not run_all's
// to reap (`wait(-1)` would take it and lose its exit code).
TEST(RunAll, LeavesOtherChildrenAlone) {
  const Seen seen = in_student([] {
    mp::Process other([] { mp::exit(7); });  // the caller's own child, ended and not reaped
    other.start();
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(*other.pid()), &info, WEXITED | WNOWAIT) != 0)
      throw std::runtime_error("test setup: waitid failed");
    Seen s;
    s.codes = run_all({[] { mp::exit(2); }}, scaled(10s));
    if (other.join(scaled(5s))) s.other_exitcode = other.exitcode().value_or(-1000);
    return s;
  });
  EXPECT_EQ(seen.codes, std::vector<int>{2});
  EXPECT_EQ(seen.other_exitcode, 7) << "run_all reaped a child that was not its own";
}

}  // namespace
