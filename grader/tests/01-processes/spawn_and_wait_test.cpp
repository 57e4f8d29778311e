// Lesson 01, exercise 2: spawn_and_wait (contract: exercises/01-processes/spawn_and_wait.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): spawn_and_wait runs
// in a child that loaded the student's code; the checks run here.
// Every wait has a deadline; children report through exit codes, shared
// memory made before the fork, or a temporary file.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp/detail/shared_region.hpp>
#include <mp/process.hpp>

#include "spawn_and_wait.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson01::spawn_and_wait;
using mp::testing::in_student;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;

bool no_children_left() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
}

[[noreturn]] void sleep_forever() {
  for (;;) ::pause();
}

std::chrono::nanoseconds cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// What one call of spawn_and_wait did, seen from the process that called it.
struct Call {
  lesson01::SpawnResult result;
  bool children_left = false;  // a child of the caller, running or zombie, after the call
  double seconds = 0;          // how long the call took
  double cpu_seconds = 0;      // the CPU time the caller used meanwhile
  bool pid_reaped = false;     // waitpid(result.pid) says ECHILD afterwards
  template <class Archive>
  void serialize(Archive& ar) {
    ar(result.pid, result.exitcode, result.timed_out, children_left, seconds, cpu_seconds, pid_reaped);
  }
};

template <class F>
Call call_spawn_and_wait(F fn, mp::Timeout timeout = mp::Timeout()) {
  return in_student([&] {
    Call c;
    const auto start = Clock::now();
    const auto cpu_before = cpu_time();
    c.result = spawn_and_wait(fn, timeout);
    c.cpu_seconds = std::chrono::duration<double>(cpu_time() - cpu_before).count();
    c.seconds = mp::testing::seconds_since(start);
    c.children_left = !no_children_left();
    errno = 0;
    c.pid_reaped = ::waitpid(c.result.pid, nullptr, WNOHANG) == -1 && errno == ECHILD;
    return c;
  });
}

double seconds(std::chrono::milliseconds d) { return std::chrono::duration<double>(d).count(); }

TEST(SpawnAndWait, ReturnsTheFunctionsExitCode) {
  const auto [zero_pid, zero_code, zero_timed_out, code_pid, code_code, code_timed_out, caller, left] =
      in_student([] {
        const auto zero = spawn_and_wait([] { return 0; }, scaled(10s));
        const auto code = spawn_and_wait([] { return 42; }, scaled(10s));
        return std::tuple(zero.pid, zero.exitcode, zero.timed_out, code.pid, code.exitcode, code.timed_out,
                          ::getpid(), !no_children_left());
      });
  EXPECT_EQ(zero_code, 0);
  EXPECT_FALSE(zero_timed_out);
  EXPECT_GT(zero_pid, 0);
  EXPECT_NE(zero_pid, caller);
  EXPECT_EQ(code_code, 42) << "the function's return value is the child's exit code";
  EXPECT_FALSE(code_timed_out);
  EXPECT_NE(code_pid, zero_pid);
  EXPECT_FALSE(left) << "spawn_and_wait left a child behind (not reaped: a zombie)";
}

TEST(SpawnAndWait, DefaultTimeoutWaitsForTheChild) {
  const Call c = call_spawn_and_wait([] {
    std::this_thread::sleep_for(50ms);
    return 3;
  });
  EXPECT_EQ(c.result.exitcode, 3);
  EXPECT_FALSE(c.result.timed_out);
  EXPECT_FALSE(c.children_left);
}

TEST(SpawnAndWait, MpExitSetsTheExitCode) {
  const Call c = call_spawn_and_wait([]() -> int { mp::exit(7); }, scaled(10s));
  EXPECT_EQ(c.result.exitcode, 7)
      << "mp::exit(n) throws mp::SystemExit{n}: catch it in the child and exit with n";
}

TEST(SpawnAndWait, ThrowingFunctionExitsWithOne) {
  const Call c = call_spawn_and_wait(
      []() -> int { throw std::runtime_error("this exception is part of the test"); }, scaled(10s));
  EXPECT_EQ(c.result.exitcode, 1) << "an exception ends the child with exit code 1";
  EXPECT_FALSE(c.result.timed_out);
}

TEST(SpawnAndWait, SignalGivesMinusItsNumber) {
  const Call killed = call_spawn_and_wait([] { return ::raise(SIGKILL); }, scaled(10s));
  const Call terminated = call_spawn_and_wait([] { return ::raise(SIGTERM); }, scaled(10s));
  EXPECT_EQ(killed.result.exitcode, -SIGKILL);
  EXPECT_EQ(terminated.result.exitcode, -SIGTERM)
      << "a child killed by signal N has exit code -N (decode the status with WIFSIGNALED/WTERMSIG)";
  EXPECT_FALSE(killed.children_left || terminated.children_left);
}

TEST(SpawnAndWait, RunsTheFunctionInAChildProcess) {
  // `touched` and the pid are read in the process that calls spawn_and_wait, which is not this one.
  const auto [exitcode, touched_there] = in_student([] {
    const pid_t caller = ::getpid();
    int touched = 0;
    const auto r = spawn_and_wait(
        [&] {
          touched = 1;
          return ::getpid() == caller ? 9 : 0;
        },
        scaled(10s));
    return std::pair(r.exitcode, touched);
  });
  EXPECT_EQ(exitcode, 0) << "the function ran in the caller's process";
  EXPECT_EQ(touched_there, 0) << "the function changed the caller's memory: it must run in the child";
}

TEST(SpawnAndWait, TimeoutKillsAndReapsTheChild) {
  const Call c = call_spawn_and_wait([]() -> int { sleep_forever(); }, 200ms);
  EXPECT_TRUE(c.result.timed_out);
  EXPECT_EQ(c.result.exitcode, -SIGKILL) << "at the timeout the child is killed with SIGKILL";
  EXPECT_GE(c.seconds, 0.2) << "returned before the timeout while the child still ran";
  EXPECT_LT(c.seconds, seconds(scaled(2s))) << "the timeout was not respected";
  EXPECT_TRUE(c.pid_reaped) << "the killed child was not reaped";
}

TEST(SpawnAndWait, ReturnsAsSoonAsTheChildEnds) {
  const Call c = call_spawn_and_wait([] { return 0; }, scaled(30s));
  EXPECT_LT(c.seconds, seconds(scaled(2s)))
      << "spawn_and_wait must return when the child ends, not at the timeout";
  EXPECT_FALSE(c.result.timed_out);
}

// A busy loop around waitpid(WNOHANG) would burn a whole core while the child sleeps.
TEST(SpawnAndWait, WaitsWithoutSpinning) {
  const auto child_sleeps = scaled(300ms);
  const Call c = call_spawn_and_wait(
      [child_sleeps] {
        std::this_thread::sleep_for(child_sleeps);
        return 0;
      },
      scaled(10s));
  EXPECT_EQ(c.result.exitcode, 0);
  EXPECT_LT(c.cpu_seconds, seconds(child_sleeps) / 3)
      << "the parent used " << static_cast<int>(c.cpu_seconds * 1000) << " ms of CPU while waiting "
      << child_sleeps.count()
      << " ms for its child: sleep in the kernel (poll a pidfd, or sleep between waitpid(WNOHANG) checks) "
         "instead of spinning";
}

// The caller's other child has ended (a zombie) when spawn_and_wait runs:
// `wait(-1)` or `waitpid(-1, ...)` would reap it and lose its exit code.
TEST(SpawnAndWait, LeavesOtherChildrenAlone) {
  const auto [exitcode, other_exitcode] = in_student([] {
    mp::Process other([] { mp::exit(5); });  // the caller's own child, ended and not reaped
    other.start();
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(*other.pid()), &info, WEXITED | WNOWAIT) != 0)
      throw std::runtime_error("test setup: waitid failed");
    const auto r = spawn_and_wait([] { return 3; }, scaled(10s));
    return std::pair(r.exitcode, other.join(scaled(5s)) ? other.exitcode().value_or(-1000) : -1000);
  });
  EXPECT_EQ(exitcode, 3) << "spawn_and_wait returned another child's exit code: wait for `pid` only";
  EXPECT_EQ(other_exitcode, 5) << "spawn_and_wait reaped a child that was not its own";
}

// Parent and child share the file; each process's buffered text must reach
// it exactly once: the parent's before the fork, the child's before _exit.
TEST(SpawnAndWait, FlushesBufferedOutputOnceInEachProcess) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::tmpfile(), &std::fclose);
  ASSERT_TRUE(file);
  const int exitcode = in_student([&] {
    std::fputs("parent;", file.get());  // buffered in the caller, not yet written
    const auto r = spawn_and_wait(
        [&] {
          std::fputs("child;", file.get());  // buffered in the child
          return 0;
        },
        scaled(10s));
    std::fflush(file.get());
    return r.exitcode;
  });
  EXPECT_EQ(exitcode, 0);
  char text[64] = {};
  const ssize_t n =
      ::pread(fileno(file.get()), text, sizeof text - 1, 0);  // the file is shared: read it here
  ASSERT_GE(n, 0);
  EXPECT_EQ(std::string(text, static_cast<std::size_t>(n)), "parent;child;")
      << "\"parent;parent;...\": the parent did not flush before fork, so the child wrote its copy too; "
         "\"parent;\" alone: the child did not flush before _exit";
}

// The parent's atexit handlers belong to the parent: a child that ends with
// exit() instead of _exit() runs them too.
std::atomic<int>* exit_handler_runs = nullptr;  // in shared memory while armed
bool exit_handler_armed = false;
void count_exit_handler_runs() {
  if (exit_handler_armed && exit_handler_runs != nullptr) exit_handler_runs->fetch_add(1);
}

TEST(SpawnAndWait, DoesNotRunTheParentsExitHandlers) {
  static const bool registered = std::atexit(count_exit_handler_runs) == 0;
  ASSERT_TRUE(registered);
  auto runs = mp::detail::make_shared_object<std::atomic<int>>(0);
  struct Arm {  // disarmed on every way out, also when spawn_and_wait throws
    explicit Arm(std::atomic<int>* counter) {
      exit_handler_runs = counter;
      exit_handler_armed = true;
    }
    ~Arm() {
      exit_handler_armed = false;
      exit_handler_runs = nullptr;
    }
    Arm(const Arm&) = delete;
    Arm& operator=(const Arm&) = delete;
  };
  const int exitcode = in_student([&] {
    const Arm arm(runs.get());
    return spawn_and_wait([] { return 0; }, scaled(10s)).exitcode;
  });
  EXPECT_EQ(exitcode, 0);
  EXPECT_EQ(runs->load(), 0)
      << "the child ran the parent's atexit handlers: end it with _exit(code), not exit(code)";
}

}  // namespace
