// Lesson 09, exercise 2: TinyFuture and TinyExecutor (see tiny_executor.hpp for the contract).
// Reference solution: a future is one mutex, one condition variable, the outcome and
// the callbacks not run yet; an executor is a queue of {task, future} under a mutex
// and a condition, and N std::jthreads that take from it until it is closed and empty.
#include "tiny_executor.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <mp/error.hpp>

namespace lesson09 {

// ---------------------------------------------------------------- TinyFuture

template <class T>
struct TinyFuture<T>::State {
  mutable std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::optional<T> value;
  std::exception_ptr error;
  std::vector<std::function<void(const TinyFuture&)>> callbacks;  // not run yet
};

template <class T>
TinyFuture<T>::TinyFuture() : state_(std::make_shared<State>()) {}

namespace {
// Finishes `s` with `store()` (which sets the value or the error), then runs the
// callbacks, outside the lock: each was taken from the list under the lock, once.
template <class F, class State, class Store>
void finish(const F& future, State& s, Store store) {
  std::vector<std::function<void(const F&)>> callbacks;
  {
    std::lock_guard lock(s.m);
    if (s.done) throw mp::InvalidStateError("TinyFuture: already finished");
    store();
    s.done = true;
    callbacks.swap(s.callbacks);
  }
  s.cv.notify_all();
  for (auto& fn : callbacks) fn(future);
}
}  // namespace

template <class T>
void TinyFuture<T>::set_result(T value) {
  finish(*this, *state_, [&] { state_->value.emplace(std::move(value)); });
}

template <class T>
void TinyFuture<T>::set_exception(std::exception_ptr error) {
  finish(*this, *state_, [&] { state_->error = std::move(error); });
}

template <class T>
bool TinyFuture<T>::done() const {
  std::lock_guard lock(state_->m);
  return state_->done;
}

template <class T>
T TinyFuture<T>::result(mp::Timeout timeout) const {
  const mp::Deadline deadline(timeout);  // one deadline, however often we wake up
  std::unique_lock lock(state_->m);
  const auto is_done = [&] { return state_->done; };
  if (deadline.is_forever()) {
    state_->cv.wait(lock, is_done);
  } else if (!state_->cv.wait_until(lock, deadline.at(), is_done)) {
    throw mp::TimeoutError("TinyFuture::result(): not done within the timeout");
  }
  if (state_->error) std::rethrow_exception(state_->error);
  return *state_->value;
}

template <class T>
void TinyFuture<T>::add_done_callback(std::function<void(const TinyFuture&)> fn) {
  {
    std::lock_guard lock(state_->m);
    if (!state_->done) {  // the thread that finishes it will run it
      state_->callbacks.push_back(std::move(fn));
      return;
    }
  }
  fn(*this);  // already finished: at once, here
}

template class TinyFuture<std::int64_t>;
template class TinyFuture<std::string>;

// ---------------------------------------------------------------- TinyExecutor

struct TinyExecutor::State {
  std::mutex m;
  std::condition_variable cv;  // a task queued, or closed
  std::deque<std::pair<TinyTask, TinyFuture<std::int64_t>>> queue;
  bool closed = false;
  std::mutex join_m;  // one shutdown(true) at a time joins
  std::vector<std::jthread> threads;

  void work() {
    for (;;) {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return closed || !queue.empty(); });
      if (queue.empty()) return;  // closed, and nothing left to do
      auto [task, future] = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      std::int64_t value = 0;
      try {
        value = task();
      } catch (...) {
        future.set_exception(std::current_exception());
        continue;
      }
      future.set_result(value);
    }
  }
};

TinyExecutor::TinyExecutor(int workers) : state_(std::make_unique<State>()) {
  if (workers < 1)
    throw mp::ValueError("TinyExecutor: workers must be at least 1, not " + std::to_string(workers));
  state_->threads.reserve(static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i) state_->threads.emplace_back([s = state_.get()] { s->work(); });
}

TinyExecutor::~TinyExecutor() { shutdown(true); }

TinyFuture<std::int64_t> TinyExecutor::submit(TinyTask task) {
  TinyFuture<std::int64_t> future;
  {
    std::lock_guard lock(state_->m);
    if (state_->closed) throw mp::ValueError("TinyExecutor::submit(): the executor is shut down");
    state_->queue.emplace_back(std::move(task), future);
  }
  state_->cv.notify_one();
  return future;
}

void TinyExecutor::shutdown(bool wait) {
  {
    std::lock_guard lock(state_->m);
    state_->closed = true;
  }
  state_->cv.notify_all();
  if (!wait) return;
  std::lock_guard lock(state_->join_m);
  for (auto& t : state_->threads)
    if (t.joinable()) t.join();
}

}  // namespace lesson09
