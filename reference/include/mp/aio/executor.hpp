#pragma once
/// @file
/// @brief `mp::aio::to_thread` and mp::aio::run_in_executor: await blocking or
/// CPU-bound work done in a thread or in another process (Python's
/// `asyncio.to_thread` and `loop.run_in_executor`).
///
/// | Python | C++ |
/// |---|---|
/// | `await asyncio.to_thread(fn, a, b)` | `co_await aio::to_thread(fn, a, b)` |
/// | `await loop.run_in_executor(None, fn, a)` | `co_await aio::to_thread(fn, a)` |
/// | `await loop.run_in_executor(pool, fn, a)` (thread or process pool) | `co_await aio::run_in_executor(pool, fn, a)` |
/// | `asyncio.wrap_future(concurrent_future)` | `aio::wrap_future(mp_future)` |
///
/// The work runs elsewhere while the loop goes on running its other tasks;
/// the awaiting task resumes, in the loop's thread, in the round after the
/// work is done, with its result or its exception.
///
/// **Cancellation** (Python's): cancelling the awaiting task (or the future
/// that run_in_executor returns) ends the wait at once (CancelledError in the
/// next round); the work itself is cancelled only if it has not started
/// (mp::Future::cancel), otherwise it runs to its end and its result is dropped.
///
/// **How the result crosses threads.** The mp::Future's done-callback runs
/// in a worker thread (or the process pool's handler thread). It never
/// touches the aio future: it posts, with EventLoop::call_soon_threadsafe,
/// a call that sets it in the loop's thread. The loop pointer it uses sits in
/// a small shared, mutex-guarded Bridge that the loop side *detaches* (sets
/// to null) as soon as the aio future is done, cancelled or destroyed; the
/// worker side posts only while it is attached, holding the mutex, so the
/// loop cannot be detached-then-destroyed during the post. A task frame
/// awaiting it is destroyed with its loop (EventLoop's destructor drops
/// pending tasks), which destroys the future and detaches the bridge first.
/// The remaining rule, the same as for every mp::aio awaitable: a pending
/// future of run_in_executor must not outlive its loop (do not keep an
/// aio::Future handle on it past the loop's end).
///
/// **GCC 12 note.** Name a lambda that captures by copy before awaiting on
/// it: `auto fn = [s] { ... }; co_await aio::to_thread(fn);`. GCC 12
/// destroys a capturing lambda written inside a `co_await` expression twice
/// (a compiler bug; clang is fine); lambdas capturing by reference only are
/// harmless.
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#include "mp/aio/future.hpp"
#include "mp/aio/loop.hpp"
#include "mp/aio/task.hpp"
#include "mp/executor.hpp"

namespace mp::aio {

/// The process-wide thread pool of to_thread() (Python: the loop's default
/// executor, a ThreadPoolExecutor with min(32, cpu_count() + 4) threads).
/// Made at the first call, never destroyed (threads still busy at exit do not
/// delay it). Thread-safe. Use it in the process that made it (a forked child
/// has none of its threads: use to_thread there only if the parent never did).
mp::ThreadPoolExecutor& default_executor();

namespace detail {

/// The worker side and the loop side of one run_in_executor (see the file notes).
template <class R>
struct Bridge {
  std::mutex mutex;
  EventLoop* loop = nullptr;        ///< null once detached (mutex)
  FutureCore<R>* target = nullptr;  ///< the aio future; loop thread only, valid while attached
  mp::Future<R> source;             ///< the work's future (thread-safe handle)

  void detach() {
    const std::lock_guard lk(mutex);
    loop = nullptr;
    target = nullptr;
  }

  // Loop's thread: copies the outcome of `source` into the aio future.
  void deliver() {
    FutureCore<R>* t = nullptr;
    {
      const std::lock_guard lk(mutex);
      if (loop == nullptr) return;  // cancelled or gone meanwhile
      t = target;
      loop = nullptr;
      target = nullptr;
    }
    if (t->done()) return;
    if (source.cancelled()) {
      t->set_cancelled("the executor's future was cancelled");
      return;
    }
    if (std::exception_ptr e = source.exception()) {
      t->set_exception(std::move(e));
    } else if constexpr (std::is_void_v<R>) {
      t->set_result();
    } else {
      t->set_result(source.result());
    }
  }
};

/// Links the aio future `target` to the mp::Future `source` (loop's thread).
template <class R>
void chain(Future<R>& target, mp::Future<R> source) {
  auto bridge = std::make_shared<Bridge<R>>();
  bridge->loop = target.core()->loop();
  bridge->target = target.core();
  bridge->source = source;
  // The loop side: detach when the aio future is done or destroyed; if it was
  // cancelled, try to cancel the work too (Python's _chain_future).
  using Holder = std::shared_ptr<Bridge<R>>;
  target.core()->add_callback({[](void* arg, FutureBase& f) {
                                 const std::unique_ptr<Holder> h(static_cast<Holder*>(arg));
                                 (*h)->detach();
                                 if (f.cancelled()) (*h)->source.cancel();
                               },
                               new Holder(bridge),
                               [](void* arg) {
                                 const std::unique_ptr<Holder> h(static_cast<Holder*>(arg));
                                 (*h)->detach();
                               }});
  // The worker side (any thread, or this one when `source` is done already).
  source.add_done_callback([bridge](const mp::Future<R>& /*done*/) {
    const std::lock_guard lk(bridge->mutex);
    if (bridge->loop == nullptr) return;
    bridge->loop->call_soon_threadsafe([bridge] { bridge->deliver(); });
  });
}

}  // namespace detail

/// An aio::Future that takes the outcome of `source` (Python's
/// `asyncio.wrap_future`): awaiting it suspends until the work is done, then
/// gives its result or throws its exception (mp::CancelledError if the
/// work was cancelled by its executor; the aio future then ends cancelled
/// and the awaiter gets aio::CancelledError). Cancelling it cancels `source`
/// if it has not started.
/// @throws mp::aio::RuntimeError when no loop runs in this thread.
template <class R>
Future<R> wrap_future(mp::Future<R> source) {
  Future<R> f = create_future<R>();
  detail::chain(f, std::move(source));
  return f;
}

/// Submits `fn(args...)` to `executor` (an mp::ThreadPoolExecutor, or an
/// mp::ProcessPoolExecutor: then `fn` is a function pointer or captureless
/// lambda and the arguments serializable, as its submit() requires) and
/// returns an aio::Future of its result (Python's `loop.run_in_executor`).
/// The work starts now, not when awaited. `co_await` it: resumes in the loop
/// round after the work ends; gives the result, or throws the work's
/// exception (from another process: as ProcessPoolExecutor reports it).
/// Cancelled while awaited: aio::CancelledError at once; the work goes on
/// if it has started. `executor` must outlive the work (its destructor waits
/// for it, blocking the loop if called in the loop's thread).
/// @throws mp::aio::RuntimeError outside a running loop; what submit() throws
///         (mp::ValueError after shutdown, mp::BrokenPool).
template <class Executor, class F, class... A>
auto run_in_executor(Executor& executor, F fn, A&&... args) {
  EventLoop::running();  // fail before submitting when no loop runs
  auto source = executor.submit(std::move(fn), std::forward<A>(args)...);
  return wrap_future(std::move(source));
}

/// Runs `fn(args...)` in default_executor()'s threads and gives its result
/// (Python's `asyncio.to_thread`). A coroutine: nothing runs until it is
/// awaited (or made a task). Any callable; the arguments are copied.
/// Resumes in the loop round after `fn` returned; throws what `fn` threw.
/// Cancelled while it waits: aio::CancelledError at once, while `fn` runs on
/// to its end in its thread (threads cannot be stopped; its result is dropped).
/// @throws mp::aio::RuntimeError outside a task.
template <class F, class... A>
auto to_thread(F fn, A... args) -> Task<std::invoke_result_t<F&, A&...>> {
  using R = std::invoke_result_t<F&, A&...>;
  auto f = run_in_executor(default_executor(), std::move(fn), std::move(args)...);
  if constexpr (std::is_void_v<R>) {
    co_await f;
  } else {
    co_return co_await f;
  }
}

}  // namespace mp::aio
