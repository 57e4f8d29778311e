// mp::aio::EventLoop: rounds of ready callbacks, timers and epoll; tasks'
// steps, starts, ends and cancellation (mp/aio/loop.hpp, mp/aio/task.hpp).
#include "mp/aio/loop.hpp"

#include <cerrno>
#include <cstdint>
#include <string>
#include <system_error>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "mp/detail/syscall.hpp"
#include "mp/trace.hpp"

namespace mp::aio {

namespace {

thread_local EventLoop* running_loop = nullptr;

// The eventfd's token in epoll (FdWatch pointers are the others).
char wake_token;

// A call_soon callback: runs and frees its std::function.
void run_holder(void* arg) {
  const std::unique_ptr<std::function<void()>> h(static_cast<std::function<void()>*>(arg));
  try {
    (*h)();
  } catch (const std::exception& e) {
    report(std::string("mp::aio: exception in a callback: ") + e.what());
  }
}

// A due timer, moved to the ready queue.
void fire_timer(void* n) {
  auto* node = static_cast<detail::TimerNode*>(n);
  if (trace::enabled()) trace::instant("timer", "aio");
  node->fire(node);
}

// One step of a task on the loop's timeline; `task` names it (its state's
// address: the state may be gone by now, the number is all that is used).
[[gnu::noinline]] void trace_step(std::int64_t from, const void* task) {
  trace::complete("step", "aio", from, trace::now_ns(),
                  "\"task\":" + std::to_string(reinterpret_cast<std::uintptr_t>(task)));
}

// A call_later timer: owns its callback, and itself until it fired or was cancelled.
struct UserTimer : detail::TimerNode {
  std::function<void()> fn;
  EventLoop* loop = nullptr;
  bool cancelled = false;
  std::shared_ptr<UserTimer> self;
};

void fire_user_timer(detail::TimerNode* n) {
  auto* timer = static_cast<UserTimer*>(n);
  const std::shared_ptr<UserTimer> keep = std::move(timer->self);
  if (timer->cancelled) return;
  timer->loop->call_soon(std::move(timer->fn));
}

// Frees what a closing loop's queued item owns, without running it.
void drop_item(void (*fn)(void*), void* arg) {
  if (fn == &run_holder) {
    delete static_cast<std::function<void()>*>(arg);
  } else if (fn == &fire_timer) {
    auto* node = static_cast<detail::TimerNode*>(arg);
    if (node->fire == &fire_user_timer) static_cast<UserTimer*>(node)->self.reset();
  }
}

}  // namespace

// Marks a loop as this thread's running loop for a scope.
class EventLoop::Running {
public:
  explicit Running(EventLoop& loop) : loop_(loop) {
    if (running_loop != nullptr) {
      throw RuntimeError(
          "an event loop runs already in this thread (aio::run inside a coroutine? "
          "await the coroutine instead)");
    }
    running_loop = &loop;
    loop.running_ = true;
    loop.stopping_ = false;
  }
  ~Running() {
    running_loop = nullptr;
    loop_.running_ = false;
  }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

private:
  EventLoop& loop_;
};

EventLoop::EventLoop() {
  tasks_.prev = tasks_.next = &tasks_;
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) mp::detail::throw_errno("aio::EventLoop: epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    ::close(epoll_fd_);
    mp::detail::throw_errno("aio::EventLoop: eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wake_token;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    ::close(wake_fd_);
    ::close(epoll_fd_);
    mp::detail::throw_errno("aio::EventLoop: epoll_ctl");
  }
}

EventLoop::~EventLoop() {
  // Nothing runs any more: free what queued items own.
  for (const ReadyItem& item : ready_) {
    if (item.fn == &detail::FutureBase::run_callbacks) {
      static_cast<detail::FutureBase*>(item.arg)->unref();  // the reference its scheduling took
    } else {
      drop_item(item.fn, item.arg);
    }
  }
  ready_.clear();
  while (tasks_.next != &tasks_) {
    detail::TaskState* t = tasks_.next;
    report("mp::aio: Task was destroyed but it is pending (its loop closed before it ended)");
    t->prev->next = t->next;
    t->next->prev = t->prev;
    t->prev = t->next = nullptr;
    --task_count_;
    t->future->unref();  // the loop's reference: frees the frame unless a Future holds it
  }
  // Frames that a Future still holds must not reach this loop from their
  // destructors: their timers are disarmed here (fd watches are not: a
  // task waiting on a descriptor must not outlive its loop).
  while (detail::TimerNode* t = timers_.pop()) {
    if (t->fire == &fire_user_timer) static_cast<UserTimer*>(t)->self.reset();
  }
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

EventLoop& EventLoop::running() {
  if (running_loop == nullptr) {
    throw RuntimeError("no running event loop: call this inside a coroutine that aio::run runs");
  }
  return *running_loop;
}

EventLoop* EventLoop::running_or_null() noexcept { return running_loop; }

void EventLoop::run_until_done(detail::FutureBase& f) {
  const Running running(*this);
  while (!f.done()) {
    if (stopping_) throw RuntimeError("aio::EventLoop: stop() came before the future completed");
    run_once();
  }
}

void EventLoop::run_forever() {
  const Running running(*this);
  while (!stopping_) run_once();
}

void EventLoop::shutdown_tasks() {
  if (task_count_ == 0) return;
  for (detail::TaskState* t = tasks_.next; t != &tasks_; t = t->next) t->cancel({});
  const Running running(*this);
  while (task_count_ > 0 && !stopping_) run_once();
}

void EventLoop::call_soon(std::function<void()> fn) {
  schedule(&run_holder, new std::function<void()>(std::move(fn)));
}

void EventLoop::call_soon_threadsafe(std::function<void()> fn) {
  {
    const std::lock_guard lk(threadsafe_mutex_);
    threadsafe_.push_back(std::move(fn));
  }
  if (!threadsafe_pending_.exchange(true, std::memory_order_acq_rel)) {
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);  // full only after 2^64 - 1 wakes
  }
}

std::function<void()> EventLoop::call_later(Clock::duration delay, std::function<void()> fn) {
  auto t = std::make_shared<UserTimer>();
  t->fn = std::move(fn);
  t->loop = this;
  t->self = t;
  t->fire = &fire_user_timer;
  arm(*t, Clock::now() + delay);
  return [weak = std::weak_ptr<UserTimer>(t)] {
    if (auto timer = weak.lock()) {
      timer->cancelled = true;
      if (timer->armed()) {
        timer->loop->disarm(*timer);
        timer->self.reset();
      }
    }
  };
}

// ---------------------------------------------------------------- one round

void EventLoop::run_once() {
  int timeout_ms = -1;
  if (!ready_.empty() || stopping_) {
    timeout_ms = 0;
  } else if (const detail::TimerNode* t = timers_.top(); t != nullptr) {
    const auto wait = t->when - Clock::now();
    timeout_ms = wait <= Clock::duration::zero()
                     ? 0
                     : static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
  }
  // With callbacks ready, look at the descriptors only every few rounds: a
  // system call per round would cost more than the rounds themselves (two
  // tasks handing items over run one round per hand-off), and I/O still gets
  // its turn within `rounds_per_poll` rounds. Without descriptors armed,
  // epoll has nothing to say that the pending flag does not.
  if (timeout_ms != 0 || (armed_watches_ > 0 && ++rounds_since_poll_ >= rounds_per_poll)) {
    rounds_since_poll_ = 0;
    poll_io(timeout_ms);
  } else if (threadsafe_pending_.load(std::memory_order_acquire)) {
    take_threadsafe_calls();
  }
  if (timers_.size() > 0) {
    const auto now = Clock::now();
    while (detail::TimerNode* t = timers_.top()) {
      if (t->when > now) break;
      timers_.pop();
      ready_.push_back({&fire_timer, t});
    }
  }
  for (std::size_t n = ready_.size(); n > 0 && !ready_.empty(); --n) {
    const ReadyItem item = ready_.front();
    ready_.pop_front();
    item.fn(item.arg);
  }
}

void EventLoop::poll_io(int timeout_ms) {
  epoll_event events[64];
  const int n = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return;
    mp::detail::throw_errno("aio::EventLoop: epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    if (events[i].data.ptr == &wake_token) {
      take_threadsafe_calls();
      continue;
    }
    auto* w = static_cast<FdWatch*>(events[i].data.ptr);
    const std::uint32_t e = events[i].events;
    const bool hangup = (e & (EPOLLERR | EPOLLHUP)) != 0;
    const bool can_read = (e & (EPOLLIN | EPOLLRDHUP)) != 0 || hangup;
    const bool can_write = (e & EPOLLOUT) != 0 || hangup;
    if (w->keep) {  // level-triggered: disarm only a side that reports with nobody waiting
      std::uint32_t stale = 0;
      if (can_read && w->reader.fn == nullptr) stale |= EPOLLIN | EPOLLRDHUP;
      if (can_write && w->writer.fn == nullptr) stale |= EPOLLOUT;
      if (can_read && w->reader.fn != nullptr) ready_.push_back(std::exchange(w->reader, {nullptr, nullptr}));
      if (can_write && w->writer.fn != nullptr)
        ready_.push_back(std::exchange(w->writer, {nullptr, nullptr}));
      if ((w->armed & stale) != 0) set_armed(*w, w->armed & ~stale);
      continue;
    }
    if (w->armed != 0) --armed_watches_;
    w->armed = 0;  // EPOLLONESHOT: the kernel disarmed it
    if (w->reader.fn != nullptr && can_read) ready_.push_back(std::exchange(w->reader, {nullptr, nullptr}));
    if (w->writer.fn != nullptr && can_write) ready_.push_back(std::exchange(w->writer, {nullptr, nullptr}));
    update_interest(*w);  // re-arms only a side still waiting
  }
}

void EventLoop::take_threadsafe_calls() {
  std::uint64_t count = 0;
  (void)!::read(wake_fd_, &count, sizeof count);
  threadsafe_pending_.store(false, std::memory_order_release);
  std::vector<std::function<void()>> calls;
  {
    const std::lock_guard lk(threadsafe_mutex_);
    calls.swap(threadsafe_);
  }
  for (auto& fn : calls) call_soon(std::move(fn));
}

// ---------------------------------------------------------------- descriptors

void EventLoop::add_reader(int fd, void (*fn)(void*), void* arg) { watch(fd, false, {fn, arg}); }
void EventLoop::add_writer(int fd, void (*fn)(void*), void* arg) { watch(fd, true, {fn, arg}); }
bool EventLoop::remove_reader(int fd) noexcept { return unwatch(fd, false); }
bool EventLoop::remove_writer(int fd) noexcept { return unwatch(fd, true); }

void EventLoop::watch(int fd, bool write, ReadyItem item) {
  auto& slot = watches_[fd];
  if (!slot) {
    slot = std::make_unique<FdWatch>();
    slot->fd = fd;
  }
  (write ? slot->writer : slot->reader) = item;
  try {
    update_interest(*slot);
  } catch (...) {
    (write ? slot->writer : slot->reader) = {nullptr, nullptr};
    throw;
  }
}

// Disarms at once what is no longer wanted: the caller may close the
// descriptor next, and a number reused for another file must not be taken
// for armed (see update_interest).
bool EventLoop::unwatch(int fd, bool write) noexcept {
  const auto it = watches_.find(fd);
  if (it == watches_.end()) return false;
  FdWatch& w = *it->second;
  ReadyItem& side = write ? w.writer : w.reader;
  const bool had = side.fn != nullptr;
  side = {nullptr, nullptr};
  const std::uint32_t want = wanted(w);
  if ((w.armed & ~want) == 0) return had;
  try {
    set_armed(w, w.armed & want);
  } catch (...) {
  }
  return had;
}

void EventLoop::keep_armed(int fd) {
  auto& slot = watches_[fd];
  if (!slot) {
    slot = std::make_unique<FdWatch>();
    slot->fd = fd;
  }
  slot->keep = true;
}

void EventLoop::forget(int fd) noexcept {
  const auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  if (it->second->registered) (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  if (it->second->armed != 0) --armed_watches_;
  watches_.erase(it);
}

std::uint32_t EventLoop::wanted(const FdWatch& w) noexcept {
  std::uint32_t want = 0;
  if (w.reader.fn != nullptr) want |= EPOLLIN | EPOLLRDHUP;
  if (w.writer.fn != nullptr) want |= EPOLLOUT;
  return want;
}

// Tells epoll to report `events` for `w` (one-shot unless kept armed).
void EventLoop::set_armed(FdWatch& w, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events | (w.keep ? 0U : static_cast<std::uint32_t>(EPOLLONESHOT));
  ev.data.ptr = &w;
  int rc = -1;
  if (w.registered) {
    rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, w.fd, &ev);
    if (rc != 0 && errno == ENOENT) w.registered = false;
  }
  if (!w.registered) {
    rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, w.fd, &ev);
    if (rc != 0 && errno == EEXIST) rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, w.fd, &ev);
  }
  if (rc != 0) mp::detail::throw_errno("aio::EventLoop: epoll_ctl");
  w.registered = true;
  if (w.armed == 0 && events != 0) ++armed_watches_;
  if (w.armed != 0 && events == 0) --armed_watches_;
  w.armed = events;
}

// Arms epoll for the sides that wait, if they are not armed already. Each
// registration is EPOLLONESHOT: an event disarms it, so a wait costs one
// epoll_ctl (MOD) instead of an ADD and a DEL. Watches stay in the map (a
// disarmed registration never reports, so its pointer stays valid); a
// descriptor closed and reused since is seen by MOD failing (ENOENT): ADD.
void EventLoop::update_interest(FdWatch& w) {
  const std::uint32_t want = wanted(w);
  if (want == 0 || (w.armed & want) == want) return;
  set_armed(w, want | w.armed);
}

// ---------------------------------------------------------------- tasks

namespace detail {

void start_task(EventLoop& loop, FutureBase& future, TaskState& state, std::coroutine_handle<> h) {
  future.ref();  // the loop's, until the task is done
  state.resume_point = h;
  state.prev = loop.tasks_.prev;
  state.next = &loop.tasks_;
  loop.tasks_.prev->next = &state;
  loop.tasks_.prev = &state;
  ++loop.task_count_;
  loop.schedule(&TaskState::step_fn, &state);
}

void end_task(FutureBase& future, TaskState& state) {
  EventLoop& loop = *future.loop();
  state.prev->next = state.next;
  state.next->prev = state.prev;
  state.prev = state.next = nullptr;
  --loop.task_count_;
  future.unref();
}

void TaskState::step() {
  EventLoop& loop = *future->loop();
  if (!started) {
    started = true;
    if (must_cancel) {  // cancelled before its first step: the coroutine never runs
      must_cancel = false;
      future->set_cancelled(message());
      end_task(*future, *this);  // may free *this
      return;
    }
  }
  TaskState* const outer = loop.current_;
  loop.current_ = this;
  const std::int64_t traced_from = trace::enabled() ? trace::now_ns() : 0;
  std::exchange(resume_point, nullptr).resume();  // may end the task and free *this
  if (traced_from != 0) trace_step(traced_from, this);
  loop.current_ = outer;
}

bool TaskState::cancel(const std::string& message) {
  if (future->done()) return false;
  ++cancels_requested;
  future->set_cancel_message(message);
  if (waiting_on != nullptr && waiting_on->cancel_wait(message)) return true;
  must_cancel = true;
  return true;
}

void TaskState::throw_if_must_cancel() {
  if (!must_cancel) return;
  must_cancel = false;
  throw CancelledError(message());
}

}  // namespace detail

std::uint32_t cancelling() { return detail::current_task("aio::cancelling()").cancels_requested; }

std::uint32_t uncancel() {
  detail::TaskState& t = detail::current_task("aio::uncancel()");
  if (t.cancels_requested > 0) --t.cancels_requested;
  return t.cancels_requested;
}

}  // namespace mp::aio
