#pragma once
/// @file
/// @brief `mp::tasks::Worker`: runs registered C++ functions for task messages
/// taken from Redis (Python's `celery -A tasks worker`), in N processes of an
/// mp::Pool; and what a task may call while it runs (mp::tasks::retry,
/// mp::tasks::checkpoint, mp::tasks::current_task).
///
/// | Python (Celery) | C++ |
/// |---|---|
/// | `@app.task def add(x, y): ...` | `int add(int x, int y);` + `worker.register_task("tasks.add", add);` |
/// | `celery -A tasks worker -c 4 -Q a,b` | `Worker w(URL, {.queues = {"a", "b"}, .concurrency = 4}); w.run();` |
/// | `task_acks_late = True` | always: a message is acknowledged after its result is stored |
/// | `broker_transport_options = {"visibility_timeout": 3600}` | `.visibility_timeout = 3600s` |
/// | `worker_prefetch_multiplier = 4` | `.prefetch_multiplier = 4` |
/// | `@app.task(autoretry_for=(Exception,), max_retries=3, retry_backoff=True)` | `TaskOptions{.autoretry = true, .max_retries = 3}` |
/// | `raise self.retry(countdown=5)` | `mp::tasks::retry(5s);` |
/// | `soft_time_limit=10` → `SoftTimeLimitExceeded` inside the task | `.soft_time_limit = 10` → `mp::tasks::checkpoint()` throws it |
/// | `time_limit=20` → the child is killed, `TimeLimitExceeded` | `.time_limit = 20`: the same |
/// | SIGTERM: warm shutdown | SIGTERM or SIGINT: the same |
///
/// **Delivery (at least once).** A message is taken from its list and
/// recorded in kombu's `unacked` hash and `unacked_index` sorted set in
/// one atomic step (a Lua script; Celery's own worker does this in two
/// steps and loses the message if it dies in between). The result is
/// stored, published and the message acknowledged in one transaction. A
/// worker that dies (SIGKILL, power loss) leaves its messages in `unacked`:
/// any worker, C++ or Python, puts them back on their queue once they are
/// older than the visibility timeout, so a task may run twice; write tasks
/// that may (idempotent). A task running longer than the visibility timeout
/// is also handed out again: keep the timeout above your longest task.
///
/// **Failures.** A task that throws is FAILURE with the exception (see
/// mp::tasks::describe for the Python type a client sees). A pool process
/// that dies running a task: FAILURE `WorkerLostError`, or
/// `TimeLimitExceeded` when its hard time limit killed it; a new process
/// takes its place. A message that cannot be read (bad JSON, not protocol 2)
/// goes to the dead-letter list (`celery.dead` by default) with a log line.
/// A task name nobody registered: FAILURE `NotRegistered`. Redis going away:
/// the worker logs, reconnects with a backoff, and keeps the results it
/// could not store until it can.
///
/// **Redis 6.2 or newer** (the worker waits with BLMOVE; Debian 12 has 7.0):
/// the constructor checks and throws mp::tasks::BrokerError for an older one.
///
/// **Blocking.** run() blocks until stop(), SIGTERM or SIGINT, then stops
/// taking messages, finishes the tasks it took, puts back the ones waiting
/// for their ETA, and returns. One Worker runs per process; tasks run in
/// its pool's processes, forked by run() (register before).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mp/error.hpp"
#include "mp/tasks/message.hpp"

namespace mp::tasks {

/// Thrown by mp::tasks::retry(): asks the worker to send the task again
/// (Python's `celery.exceptions.Retry`).
class Retry : public Error {
public:
  /// @param countdown when to run again (nullopt: the task's backoff).
  explicit Retry(std::optional<std::chrono::milliseconds> countdown)
      : Error("mp::tasks: retry requested"), countdown_(countdown) {}
  /// When to run again (nullopt: the task's backoff).
  [[nodiscard]] std::optional<std::chrono::milliseconds> countdown() const noexcept { return countdown_; }

private:
  std::optional<std::chrono::milliseconds> countdown_;
};

/// The soft time limit passed (Python's `SoftTimeLimitExceeded`): thrown by
/// mp::tasks::checkpoint(). A task may catch it to clean up.
class SoftTimeLimitExceeded : public Error {
public:
  using Error::Error;
};

/// A task was called with arguments it cannot take (Python's `TypeError`).
class ArgumentError : public Error {
public:
  using Error::Error;
};

/// In a task: ask to run it again later (Python's `raise self.retry(countdown=...)`).
/// Counts against the task's max_retries; past it, the task fails with
/// `MaxRetriesExceededError`. @throws mp::tasks::Retry, always.
[[noreturn]] void retry(std::optional<std::chrono::milliseconds> countdown = std::nullopt);
/// In a task: throws mp::tasks::SoftTimeLimitExceeded once the task's soft
/// time limit has passed. C++ cannot raise inside arbitrary code the way
/// Python's signal handler does, so a long task calls this in its loops.
void checkpoint();

/// What a running task knows about itself (Python's `self.request`).
struct TaskContext {
  std::string id{};          ///< the task id
  std::string name{};        ///< the registered name
  int retries = 0;           ///< how many times it was retried before this run
  bool redelivered = false;  ///< the broker gave it again after a lost worker
};
/// The task running in this process. @throws mp::ValueError outside a task.
const TaskContext& current_task();

/// Per-task options (Python's `@app.task(...)` arguments).
struct TaskOptions {
  int max_retries = 3;                            ///< retries allowed (Celery's default 3)
  bool autoretry = false;                         ///< retry on any exception (`autoretry_for=(Exception,)`)
  std::chrono::milliseconds retry_backoff{1000};  ///< first retry's delay; doubles each time
  std::chrono::milliseconds retry_backoff_max{600000};  ///< at most this (`retry_backoff_max`)
  std::optional<double> soft_time_limit{};              ///< seconds; the message's own wins
  std::optional<double> time_limit{};                   ///< seconds, hard; the message's own wins
};

/// A worker's settings (Python's worker options and `app.conf`).
struct WorkerOptions {
  std::vector<std::string> queues = {"celery"};  ///< the lists it takes from, in this order (`-Q`)
  int concurrency = 0;                           ///< pool processes (0: the cores; `-c`)
  int prefetch_multiplier = 4;                   ///< messages taken ahead: concurrency × this
  std::chrono::milliseconds visibility_timeout = std::chrono::hours(1);  ///< see "Delivery"
  std::optional<double> soft_time_limit{};                               ///< seconds, for every task
  std::optional<double> time_limit{};                                    ///< seconds, hard, for every task
  bool track_started = false;                     ///< record STARTED when a task is handed to a process
  std::string dead_letter_queue = "celery.dead";  ///< where unreadable messages go
  std::chrono::seconds result_expires = std::chrono::hours(24);  ///< results' lifetime (`result_expires`)
  std::string hostname{};                                        ///< for logs (default `mp@HOST`)
  std::function<void(std::string_view)> log{};  ///< a line per event worth telling (default: stderr)
};

/// What a worker did so far (for tests, tools and the lesson).
struct WorkerStats {
  std::size_t succeeded = 0;      ///< SUCCESS stored
  std::size_t failed = 0;         ///< FAILURE stored
  std::size_t retried = 0;        ///< sent again (RETRY)
  std::size_t restored = 0;       ///< messages of lost workers put back on their queues
  std::size_t dead_lettered = 0;  ///< unreadable messages moved aside
  std::size_t lost = 0;           ///< pool processes that died running a task
};

namespace detail {
/// A registered task, as the pool process calls it: JSON in, JSON out.
using TaskFunction = std::function<nlohmann::json(const nlohmann::json& args, const nlohmann::json& kwargs)>;

template <class T>
std::decay_t<T> argument(const nlohmann::json& args, std::size_t i) {
  try {
    return args.at(i).get<std::decay_t<T>>();
  } catch (const nlohmann::json::exception&) {
    throw ArgumentError("argument " + std::to_string(i + 1) + " (" + args.at(i).dump().substr(0, 40) +
                        ") has the wrong type");
  }
}

template <class R, class... A, std::size_t... I>
nlohmann::json call_with(R (*fn)(A...), const nlohmann::json& args, std::index_sequence<I...>) {
  if constexpr (std::is_void_v<R>) {
    fn(argument<A>(args, I)...);
    return nullptr;
  } else {
    return nlohmann::json(fn(argument<A>(args, I)...));
  }
}

class WorkerEngine;
}  // namespace detail

/// Runs tasks from Redis (see the file notes).
class Worker {
public:
  /// @param broker_url `redis://HOST:PORT/DB` (results go there too).
  /// @throws mp::ValueError for bad options; mp::tasks::BrokerError when Redis cannot be reached.
  explicit Worker(std::string broker_url, WorkerOptions options = {});
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Registers a plain function under `name`: its arguments and result
  /// travel as JSON (anything nlohmann::json converts). Keyword arguments
  /// are refused (ArgumentError). @throws mp::ValueError after run() began.
  template <class R, class... A>
  Worker& register_task(std::string name, R (*fn)(A...), TaskOptions options = {}) {
    return register_json(
        std::move(name),
        [fn](const nlohmann::json& args, const nlohmann::json& kwargs) {
          if (!kwargs.empty()) throw ArgumentError("a C++ task takes no keyword arguments");
          if (args.size() != sizeof...(A)) {
            throw ArgumentError("takes " + std::to_string(sizeof...(A)) + " positional arguments but " +
                                std::to_string(args.size()) + " were given");
          }
          return detail::call_with(fn, args, std::index_sequence_for<A...>{});
        },
        options);
  }
  /// Registers a task that takes the raw JSON args and kwargs (any callable;
  /// it runs in a pool process forked by run(), with the captures it had then).
  Worker& register_json(std::string name, detail::TaskFunction fn, TaskOptions options = {});

  /// Consumes until stop(), SIGTERM or SIGINT (see "Blocking").
  /// @throws mp::ValueError when called twice.
  void run();
  /// Asks run() to stop, from any thread or a signal handler: it returns
  /// once the tasks it took are done.
  void stop() noexcept;
  /// What it did so far (any thread).
  [[nodiscard]] WorkerStats stats() const;

private:
  std::unique_ptr<detail::WorkerEngine> engine_;
};

}  // namespace mp::tasks
