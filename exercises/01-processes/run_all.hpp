// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in run_all.cpp (the functions declared here).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 01, exercise 1 ("use it"): run N functions in N processes at
/// once and collect their exit codes.
///
/// Python counterpart:
/// @code{.py}
/// def run_all(functions, timeout=None):
///     processes = [Process(target=f) for f in functions]
///     for p in processes: p.start()
///     deadline = None if timeout is None else time.monotonic() + timeout
///     for p in processes:
///         p.join(None if deadline is None else max(0, deadline - time.monotonic()))
///         if p.is_alive():
///             p.kill(); p.join()
///     return [p.exitcode for p in processes]
/// @endcode
///
/// Lesson: lessons/01-processes/README.md, "Exercise 1: run_all".
#include <functional>
#include <vector>

#include <mp/timeout.hpp>

namespace lesson01 {

/// Runs every function of `functions` in its own child process (mp::Process),
/// **all at the same time**, waits for them, and returns their exit codes in
/// the order of `functions`.
///
/// Exit codes follow Python's `Process.exitcode`:
/// | the function ...                         | exit code |
/// |------------------------------------------|-----------|
/// | returns                                  | 0         |
/// | calls `mp::exit(n)`                      | n         |
/// | throws an exception                      | 1         |
/// | is killed by signal N (crash, `kill -9`) | -N        |
/// | is still running when `timeout` expires  | -9: run_all kills it with SIGKILL |
///
/// **Blocking.** Returns as soon as the last child has ended, or when
/// `timeout` (one deadline for the whole call, not per child) expires: then
/// every child still running is killed (SIGKILL) and reaped, and its exit code
/// is -9. The default timeout waits forever.
///
/// **Guarantees.** Every child is started before any is waited for, so N
/// functions that each take time T finish in about T, not N×T. When run_all
/// returns (or throws), no child it started is left running or unreaped
/// (no zombie). The functions run in the children only: whatever they change
/// in memory stays in the child (the parent sees only the exit codes).
/// Children started elsewhere by the caller are not waited for.
///
/// @param functions the functions to run; may be empty (then returns {}).
/// @param timeout   how long to wait for all of them; default: forever.
/// @returns one exit code per function, in the same order.
/// @throws std::system_error when a process cannot be started (fork fails);
///         the children already started are killed and reaped first.
///
/// Not thread-safe with respect to other code that forks (as mp::Process).
///
/// @code
/// std::vector<std::function<void()>> jobs = {
///     [] {},                                     // 0
///     [] { mp::exit(3); },                       // 3
///     [] { throw std::runtime_error("oops"); },  // 1
///     [] { std::abort(); },                      // -6 (SIGABRT)
/// };
/// std::vector<int> codes = lesson01::run_all(jobs);   // {0, 3, 1, -6}
/// @endcode
[[nodiscard]] std::vector<int> run_all(const std::vector<std::function<void()>>& functions,
                                       mp::Timeout timeout = mp::Timeout());

}  // namespace lesson01
