#pragma once
/// @file
/// @brief The trusted-parent test style: the student's code runs only in a
/// forked child, and the test's assertions run in the parent.
///
/// A lesson's test program (`lessonNN_tests`) never contains a line of the
/// student's code. The student's `exercises/NN-topic/*.cpp` are built into a
/// shared object (`lessonNN_code.so`) that only a child of the test loads,
/// after `fork`; the contract's functions that a test calls are trampolines
/// that reach the student's definitions in that child only. The child sends
/// back plain values (mp's pickle), and the parent asserts on them:
///
/// @code
/// TEST(RunAll, ReturnsTheExitCodesInOrder) {
///   const auto codes = in_student([] {           // runs in the child
///     return lesson01::run_all({[] {}, [] { mp::exit(3); }}, scaled(10s));
///   });
///   EXPECT_EQ(codes, (std::vector<int>{0, 3}));  // decided here, in the parent
/// }
/// @endcode
///
/// Whatever the child computes is the student's answer (the student's code may
/// change anything in that process); the verdict is the parent's. The parent
/// also checks what it sees itself: the child's end, the time it took, and the
/// processes it left behind (the parent is their subreaper).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <mp/pickle.hpp>

namespace mp::testing {

/// Thrown in the parent when the student's side did not give a value: the
/// student's code threw (the message names the exception's type and text),
/// ended or crashed its process, did not finish by the deadline, or its shared
/// object could not be loaded. A test that lets it escape fails with its message.
class StudentFailure : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

namespace detail {
/// Runs `body` in a child that has loaded the student's code (unless `load`
/// is false) and returns the bytes it produced; `seconds`, when given, gets the
/// wall time from the fork to the end of the result, measured here. Throws
/// StudentFailure (see in_student).
std::string run_student_child(const std::function<std::string()>& body, std::chrono::milliseconds deadline,
                              double* seconds = nullptr, bool load = true);

template <class F>
auto timed_child(F& fn, std::chrono::milliseconds deadline, bool load) {
  using R = std::decay_t<std::invoke_result_t<F&>>;
  double seconds = 0;
  const std::string bytes = run_student_child([&] { return mp::dumps(fn()); }, deadline, &seconds, load);
  return std::pair<double, R>(seconds, mp::loads<R>(bytes));
}
}  // namespace detail

/// Runs `fn` in a fresh child process that has loaded the student's code, and
/// returns its result in the parent (copied through mp's pickle: any type
/// mp::dumps takes). `fn` may call the contract's functions; the parent may
/// not (a call outside in_student aborts the test program).
///
/// **Blocking.** Until the child has sent its result and ended, or until
/// `deadline` (scaled by MP_TEST_TIME_SCALE): then the child is killed.
/// Processes the child leaves running are given a moment to end, then killed;
/// each is a test failure (ADD_FAILURE), as is a zombie left unreaped.
/// @throws StudentFailure as documented there; mp::SerializationError when the
///         child's bytes do not decode as the result type.
template <class F>
auto in_student(F&& fn, std::chrono::milliseconds deadline = std::chrono::seconds(30))
    -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    (void)detail::run_student_child([&] { return (fn(), std::string()); }, deadline);
  } else {
    return mp::loads<std::decay_t<R>>(detail::run_student_child([&] { return mp::dumps(fn()); }, deadline));
  }
}

/// What a test's child saw, by name, for the parent to check: the results of
/// several calls of one object whose state does not survive the child
/// (`obs["qsize after 5 puts"] = q.qsize();` there, `EXPECT_EQ(obs["qsize
/// after 5 puts"], 5)` here). Times in milliseconds, truths as 0 or 1.
using Observations = std::map<std::string, std::int64_t>;

/// For the child's side: 1 when `fn()` throws an E, 0 when it returns; any
/// other exception propagates (and in_student reports it, e.g. a skeleton's
/// mp::NotImplemented).
template <class E, class F>
std::int64_t threw(F&& fn) {
  try {
    std::forward<F>(fn)();
  } catch (const E&) {
    return 1;
  }
  return 0;
}

/// For the timing of an exercise: runs `fn` as in_student does and returns
/// {seconds, its result}, the seconds measured by this (trusted) process from
/// the fork to the end of the result. Everything the student's code does,
/// loading included (static constructors), falls inside that time, so nothing
/// can be computed ahead; check the result, so that skipping the work does not
/// pay. Benchmarks call it once per sample: `fn` runs all the iterations.
/// @throws as in_student.
template <class F>
auto time_in_student(F&& fn, std::chrono::milliseconds deadline = std::chrono::seconds(120)) {
  return detail::timed_child(fn, deadline, true);
}

/// As time_in_student, in a child that does not load the student's code: for
/// a baseline (the serial version of a speed-up) that the student's code must
/// not be able to slow down.
template <class F>
auto time_in_trusted_child(F&& fn, std::chrono::milliseconds deadline = std::chrono::seconds(120)) {
  return detail::timed_child(fn, deadline, false);
}

/// Runs `fn` as in_student does and returns the type of the exception it threw
/// ("mp::Full", "std::invalid_argument"), or "" when it returned normally:
/// `EXPECT_EQ(raised_by([] { BoundedQueue(0); }), "mp::ValueError");`
std::string raised_by(const std::function<void()>& fn,
                      std::chrono::milliseconds deadline = std::chrono::seconds(30));

/// The shared object in_student loads: $MP_LESSON_CODE, else the student's
/// build of this lesson (set when the program was built).
std::string student_code_path();

/// Prepares the parent for in_student, once, before any test runs (the
/// lesson's main() calls it): the parent becomes the subreaper of what its
/// children leave behind and stops being dumpable, so that the student's
/// code can neither read nor write its memory or its descriptors through
/// /proc or ptrace. `trusted_fd` (or -1) is closed in every child before the
/// student's code is loaded.
void prepare_trusted_parent(int trusted_fd);

}  // namespace mp::testing
