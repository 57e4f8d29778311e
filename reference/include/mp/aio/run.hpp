#pragma once
/// @file
/// @brief `mp::aio::run`: the program's entry into coroutines (Python's `asyncio.run`).
///
/// `aio::run(main())` makes an event loop in the calling thread, runs
/// `main()` as a task until it ends, then cancels the tasks still running
/// and lets them finish (their `catch (aio::CancelledError&)` blocks run),
/// closes the loop, and returns main's result or rethrows its exception.
/// While it runs, SIGINT (Ctrl-C) cancels the main task, as Python's does;
/// the previous SIGINT handler is back afterwards.
/// @code
/// aio::Task<int> main_task() { co_await aio::sleep(10ms); co_return 42; }
/// int main() { return aio::run(main_task()) == 42 ? 0 : 1; }
/// @endcode
/// @throws mp::aio::RuntimeError when a loop runs in this thread already
///         (inside a coroutine, `co_await` the coroutine instead);
///         aio::CancelledError when main was cancelled; what main threw.
#include <utility>

#include "mp/aio/loop.hpp"
#include "mp/aio/task.hpp"

namespace mp::aio {

namespace detail {

/// While alive: SIGINT cancels `main` (the loop's thread), the old handler is kept.
class SigintCancels {
public:
  SigintCancels(EventLoop& loop, FutureBase& main);
  ~SigintCancels();
  SigintCancels(const SigintCancels&) = delete;
  SigintCancels& operator=(const SigintCancels&) = delete;

private:
  struct State;
  State* state_;
};

}  // namespace detail

/// Runs `main` in a new event loop until it ends (see the file notes).
template <class T>
T run(Task<T> main) {
  if (EventLoop::running_or_null() != nullptr) {
    throw RuntimeError("aio::run() cannot be called from a running event loop: co_await the coroutine");
  }
  EventLoop loop;
  Future<T> f = create_task_on(loop, std::move(main));
  {
    const detail::SigintCancels sigint(loop, *f.core());
    try {
      loop.run_until_done(*f.core());
    } catch (...) {
      loop.shutdown_tasks();
      throw;
    }
  }
  loop.shutdown_tasks();
  return f.core()->take_result();
}

}  // namespace mp::aio
