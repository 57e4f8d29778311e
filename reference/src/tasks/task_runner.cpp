// See task_runner.hpp.
#include "task_runner.hpp"

#include <csignal>
#include <ctime>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "mp/tasks/message.hpp"
#include "mp/trace.hpp"

namespace mp::tasks {
namespace {

const detail::Registry* process_registry = nullptr;
thread_local std::optional<TaskContext> running;
thread_local std::optional<std::chrono::steady_clock::time_point> soft_deadline;

// A POSIX timer that SIGKILLs this process: it fires even when the task
// blocks or ignores every signal it can.
class HardLimit {
public:
  explicit HardLimit(double seconds) {
    if (seconds <= 0) return;
    sigevent ev{};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGKILL;
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer_) != 0) return;
    armed_ = true;
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(seconds);
    spec.it_value.tv_nsec = static_cast<long>((seconds - static_cast<double>(spec.it_value.tv_sec)) * 1e9);
    timer_settime(timer_, 0, &spec, nullptr);
  }
  ~HardLimit() {
    if (armed_) timer_delete(timer_);
  }
  HardLimit(const HardLimit&) = delete;
  HardLimit& operator=(const HardLimit&) = delete;

private:
  timer_t timer_{};
  bool armed_ = false;
};

nlohmann::json error_json(const std::exception_ptr& e) {
  const ExceptionInfo info = describe(e);
  return {{"exc_type", info.type}, {"exc_module", info.module}, {"exc_message", info.message}};
}

}  // namespace

void retry(std::optional<std::chrono::milliseconds> countdown) { throw Retry(countdown); }

void checkpoint() {
  if (soft_deadline && std::chrono::steady_clock::now() >= *soft_deadline) {
    soft_deadline.reset();  // raised once, as Celery does: the task may clean up
    throw SoftTimeLimitExceeded("mp::tasks: the soft time limit of task " +
                                (running ? running->name : std::string("?")) + " passed");
  }
}

const TaskContext& current_task() {
  if (!running) throw ValueError("mp::tasks::current_task() called outside a task");
  return *running;
}

namespace detail {

void set_process_registry(const Registry* registry) noexcept { process_registry = registry; }

std::string run_in_pool_process(std::string name, std::string args, std::string kwargs, std::string id,
                                int retries, bool redelivered, double soft_s, double hard_s) {
  nlohmann::json out;
  const std::int64_t traced_from = trace::enabled() ? trace::now_ns() : 0;  // the task's bar on the timeline
  try {
    const auto it = process_registry != nullptr ? process_registry->find(name) : Registry::const_iterator{};
    if (process_registry == nullptr || it == process_registry->end()) {
      throw ArgumentError("task " + name + " is not registered in this worker");
    }
    const HardLimit hard(hard_s);
    running = TaskContext{std::move(id), name, retries, redelivered};
    if (soft_s > 0) {
      soft_deadline =
          std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                 std::chrono::duration<double>(soft_s));
    }
    const nlohmann::json a = nlohmann::json::parse(args);
    const nlohmann::json k = nlohmann::json::parse(kwargs);
    out = {{"ok", it->second.fn(a, k)}};
  } catch (const Retry& r) {
    out = {
        {"retry", true},
        {"countdown_ms", r.countdown() ? nlohmann::json(r.countdown()->count()) : nlohmann::json(nullptr)}};
  } catch (...) {
    out = {{"error", error_json(std::current_exception())}};
  }
  running.reset();
  soft_deadline.reset();
  if (traced_from != 0) trace::complete(name, "tasks", traced_from, trace::now_ns());
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace detail
}  // namespace mp::tasks
