// Lesson 01, exercise 2: spawn_and_wait (contract: exercises/01-processes/spawn_and_wait.hpp).
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

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp/detail/shared_region.hpp>
#include <mp/process.hpp>

#include "spawn_and_wait.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson01::spawn_and_wait;
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

TEST(SpawnAndWait, ReturnsTheFunctionsExitCode) {
  const auto zero = spawn_and_wait([] { return 0; }, scaled(10s));
  EXPECT_EQ(zero.exitcode, 0);
  EXPECT_FALSE(zero.timed_out);
  EXPECT_GT(zero.pid, 0);
  EXPECT_NE(zero.pid, ::getpid());
  const auto code = spawn_and_wait([] { return 42; }, scaled(10s));
  EXPECT_EQ(code.exitcode, 42) << "the function's return value is the child's exit code";
  EXPECT_FALSE(code.timed_out);
  EXPECT_NE(code.pid, zero.pid);
  EXPECT_TRUE(no_children_left()) << "spawn_and_wait left a child behind (not reaped: a zombie)";
}

TEST(SpawnAndWait, DefaultTimeoutWaitsForTheChild) {
  const auto r = spawn_and_wait([] {
    std::this_thread::sleep_for(50ms);
    return 3;
  });
  EXPECT_EQ(r.exitcode, 3);
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(no_children_left());
}

TEST(SpawnAndWait, MpExitSetsTheExitCode) {
  const auto r = spawn_and_wait([]() -> int { mp::exit(7); }, scaled(10s));
  EXPECT_EQ(r.exitcode, 7) << "mp::exit(n) throws mp::SystemExit{n}: catch it in the child and exit with n";
}

TEST(SpawnAndWait, ThrowingFunctionExitsWithOne) {
  const auto r = spawn_and_wait(
      []() -> int { throw std::runtime_error("this exception is part of the test"); }, scaled(10s));
  EXPECT_EQ(r.exitcode, 1) << "an exception ends the child with exit code 1";
  EXPECT_FALSE(r.timed_out);
}

TEST(SpawnAndWait, SignalGivesMinusItsNumber) {
  EXPECT_EQ(spawn_and_wait([] { return ::raise(SIGKILL); }, scaled(10s)).exitcode, -SIGKILL);
  EXPECT_EQ(spawn_and_wait([] { return ::raise(SIGTERM); }, scaled(10s)).exitcode, -SIGTERM)
      << "a child killed by signal N has exit code -N (decode the status with WIFSIGNALED/WTERMSIG)";
  EXPECT_TRUE(no_children_left());
}

TEST(SpawnAndWait, RunsTheFunctionInAChildProcess) {
  const pid_t parent = ::getpid();
  int touched = 0;
  const auto r = spawn_and_wait(
      [&] {
        touched = 1;
        return ::getpid() == parent ? 9 : 0;
      },
      scaled(10s));
  EXPECT_EQ(r.exitcode, 0) << "the function ran in the parent";
  EXPECT_EQ(touched, 0) << "the function changed the parent's memory: it must run in the child";
}

TEST(SpawnAndWait, TimeoutKillsAndReapsTheChild) {
  const auto start = Clock::now();
  const auto r = spawn_and_wait([]() -> int { sleep_forever(); }, 200ms);
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exitcode, -SIGKILL) << "at the timeout the child is killed with SIGKILL";
  EXPECT_GE(elapsed, 200ms) << "returned before the timeout while the child still ran";
  EXPECT_LT(elapsed, scaled(2s)) << "the timeout was not respected";
  errno = 0;
  EXPECT_EQ(::waitpid(r.pid, nullptr, WNOHANG), -1) << "the killed child was not reaped";
  EXPECT_EQ(errno, ECHILD);
}

TEST(SpawnAndWait, ReturnsAsSoonAsTheChildEnds) {
  const auto start = Clock::now();
  const auto r = spawn_and_wait([] { return 0; }, scaled(30s));
  EXPECT_LT(Clock::now() - start, scaled(2s))
      << "spawn_and_wait must return when the child ends, not at the timeout";
  EXPECT_FALSE(r.timed_out);
}

// A busy loop around waitpid(WNOHANG) would burn a whole core while the child sleeps.
TEST(SpawnAndWait, WaitsWithoutSpinning) {
  const auto child_sleeps = scaled(300ms);
  const auto cpu_before = cpu_time();
  const auto r = spawn_and_wait(
      [child_sleeps] {
        std::this_thread::sleep_for(child_sleeps);
        return 0;
      },
      scaled(10s));
  const auto cpu_used = cpu_time() - cpu_before;
  EXPECT_EQ(r.exitcode, 0);
  EXPECT_LT(cpu_used, child_sleeps / 3)
      << "the parent used " << std::chrono::duration_cast<std::chrono::milliseconds>(cpu_used).count()
      << " ms of CPU while waiting " << child_sleeps.count()
      << " ms for its child: sleep in the kernel (poll a pidfd, or sleep between waitpid(WNOHANG) checks) "
         "instead of spinning";
}

// The caller's other child has ended (a zombie) when spawn_and_wait runs:
// `wait(-1)` or `waitpid(-1, ...)` would reap it and lose its exit code.
TEST(SpawnAndWait, LeavesOtherChildrenAlone) {
  mp::Process other([] { mp::exit(5); });
  other.start();
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(*other.pid()), &info, WEXITED | WNOWAIT),
            0);  // ended, not reaped
  const auto r = spawn_and_wait([] { return 3; }, scaled(10s));
  EXPECT_EQ(r.exitcode, 3) << "spawn_and_wait returned another child's exit code: wait for `pid` only";
  ASSERT_TRUE(other.join(scaled(5s)));
  EXPECT_EQ(other.exitcode(), 5) << "spawn_and_wait reaped a child that was not its own";
}

// Parent and child share the file; each process's buffered text must reach
// it exactly once: the parent's before the fork, the child's before _exit.
TEST(SpawnAndWait, FlushesBufferedOutputOnceInEachProcess) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::tmpfile(), &std::fclose);
  ASSERT_TRUE(file);
  std::fputs("parent;", file.get());  // buffered in the parent, not yet written
  const auto r = spawn_and_wait(
      [&] {
        std::fputs("child;", file.get());  // buffered in the child
        return 0;
      },
      scaled(10s));
  EXPECT_EQ(r.exitcode, 0);
  std::fflush(file.get());
  char text[64] = {};
  const ssize_t n = ::pread(fileno(file.get()), text, sizeof text - 1, 0);
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
  lesson01::SpawnResult r;
  {
    const Arm arm(runs.get());
    r = spawn_and_wait([] { return 0; }, scaled(10s));
  }
  EXPECT_EQ(r.exitcode, 0);
  EXPECT_EQ(runs->load(), 0)
      << "the child ran the parent's atexit handlers: end it with _exit(code), not exit(code)";
}

}  // namespace
