#pragma once
/// @file
/// @brief The producer side of mp::tasks (Python's `celery.Celery` as a
/// client): mp::tasks::App sends task calls to a Redis broker in Celery's
/// protocol and reads their results; mp::tasks::AsyncResult,
/// mp::tasks::TaskRef, mp::tasks::TaskError.
///
/// | Python (Celery) | C++ |
/// |---|---|
/// | `app = Celery("tasks", broker=URL, backend=URL)` | `mp::tasks::App app(URL);` (the backend defaults to the broker) |
/// | `app.send_task("tasks.add", (2, 3))` | `app.send_task("tasks.add", {2, 3})` |
/// | `add.delay(2, 3)` | `app.task<int(int, int)>("tasks.add").delay(2, 3)` |
/// | `add.apply_async((2, 3), countdown=5, queue="q")` | `add.apply_async({2, 3}, {.queue = "q", .countdown = 5s})` |
/// | `r.get(timeout=10)`, `r.ready()`, `r.state`, `r.id` | `r.get(10s)`, `r.ready()`, `r.state()`, `r.id()` |
/// | `AsyncResult(id, app=app)` | `app.result(id)` |
///
/// The other side may be a C++ mp::tasks::Worker or Python's
/// `celery worker`: both speak the same messages (mp/tasks/message.hpp).
///
/// **Blocking.** send_task() makes one round trip to Redis. get() waits
/// for the result on the backend's publish channel (no polling), at most
/// its timeout. An App may be used from several threads (calls are
/// serialised on its connections); a forked child must make its own.
///
/// **Errors.** mp::tasks::BrokerError when Redis cannot be reached;
/// get() re-raises a task's failure as mp::tasks::TaskError (Python's type
/// name, module and message, and the traceback text) and throws
/// mp::TimeoutError when the result is not there in time.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "mp/error.hpp"
#include "mp/tasks/message.hpp"
#include "mp/tasks/redis.hpp"

namespace mp::tasks {

/// A task failed on the worker (Celery re-raises the task's exception): the
/// exception's Python type name (`"ValueError"`, or a C++ name such as
/// `"app::ParseError"`), its module and message, and the worker's traceback
/// text. type_name() and message() come from mp::RemoteError.
class TaskError : public RemoteError {
public:
  /// @param info the exception as stored; @param traceback the worker's text.
  TaskError(ExceptionInfo info, std::string traceback)
      : RemoteError(info.type, info.message),
        module_(std::move(info.module)),
        traceback_(std::move(traceback)) {}
  /// The exception's module (`"builtins"`, `"celery.exceptions"`, `"mp.tasks"`).
  [[nodiscard]] const std::string& module() const noexcept { return module_; }
  /// The worker's traceback text (may be empty).
  [[nodiscard]] const std::string& traceback() const noexcept { return traceback_; }

private:
  std::string module_;
  std::string traceback_;
};

namespace detail {
/// Reads results from the backend: one command connection, one subscriber
/// connection (made on first wait), each behind its own mutex.
class ResultBackend {
public:
  explicit ResultBackend(std::string url);
  /// The stored record, or nullopt while PENDING.
  std::optional<ResultMeta> peek(const std::string& id);
  /// Waits until the record is ready (SUCCESS, FAILURE, REVOKED).
  /// @throws mp::TimeoutError after `timeout`.
  ResultMeta wait(const std::string& id, std::chrono::milliseconds timeout);

private:
  std::optional<ResultMeta> wait_once(const std::string& id, std::chrono::steady_clock::time_point deadline);
  std::string url_;
  std::mutex commands_mutex_;
  Redis commands_;
  std::mutex subscriber_mutex_;
  std::optional<Redis> subscriber_;
};
/// Converts a task's JSON result to R. @throws mp::tasks::ProtocolError when it is not one.
template <class R>
R result_as(const nlohmann::json& value, const std::string& id) {
  try {
    return value.get<R>();
  } catch (const nlohmann::json::exception&) {
    throw ProtocolError("mp::tasks: the result of task " + id + " (" + value.dump().substr(0, 64) +
                        ") is not of the type asked for");
  }
}
}  // namespace detail

/// The result of a task call (Python's `celery.result.AsyncResult`). `R` is
/// the type get() converts to (nlohmann::json: as stored). Copyable; copies
/// share the App's connections (keep the App alive).
template <class R = nlohmann::json>
class AsyncResult {
public:
  /// Made by mp::tasks::App; `backend` is the App's.
  AsyncResult(std::shared_ptr<detail::ResultBackend> backend, std::string id)
      : backend_(std::move(backend)), id_(std::move(id)) {}
  /// The task id (Python's `r.id`).
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  /// The state now (one read): PENDING until a worker records something.
  /// @throws mp::tasks::BrokerError.
  [[nodiscard]] State state() const {
    const auto m = backend_->peek(id_);
    return m ? m->state : State::pending;
  }
  /// True once SUCCESS, FAILURE or REVOKED (Python's `ready()`).
  [[nodiscard]] bool ready() const { return is_ready(state()); }
  /// True once SUCCESS.
  [[nodiscard]] bool successful() const { return state() == State::success; }
  /// True once FAILURE.
  [[nodiscard]] bool failed() const { return state() == State::failure; }
  /// Waits for the result and returns it (Python's `get(timeout=...)`).
  /// @throws mp::tasks::TaskError when the task failed or was revoked;
  ///         mp::TimeoutError after `timeout`; mp::tasks::BrokerError;
  ///         mp::tasks::ProtocolError when the result is not an R.
  R get(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    const ResultMeta m = backend_->wait(id_, timeout);
    if (m.state != State::success) {
      throw TaskError(m.exception.value_or(ExceptionInfo{"TaskRevokedError", "celery.exceptions", "revoked"}),
                      m.traceback);
    }
    if constexpr (std::is_same_v<R, nlohmann::json>) {
      return m.result;
    } else {
      return detail::result_as<R>(m.result, id_);
    }
  }
  /// The whole record as stored (state, result, exception, traceback, date), or a PENDING one.
  [[nodiscard]] ResultMeta meta() const {
    auto m = backend_->peek(id_);
    if (!m) {
      m.emplace();
      m->task_id = id_;
    }
    return *m;
  }

private:
  std::shared_ptr<detail::ResultBackend> backend_;
  std::string id_;
};

/// How to send one call (Python's `apply_async` options).
struct SendOptions {
  std::string queue = "celery";                          ///< the queue (Celery's default is "celery")
  std::optional<std::chrono::milliseconds> countdown{};  ///< run no sooner than this from now
  std::optional<Clock::time_point> eta{};                ///< run no sooner than this
  std::optional<std::chrono::milliseconds> expires{};    ///< revoke if not started within this
  std::optional<double> soft_time_limit{};               ///< seconds; overrides the worker's
  std::optional<double> time_limit{};                    ///< seconds, hard; overrides the worker's
  std::string task_id{};                                 ///< an id of your own (default: a new UUID)
};

class App;

template <class Signature>
class TaskRef;

/// A named task with a C++ signature (Python's task object on the client
/// side): `auto add = app.task<int(int, int)>("tasks.add"); add.delay(2, 3).get()`.
template <class R, class... A>
class TaskRef<R(A...)> {
public:
  /// Made by App::task.
  TaskRef(App& app, std::string name) : app_(&app), name_(std::move(name)) {}
  /// Sends `name(args...)` with default options (Python's `delay`).
  /// @throws mp::tasks::BrokerError.
  AsyncResult<R> delay(A... args) const { return apply_async(std::tuple<A...>(std::move(args)...), {}); }
  /// Sends it with options (Python's `apply_async`).
  /// @throws mp::tasks::BrokerError.
  AsyncResult<R> apply_async(std::tuple<A...> args, const SendOptions& options) const;
  /// The task's registered name.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

private:
  App* app_;
  std::string name_;
};

/// The client of a Celery application: sends task calls and reads results
/// (see the file notes).
class App {
public:
  /// @param broker_url `redis://HOST:PORT/DB`; @param backend_url where
  /// results are (empty: the broker's).
  /// @throws mp::ValueError for a bad URL; mp::tasks::BrokerError when Redis cannot be reached.
  explicit App(std::string broker_url = "redis://127.0.0.1:6379/0", std::string backend_url = "");
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  /// Sends one call of task `name` (Python's `app.send_task`): `args` is a
  /// JSON array of the positional arguments, `kwargs` a JSON object (a C++
  /// worker takes no kwargs; Python's do). nlohmann reads `{7}` as the
  /// number 7: a value that is not an array is taken as the one argument
  /// (so `{7}` works; write `nlohmann::json::array({v})` for one array argument).
  /// @throws mp::tasks::BrokerError; mp::ValueError when kwargs is not an object.
  AsyncResult<> send_task(const std::string& name, nlohmann::json args = nlohmann::json::array(),
                          nlohmann::json kwargs = nlohmann::json::object(), const SendOptions& options = {});
  /// A typed handle on task `name` (see mp::tasks::TaskRef).
  template <class Signature>
  TaskRef<Signature> task(std::string name) {
    return TaskRef<Signature>(*this, std::move(name));
  }
  /// The result of task `id` (Python's `AsyncResult(id)`).
  AsyncResult<> result(std::string id) const { return AsyncResult<>(backend_, std::move(id)); }
  /// How many messages wait in `queue` (`LLEN`). @throws mp::tasks::BrokerError.
  std::size_t queue_length(const std::string& queue = "celery");
  /// Deletes every waiting message of `queue` and returns how many there were
  /// (Python's `app.control.purge()`). @throws mp::tasks::BrokerError.
  std::size_t purge(const std::string& queue = "celery");
  /// The broker's URL.
  [[nodiscard]] const std::string& broker_url() const noexcept { return broker_url_; }
  /// The backend, for AsyncResult (internal).
  [[nodiscard]] const std::shared_ptr<detail::ResultBackend>& backend() const noexcept { return backend_; }

private:
  std::string broker_url_;
  std::mutex broker_mutex_;
  Redis broker_;
  std::shared_ptr<detail::ResultBackend> backend_;
};

template <class R, class... A>
AsyncResult<R> TaskRef<R(A...)>::apply_async(std::tuple<A...> args, const SendOptions& options) const {
  nlohmann::json array = nlohmann::json::array();
  std::apply([&](auto&... a) { (array.push_back(nlohmann::json(a)), ...); }, args);
  const auto sent = app_->send_task(name_, std::move(array), nlohmann::json::object(), options);
  return AsyncResult<R>(app_->backend(), sent.id());
}

}  // namespace mp::tasks
