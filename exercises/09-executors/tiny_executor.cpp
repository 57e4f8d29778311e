// Lesson 09, exercise 2: TinyFuture and TinyExecutor (see tiny_executor.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 09
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

// TODO(task 1): what a future's copies share: a mutex, a condition variable, whether
//   it is done, the value (std::optional<T>) or the exception, the callbacks not run yet.
template <class T>
struct TinyFuture<T>::State {};

template <class T>
TinyFuture<T>::TinyFuture() {
  // TODO(task 1): a fresh shared state.
  throw mp::NotImplemented("09/task 1: TinyFuture() in exercises/09-executors/tiny_executor.cpp");
}

template <class T>
void TinyFuture<T>::set_result([[maybe_unused]] T value) {
  // TODO(task 2): under the lock: already done? mp::InvalidStateError; else store the
  //   value, mark it done and take the callbacks out of the state. Then, without the
  //   lock: wake the waiters, run the callbacks you took.
  throw mp::NotImplemented("09/task 2: TinyFuture::set_result() in exercises/09-executors/tiny_executor.cpp");
}

template <class T>
void TinyFuture<T>::set_exception([[maybe_unused]] std::exception_ptr error) {
  // TODO(task 2): as set_result, with the exception.
  throw mp::NotImplemented(
      "09/task 2: TinyFuture::set_exception() in exercises/09-executors/tiny_executor.cpp");
}

template <class T>
bool TinyFuture<T>::done() const {
  // TODO(task 2): read the flag under the lock.
  throw mp::NotImplemented("09/task 2: TinyFuture::done() in exercises/09-executors/tiny_executor.cpp");
}

template <class T>
T TinyFuture<T>::result([[maybe_unused]] mp::Timeout timeout) const {
  // TODO(task 3): wait on the condition until done, at most until ONE deadline made
  //   from `timeout` (mp::Deadline); then the value, or rethrow the exception.
  throw mp::NotImplemented("09/task 3: TinyFuture::result() in exercises/09-executors/tiny_executor.cpp");
}

template <class T>
void TinyFuture<T>::add_done_callback([[maybe_unused]] std::function<void(const TinyFuture&)> fn) {
  // TODO(task 4): under the lock: not done? keep it for the finishing thread. Done?
  //   call it now, after releasing the lock.
  throw mp::NotImplemented(
      "09/task 4: TinyFuture::add_done_callback() in exercises/09-executors/tiny_executor.cpp");
}

// The two kinds of futures the tests use: keep these lines.
template class TinyFuture<std::int64_t>;
template class TinyFuture<std::string>;

// ---------------------------------------------------------------- TinyExecutor

// TODO(task 5): the queue of {task, future}, a mutex and a condition, whether shut
//   down, the threads (std::jthread).
struct TinyExecutor::State {};

TinyExecutor::TinyExecutor([[maybe_unused]] int workers) {
  // TODO(task 5): check `workers`; start the threads: each loops taking the next task
  //   (waiting on the condition), runs it, and sets its future's result or exception;
  //   it ends when the executor is shut down AND the queue is empty.
  throw mp::NotImplemented("09/task 5: TinyExecutor() in exercises/09-executors/tiny_executor.cpp");
}

TinyExecutor::~TinyExecutor() {
  // TODO(task 6): shutdown(true).
}

TinyFuture<std::int64_t> TinyExecutor::submit([[maybe_unused]] TinyTask task) {
  // TODO(task 5): shut down? mp::ValueError. Else queue {task, a new future}, wake one
  //   thread, return the future.
  throw mp::NotImplemented("09/task 5: TinyExecutor::submit() in exercises/09-executors/tiny_executor.cpp");
}

void TinyExecutor::shutdown([[maybe_unused]] bool wait) {
  // TODO(task 6): mark it shut down and wake every thread; with `wait`, join them.
  throw mp::NotImplemented("09/task 6: TinyExecutor::shutdown() in exercises/09-executors/tiny_executor.cpp");
}

}  // namespace lesson09
