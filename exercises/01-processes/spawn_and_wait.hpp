// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in spawn_and_wait.cpp (the function declared here).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 01, exercise 2 ("build it"): a tiny mp::Process of your own,
/// on the system calls `fork`, `waitpid` and `kill`, with a timeout.
///
/// Python counterpart (roughly what `Process.start` + `join(timeout)` +
/// `kill` do with the fork start method):
/// @code{.py}
/// def spawn_and_wait(fn, timeout=None):
///     pid = os.fork()
///     if pid == 0:
///         code = 1
///         try: code = fn()
///         finally: os._exit(code)
///     # wait at most `timeout`; on timeout: os.kill(pid, SIGKILL); os.waitpid(pid, 0)
/// @endcode
///
/// Lesson: lessons/01-processes/README.md, "Exercise 2: spawn_and_wait".
#include <functional>

#include <sys/types.h>

#include <mp/timeout.hpp>

namespace lesson01 {

/// What spawn_and_wait() reports about the child it ran.
struct SpawnResult {
  /// The child's process id (> 0).
  pid_t pid = -1;
  /// The child's exit code, as Python's `Process.exitcode`: the value `fn`
  /// returned (only its low 8 bits survive, as for any process), the code
  /// given to `mp::exit(n)`, 1 when `fn` threw, `-N` when signal N killed it
  /// (-9 when spawn_and_wait killed it at the timeout).
  int exitcode = 0;
  /// True when the child was still running at the timeout and spawn_and_wait
  /// killed it (SIGKILL).
  bool timed_out = false;
};

/// Runs `fn` in a child process made with `fork()` and waits for it at most
/// `timeout`. Build it on the system calls (fork, waitpid, kill; poll and
/// pidfd_open if you like), **not** on mp::Process: this is how mp::Process
/// works inside.
///
/// **In the child.** Calls `fn()` and ends the process with its return value
/// as the exit code; `mp::exit(n)` (an mp::SystemExit thrown) ends it with
/// code n; any other exception ends it with code 1 (print its message to
/// stderr, as Python prints a traceback). The child ends with `_exit`, after
/// flushing the C and C++ standard streams (`std::fflush(nullptr)`,
/// `std::cout.flush()`): it must not return into the parent's code, nor run
/// the parent's `atexit` handlers or static destructors (they belong to the
/// parent: think of a temporary file removed twice).
///
/// **In the parent.** Flushes the standard streams before `fork` (otherwise
/// text buffered in the parent is written twice: once by each process), then
/// waits until the child ends or `timeout` expires. At the timeout it kills
/// the child (SIGKILL), reaps it, and returns with `timed_out` set.
///
/// **Blocking.** At most `timeout` (plus the moment a killed child takes to
/// die); forever by default. The wait must sleep in the kernel, not spin: a
/// parent waiting 1 s for a child burns (almost) no CPU time. It returns as
/// soon as the child has ended, not at the timeout.
///
/// **Guarantees.** When it returns, the child has been reaped (no zombie).
/// Only this child is waited for: other children of the caller (made with
/// mp::Process, say) are left alone, also when they end meanwhile.
///
/// @returns the child's pid, exit code, and whether it was killed at the timeout.
/// @throws std::system_error when `fork` (or another system call) fails.
///
/// Not thread-safe with respect to other code that forks; call it before
/// starting threads (fork copies only the calling thread).
///
/// @code
/// auto r = lesson01::spawn_and_wait([] { return 7; });                  // {pid, 7, false}
/// auto slow = lesson01::spawn_and_wait([] { ::pause(); return 0; }, 100ms);
/// // slow.timed_out == true, slow.exitcode == -9, after about 100 ms
/// @endcode
[[nodiscard]] SpawnResult spawn_and_wait(const std::function<int()>& fn, mp::Timeout timeout = mp::Timeout());

}  // namespace lesson01
