// The non-template parts of mp::aio's combinators: gather's bookkeeping
// (mp/aio/gather.hpp), timeout scopes (mp/aio/timeout.hpp), wait
// (mp/aio/wait.hpp), task groups (mp/aio/task_group.hpp).
#include <algorithm>
#include <string>
#include <utility>

#include "mp/aio/gather.hpp"
#include "mp/aio/task_group.hpp"
#include "mp/aio/timeout.hpp"
#include "mp/aio/wait.hpp"
#include "mp/detail/demangle.hpp"

namespace mp::aio {

namespace detail {

// ---------------------------------------------------------------- gather

// Python 3.11's gather `_done_callback`.
GatherState::Next GatherState::on_child_done(FutureBase& gather, FutureBase& child,
                                             std::exception_ptr& failure) {
  ++finished_;
  if (gather.done()) {
    if (!child.cancelled()) (void)child.exception();  // read: not "never retrieved"
    return Next::wait;
  }
  if (!return_exceptions_) {
    if (child.cancelled()) {
      failure = std::make_exception_ptr(child.cancelled_error());
      return Next::fail_cancelled;
    }
    if (std::exception_ptr e = child.exception()) {
      failure = std::move(e);
      return Next::fail;
    }
  }
  if (finished_ < children_.size()) return Next::wait;
  return cancel_requested_ ? Next::cancelled : Next::assemble;
}

bool GatherState::cancel_children(const std::string& message) {
  bool any = false;
  for (FutureBase* c : children_) any = c->cancel(message) || any;
  if (any) cancel_requested_ = true;
  return any;
}

void GatherState::release() noexcept {
  for (FutureBase* c : children_) c->unref();
  children_.clear();
}

// ---------------------------------------------------------------- timeouts

TimeoutScope::TimeoutScope(EventLoop::Clock::time_point deadline)
    : loop_(&EventLoop::running()),
      task_(&current_task("aio::timeout")),
      cancelling_at_entry_(task_->cancels_requested) {
  fire = &TimeoutScope::on_time;
  loop_->arm(*this, deadline);  // a deadline already past fires in the next round, as Python's
}

TimeoutScope::~TimeoutScope() {
  if (armed()) loop_->disarm(*this);
}

void TimeoutScope::on_time(TimerNode* self) {
  auto& s = static_cast<TimeoutScope&>(*self);
  s.expired_ = true;
  s.task_->cancel({});
}

bool TimeoutScope::own_cancellation() noexcept {
  if (armed()) loop_->disarm(*this);
  if (!expired_ || settled_) return false;
  settled_ = true;
  if (task_->cancels_requested > 0) --task_->cancels_requested;
  return task_->cancels_requested <= cancelling_at_entry_;
}

void TimeoutScope::settle() noexcept {
  if (armed()) loop_->disarm(*this);
  if (!expired_ || settled_) return;
  settled_ = true;  // it expired, but the body ended anyway: take back its cancel()
  if (task_->cancels_requested > 0) --task_->cancels_requested;
  if (task_->cancels_requested == 0) task_->must_cancel = false;
}

// ---------------------------------------------------------------- wait

namespace {

struct WaitContext {
  std::vector<FutureBase*> fs;
  ReturnWhen when = ReturnWhen::all_completed;
  std::size_t pending = 0;
  Future<void> waiter;
  std::function<void()> cancel_timer;

  bool satisfied_by(FutureBase& f) {
    if (when == ReturnWhen::first_completed) return true;
    if (when == ReturnWhen::first_exception && !f.cancelled() && f.exception()) return true;
    return pending == 0;
  }
  static void on_done(void* self, FutureBase& f) {
    auto& c = *static_cast<WaitContext*>(self);
    --c.pending;
    if (c.satisfied_by(f) && !c.waiter.done()) c.waiter.set_result();
  }
  ~WaitContext() {  // also when the frame goes while suspended
    for (FutureBase* f : fs) f->remove_callbacks(this);
    if (cancel_timer) cancel_timer();
  }
};

}  // namespace

Task<void> wait_for_any(std::vector<FutureBase*> fs, ReturnWhen when, Timeout timeout) {
  WaitContext c;
  c.fs = std::move(fs);
  c.when = when;
  bool met = false;
  for (FutureBase* f : c.fs) {
    if (!f->done()) {
      ++c.pending;
    } else if (when == ReturnWhen::first_completed ||
               (when == ReturnWhen::first_exception && !f->cancelled() && f->exception())) {
      met = true;
    }
  }
  if (met || c.pending == 0) co_return;
  c.waiter = create_future<void>();
  for (FutureBase* f : c.fs) {
    if (!f->done()) f->add_callback({&WaitContext::on_done, &c, nullptr});
  }
  if (!timeout.is_forever()) {
    c.cancel_timer = EventLoop::running().call_later(
        std::chrono::duration_cast<EventLoop::Clock::duration>(timeout.duration()), [w = c.waiter] {
          if (!w.done()) w.set_result();
        });
  }
  co_await c.waiter;
}

}  // namespace detail

// ---------------------------------------------------------------- task groups

namespace {

std::string list_of(const std::vector<std::exception_ptr>& es) {
  std::string out;
  for (const auto& e : es) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      out += "\n  " + mp::detail::demangle(typeid(x).name()) + ": " + x.what();
    } catch (...) {
      out += "\n  an exception of unknown type";
    }
  }
  return out;
}

}  // namespace

ExceptionGroup::ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> exceptions)
    : Error(message + " (" + std::to_string(exceptions.size()) + " sub-exception" +
            (exceptions.size() == 1 ? "" : "s") + "):" + list_of(exceptions)),
      exceptions_(std::move(exceptions)) {}

TaskGroup::~TaskGroup() {
  for (detail::FutureBase* c : children_) {  // the frame went while tasks ran (its loop closed)
    c->remove_callbacks(this);
    c->unref();
  }
}

void TaskGroup::check_open() const {
  if (finished_) throw RuntimeError("aio::TaskGroup: the group has finished");
  if (aborting_) throw RuntimeError("aio::TaskGroup: the group is shutting down (a task failed)");
}

void TaskGroup::adopt(detail::FutureBase& child) {
  child.ref();
  children_.push_back(&child);
  child.add_callback({&TaskGroup::on_child_done, this, nullptr});
}

void TaskGroup::abort() {
  aborting_ = true;
  for (detail::FutureBase* c : children_) c->cancel({});
}

// Python's TaskGroup._on_task_done.
void TaskGroup::on_child_done(void* self, detail::FutureBase& child) {
  auto& g = *static_cast<TaskGroup*>(self);
  g.children_.erase(std::find(g.children_.begin(), g.children_.end(), &child));
  const bool cancelled = child.cancelled();
  const std::exception_ptr error = cancelled ? nullptr : child.exception();
  child.unref();
  if (g.on_completed_ && g.children_.empty() && !g.on_completed_.done()) g.on_completed_.set_result();
  if (!error) return;
  g.errors_.push_back(error);
  if (!g.aborting_ && !g.parent_cancel_requested_) {
    g.abort();  // the others stop, and the body too
    g.parent_cancel_requested_ = true;
    g.parent_->cancel({});
  }
}

// Python 3.12's TaskGroup.__aexit__.
Task<void> TaskGroup::join(std::exception_ptr body_error, bool body_cancelled) {
  exiting_ = true;
  bool propagate_cancel = body_cancelled;
  if ((body_error || body_cancelled) && !aborting_) abort();
  while (!children_.empty()) {
    on_completed_ = create_future<void>();
    bool cancelled = false;
    try {
      co_await on_completed_;
    } catch (const CancelledError&) {
      cancelled = true;
    }
    if (cancelled && !aborting_) {  // the task running the group is cancelled from outside
      propagate_cancel = true;
      abort();
    }
    on_completed_ = Future<void>();
  }
  finished_ = true;
  if (parent_cancel_requested_) {
    if (parent_->cancels_requested > 0) --parent_->cancels_requested;
    if (parent_->cancels_requested == 0) {  // only the group's own cancel(): take it back
      propagate_cancel = false;
      parent_->must_cancel = false;
    }
  }
  if (propagate_cancel && errors_.empty()) throw CancelledError();
  if (body_error) errors_.push_back(body_error);
  if (!errors_.empty()) throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors_));
}

}  // namespace mp::aio
