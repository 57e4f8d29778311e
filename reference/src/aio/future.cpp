// mp::aio futures: states, callbacks, the never-retrieved report, and a task
// suspending on a future (mp/aio/future.hpp).
#include "mp/aio/future.hpp"

#include <cstdio>
#include <mutex>

#include "mp/aio/loop.hpp"
#include "mp/detail/demangle.hpp"

namespace mp::aio {

namespace {

std::mutex handler_mutex;
std::function<void(const std::string&)> handler;  // (handler_mutex); empty: stderr

// "TypeName: what" of an exception.
std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return mp::detail::demangle(typeid(x).name()) + ": " + x.what();
  } catch (const CancelledError& c) {
    return std::string("mp::aio::CancelledError: ") + c.what();
  } catch (...) {
    return "an exception of unknown type";
  }
}

}  // namespace

void set_exception_handler(std::function<void(const std::string& message)> h) {
  const std::lock_guard lk(handler_mutex);
  handler = std::move(h);
}

void report(const std::string& message) {
  std::function<void(const std::string&)> h;
  {
    const std::lock_guard lk(handler_mutex);
    h = handler;
  }
  if (h) {
    h(message);
  } else {
    std::fprintf(stderr, "%s\n", message.c_str());
  }
}

namespace detail {

FutureBase::~FutureBase() {
  if (exception_ && !retrieved_ && state_ == State::finished) {
    report(std::string(is_task_ ? "mp::aio: Task" : "mp::aio: Future") +
           " exception was never retrieved: " + describe(exception_));
  }
  if (first_.drop != nullptr) first_.drop(first_.arg);
  if (more_) {
    for (const Callback& cb : *more_) {
      if (cb.drop != nullptr) cb.drop(cb.arg);
    }
  }
}

void FutureBase::require_pending(const char* call) const {
  if (state_ != State::pending) {
    throw InvalidStateError(std::string("aio::Future::") + call + ": the future is " +
                            (state_ == State::cancelled ? "cancelled" : "finished") + " already");
  }
}

bool FutureBase::cancel(const std::string& message) {
  if (TaskState* t = task()) return t->cancel(message);
  return do_cancel(message);
}

void FutureBase::set_cancel_message(const std::string& message) {
  if (message.empty()) return;
  cancel_message_ = std::make_unique<std::string>(message);
}

bool FutureBase::do_cancel(const std::string& message) {
  if (state_ != State::pending) return false;
  set_cancelled(message);
  return true;
}

void FutureBase::set_cancelled(const std::string& message) {
  if (state_ != State::pending) return;
  set_cancel_message(message);
  finish(State::cancelled);
}

CancelledError FutureBase::cancelled_error() const {
  return CancelledError(cancel_message_ ? *cancel_message_ : std::string());
}

std::exception_ptr FutureBase::exception() {
  if (state_ == State::pending) throw InvalidStateError("aio::Future::exception: the future is not done");
  if (state_ == State::cancelled) throw cancelled_error();
  retrieved_ = true;
  return exception_;
}

void FutureBase::check_result() {
  if (state_ == State::pending) throw InvalidStateError("aio::Future::result: the future is not done");
  if (state_ == State::cancelled) throw cancelled_error();
  retrieved_ = true;
  if (exception_) std::rethrow_exception(exception_);
}

void FutureBase::set_exception(std::exception_ptr e) {
  require_pending("set_exception");
  exception_ = std::move(e);
  finish(State::finished);
}

void FutureBase::finish(State state) {
  state_ = state;
  if (first_.fn != nullptr || (more_ && !more_->empty())) schedule_callbacks();
}

void FutureBase::add_callback(Callback cb) {
  if (first_.fn == nullptr && (!more_ || more_->empty())) {
    first_ = cb;
  } else {
    if (!more_) more_ = std::make_unique<std::vector<Callback>>();
    more_->push_back(cb);
  }
  if (done()) schedule_callbacks();
}

std::size_t FutureBase::remove_callbacks(const void* arg) noexcept {
  std::size_t n = 0;
  if (more_) {
    for (auto it = more_->begin(); it != more_->end();) {
      if (it->arg == arg) {
        if (it->drop != nullptr) it->drop(it->arg);
        it = more_->erase(it);
        ++n;
      } else {
        ++it;
      }
    }
  }
  if (first_.fn != nullptr && first_.arg == arg) {
    if (first_.drop != nullptr) first_.drop(first_.arg);
    first_ = {};
    ++n;
  }
  return n;
}

void FutureBase::schedule_callbacks() {
  if (callbacks_scheduled_) return;
  callbacks_scheduled_ = true;
  ref();  // alive until they ran
  loop_->schedule(&FutureBase::run_callbacks, this);
}

namespace {

void invoke(const Callback& cb, FutureBase& f) {
  try {
    cb.fn(cb.arg, f);
  } catch (const std::exception& e) {
    report(std::string("mp::aio: exception in a done-callback: ") + e.what());
  } catch (...) {
    report("mp::aio: exception in a done-callback");
  }
}

}  // namespace

// Runs the callbacks registered so far, in order; those added while they
// run are scheduled again by add_callback. One callback (a task awaiting
// it, a gather) is the common case: no allocation then.
void FutureBase::run_callbacks(void* self) {
  auto* f = static_cast<FutureBase*>(self);
  f->callbacks_scheduled_ = false;
  const Callback first = std::exchange(f->first_, {});
  if (!f->more_ || f->more_->empty()) {
    if (first.fn != nullptr) invoke(first, *f);
  } else {
    std::vector<Callback> all;
    all.reserve(1 + f->more_->size());
    if (first.fn != nullptr) all.push_back(first);
    all.insert(all.end(), f->more_->begin(), f->more_->end());
    f->more_->clear();
    for (const Callback& cb : all) invoke(cb, *f);
  }
  f->unref();
}

TaskState& current_task(const char* what) {
  EventLoop* loop = EventLoop::running_or_null();
  TaskState* t = loop != nullptr ? loop->current_task() : nullptr;
  if (t == nullptr) {
    throw RuntimeError(std::string(what) + " outside a task: await it inside a coroutine that aio::run or " +
                       "aio::create_task runs, in that loop's thread");
  }
  return *t;
}

namespace {

void wake(void* task, FutureBase& /*done*/) { static_cast<TaskState*>(task)->step(); }

}  // namespace

void suspend_on(FutureBase& f, TaskState& t, void* resume_address) {
  if (f.loop() != t.future->loop()) {
    throw RuntimeError(
        "co_await on an aio::Future of another event loop (another thread's): use "
        "EventLoop::call_soon_threadsafe to cross threads");
  }
  if (t.must_cancel && f.cancel(t.message())) t.must_cancel = false;  // Python cancels what it awaits
  t.resume_point = std::coroutine_handle<>::from_address(resume_address);
  t.waiting_on = &f;
  f.add_callback({&wake, &t, nullptr});
}

void resume_checks(TaskState* t) {
  if (t == nullptr) return;  // it did not suspend
  t->waiting_on = nullptr;
  t->throw_if_must_cancel();
}

}  // namespace detail

}  // namespace mp::aio
