#pragma once
// Helpers shared by the runtime's test suites.
#include <chrono>
#include <csignal>
#include <cstddef>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sys/types.h>

#include "mp/process.hpp"

namespace mp::testing {

/// Multiplies the memory bounds of tests: sanitizers keep shadow memory and
/// redzones beside every byte the program touches, so a peak RSS measured
/// under them is a few times larger.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr std::size_t memory_slack = 4;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr std::size_t memory_slack = 4;
#else
inline constexpr std::size_t memory_slack = 1;
#endif
#else
inline constexpr std::size_t memory_slack = 1;
#endif

/// Scales a deadline by MP_TEST_TIME_SCALE (default 1; the sanitizer presets
/// set it higher because instrumented code runs several times slower).
std::chrono::milliseconds scaled(std::chrono::milliseconds d);

/// Names in /dev/shm that start with this program's segment prefix, except
/// those already there when the program started: pids are reused (pid_max is
/// 32768 here), so an earlier program with our pid may have left segments
/// that are not ours (its tracker killed with it, say).
std::vector<std::string> leaked_segments();

/// The command name of `pid` (/proc/PID/comm), "" when it has none.
std::string command_of(pid_t pid);

/// This process's children, running or zombie, from every thread's
/// /proc/self/task/TID/children. The sanitizers' symbolizer, which they start
/// as a child of ours to print a report, is not one of them.
std::vector<pid_t> our_children();

/// A global test environment (gtest owns it) that checks after all tests that
/// nothing leaked: no child process left (zombie or running; those left are
/// killed and reaped) and no shared-memory segment of this program in /dev/shm.
::testing::Environment* leak_check_environment();

/// Runs `fn` in a forked child and returns its wait status decoded as Python's
/// exitcode (0, 1, -signal), killing the child if it has not finished within
/// `deadline`. Independent of mp::Process, so it can test mp::Process too.
int run_in_child(void (*fn)(), std::chrono::milliseconds deadline);

/// Waits (yielding) until `pred()` holds or `deadline` (scaled) passes; whether
/// it holds. For conditions another process writes to shared memory: it never
/// orders anything by sleeping.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + scaled(deadline);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

/// The scheduler state letter of a process (R, S, D, T, Z, ...) from /proc,
/// '?' when it has no entry.
char process_state(pid_t pid);

/// Waits until `pid` sleeps in the kernel (state S: blocked in a futex wait
/// here), or also, with `or_exited`, until it has exited (Z: not yet joined).
/// Polls a condition with a deadline (scaled); does not order anything by time.
bool wait_until_sleeping(pid_t pid, std::chrono::milliseconds deadline = std::chrono::seconds(5),
                         bool or_exited = false);

/// Waits until `pid` is stopped (state T: it raised SIGSTOP at a fault point).
bool wait_until_stopped(pid_t pid, std::chrono::milliseconds deadline = std::chrono::seconds(5));

/// Waits until the main thread of `pid` sleeps inside the futex system call
/// (from /proc/PID/syscall): stricter than wait_until_sleeping() when the
/// order in which processes queue on one futex matters.
bool wait_until_in_futex(pid_t pid, std::chrono::milliseconds deadline = std::chrono::seconds(5));

/// Resets this process's peak resident set size (VmHWM), so that peak_rss()
/// then measures only what follows; false when the kernel refuses (Linux >= 4.0).
[[nodiscard]] bool reset_peak_rss();

/// The peak resident set size since reset_peak_rss(), in bytes.
std::size_t peak_rss();

/// Seconds of steady_clock time since `t0`.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Whether `fn()` throws an E whose what() contains `needle`:
/// `EXPECT_TRUE(throws_with<mp::ValueError>([&] { ... }, "closed"));`.
/// An exception of another type propagates and fails the test as it would
/// in the test body.
template <class E, class F>
::testing::AssertionResult throws_with(F&& fn, std::string_view needle) {
  try {
    std::forward<F>(fn)();
  } catch (const E& e) {
    if (std::string_view(e.what()).find(needle) == std::string_view::npos)
      return ::testing::AssertionFailure() << "the message '" << e.what() << "' lacks '" << needle << "'";
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no exception";
}

/// For a child's target: ends the child with exit code 0 when `fn()` throws
/// an E, and 1 when it returns, so that the parent checks `exitcode() == 0`.
template <class E, class F>
[[noreturn]] void exit_zero_if_throws(F&& fn) {
  try {
    std::forward<F>(fn)();
  } catch (const E&) {
    mp::exit(0);
  }
  mp::exit(1);
}

/// A child's check (gtest assertions do not cross the process boundary): ends
/// the child with exit code `code` when `ok` is false, so the parent's
/// expect_joined_ok() reports which check failed.
inline void require(bool ok, int code) {
  if (!ok) mp::exit(code);
}

/// Starts a child running `fn`.
template <class F>
mp::Process start(F&& fn) {
  mp::Process p(std::forward<F>(fn));
  p.start();
  return p;
}

/// Joins `p` within `deadline` (scaled) and expects exit code 0. A child that
/// is not done in time is killed (its destructor would otherwise wait for it).
inline void expect_joined_ok(mp::Process& p, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  if (!p.join(scaled(deadline))) {
    p.kill();
    (void)p.join(scaled(std::chrono::seconds(5)));
    ADD_FAILURE() << p.name() << " did not finish in time: killed";
    return;
  }
  EXPECT_EQ(p.exitcode(), 0) << p.name() << " failed (its exit code says which check)";
}

/// Kills a child stopped at its fault point (mp/detail/fault_point.hpp) and reaps it.
inline void kill_stopped(mp::Process& victim) {
  ASSERT_TRUE(wait_until_stopped(*victim.pid())) << "the victim never reached its fault point";
  victim.kill();
  ASSERT_TRUE(victim.join(scaled(std::chrono::seconds(5))));
  EXPECT_EQ(victim.exitcode(), -SIGKILL);
}

/// Runs `body` in a child that stops itself at the fault point `where`, and
/// kills it there. `stop_at` is the test program's variable that its
/// definition of mp::detail::fault_point compares with each point it
/// reaches (set only in the child). A child that never reaches the point
/// exits 9 and fails.
template <class F>
void kill_at(const char*& stop_at, const char* where, F body) {
  mp::Process victim([&] {
    stop_at = where;
    body();
    mp::exit(9);
  });
  victim.start();
  kill_stopped(victim);
}

}  // namespace mp::testing
