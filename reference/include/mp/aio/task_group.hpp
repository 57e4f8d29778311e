#pragma once
/// @file
/// @brief `mp::aio::task_group`: structured concurrency (Python 3.11's
/// `asyncio.TaskGroup`): tasks that end together, and whose errors are not lost.
///
/// ```python
/// async with asyncio.TaskGroup() as tg:          # Python
///     a = tg.create_task(fetch(1))
///     b = tg.create_task(fetch(2))
/// print(a.result() + b.result())
/// ```
/// @code
/// aio::Future<int> a, b;                          // C++: the body is a coroutine given the group
/// co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
///   a = tg.create_task(fetch(1));
///   b = tg.create_task(fetch(2));
///   co_return;
/// });
/// std::cout << a.result() + b.result() << '\n';
/// @endcode
///
/// - task_group() returns when the body and **every** task of the group have
///   ended.
/// - The **first** task to fail (an exception other than CancelledError)
///   cancels the other tasks **and the body** (the task running
///   task_group() gets CancelledError where it waits; task_group() takes that
///   cancellation back). Then task_group() throws aio::ExceptionGroup holding
///   **every** exception: of the tasks, and of the body.
/// - The task running task_group() cancelled from outside: the group's
///   tasks are cancelled, awaited, and CancelledError goes on up.
/// - create_task() once the group is ending throws aio::RuntimeError.
#include <cstddef>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "mp/aio/future.hpp"
#include "mp/aio/loop.hpp"
#include "mp/aio/task.hpp"

namespace mp::aio {

/// Several errors at once (Python's `ExceptionGroup`): what a task group
/// throws. exceptions() holds each one; what() lists their messages.
class ExceptionGroup : public Error {
public:
  /// `message`, with each exception's type and text listed after it.
  ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> exceptions);
  /// The exceptions, in the order they happened.
  [[nodiscard]] const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

private:
  std::vector<std::exception_ptr> exceptions_;
};

/// The group a task_group() body gets. Not copyable; lives as long as task_group().
class TaskGroup {
public:
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  /// Starts `task` in the group (Python's `tg.create_task`).
  /// @throws aio::RuntimeError when the group is ending (aborting or finished).
  template <class T>
  Future<T> create_task(Task<T> task) {
    check_open();
    Future<T> f = aio::create_task(std::move(task));
    adopt(*f.core());
    return f;
  }

  /// The body's end and the wait for the tasks (task_group() calls it).
  Task<void> join(std::exception_ptr body_error, bool body_cancelled);

  /// A group whose failures cancel `parent` (task_group() makes it).
  explicit TaskGroup(detail::TaskState& parent) noexcept : parent_(&parent) {}

private:
  void check_open() const;
  void adopt(detail::FutureBase& child);
  void abort();
  static void on_child_done(void* self, detail::FutureBase& child);

  detail::TaskState* parent_;
  std::vector<detail::FutureBase*> children_;  // unfinished, each holding a reference
  std::vector<std::exception_ptr> errors_;
  Future<void> on_completed_;
  bool exiting_ = false;
  bool finished_ = false;
  bool aborting_ = false;
  bool parent_cancel_requested_ = false;
};

/// Runs `body(group)` and waits for the group (see the file notes).
/// `body` is a callable taking `aio::TaskGroup&` and returning aio::Task<void>.
/// @throws aio::ExceptionGroup when a task or the body failed;
///         aio::CancelledError when the running task was cancelled from outside.
template <class Body>
Task<void> task_group(Body body) {
  TaskGroup group(detail::current_task("aio::task_group"));
  std::exception_ptr error;
  bool cancelled = false;
  try {
    co_await body(group);
  } catch (const CancelledError&) {
    cancelled = true;
  } catch (...) {
    error = std::current_exception();
  }
  co_await group.join(error, cancelled);
}

}  // namespace mp::aio
