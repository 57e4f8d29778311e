#pragma once
/// @file
/// @brief Celery's task message (protocol version 2, JSON body) and its
/// result record, as they travel on Redis: mp::tasks::TaskMessage,
/// mp::tasks::ResultMeta, and their encoders and decoders.
///
/// **The task message** is one JSON document pushed on the queue's list
/// (`LPUSH celery <message>`; workers pop from the other end):
/// ```
/// {"body": base64(json [args, kwargs, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]),
///  "content-encoding": "utf-8", "content-type": "application/json",
///  "headers": {"lang": "py", "task": "tasks.add", "id": ID, "root_id": ID, "parent_id": null,
///              "group": null, "retries": 0, "timelimit": [soft, hard], "eta": ISO-8601 or null,
///              "expires": ISO-8601 or null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", "origin": "gen1@host",
///              ...},
///  "properties": {"correlation_id": ID, "reply_to": ..., "delivery_mode": 2,
///                 "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0,
///                 "body_encoding": "base64", "delivery_tag": UUID}}
/// ```
/// Read: every field above (others are kept in `raw` and ignored). Not
/// supported: the `pickle`, `yaml` and `msgpack` serializers, protocol 1,
/// and workflow fields (`chain`, `chord`, `callbacks`, `errbacks`: a message
/// that carries one is run, and the workflow part is reported and ignored).
///
/// **The result** of task ID is the key `celery-task-meta-ID` (kept one day),
/// also published on the channel of that name:
/// `{"status": "SUCCESS", "result": 5, "traceback": null, "children": [], "date_done": "...", "task_id":
/// ID}`; a failure's `result` is `{"exc_type": "ValueError", "exc_message": ["bad 7"], "exc_module":
/// "builtins"}`.
///
/// Hostile bytes: the decoders throw mp::tasks::ProtocolError for anything
/// that is not such a document (bad JSON, a missing or mistyped field,
/// bad base64, a body over 64 MiB), using memory proportional to the input.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mp/error.hpp"

namespace mp::tasks {

/// A message or result record that is not what Celery's protocol 2 says
/// (see the file notes).
class ProtocolError : public Error {
public:
  using Error::Error;
};

/// The clock of ETAs and expiry times (UTC on the wire).
using Clock = std::chrono::system_clock;

/// One task call: what `add.apply_async((2, 3))` puts on the queue.
struct TaskMessage {
  std::string id{};                                  ///< the task id (a UUID): also the result's key
  std::string task{};                                ///< the registered name, `"tasks.add"`
  nlohmann::json args = nlohmann::json::array();     ///< positional arguments
  nlohmann::json kwargs = nlohmann::json::object();  ///< keyword arguments
  int retries = 0;                                   ///< how many times it was retried already
  std::optional<Clock::time_point> eta{};            ///< not before this time (`countdown`, `eta`)
  std::optional<Clock::time_point> expires{};        ///< revoked when it starts later than this
  std::optional<double> soft_time_limit{};           ///< seconds (`timelimit[0]`)
  std::optional<double> time_limit{};                ///< seconds, hard (`timelimit[1]`)
  std::string root_id{};                             ///< the first task of its workflow (itself when alone)
  std::string parent_id{};                           ///< the task that sent it, or empty
  std::string group{};                               ///< its group id, or empty
  std::string origin{};                              ///< who sent it, `"gen1234@host"`
  std::string lang = "py";       ///< Celery writes "py"; ours writes "py" too, for Python workers
  std::string queue = "celery";  ///< delivery_info.routing_key: the list it travels on
  std::string delivery_tag{};    ///< the broker's tag for acknowledgements (a UUID)
  std::string reply_to{};        ///< a client's reply queue (unused by Redis results)
  bool redelivered = false;      ///< set when the broker restored it after a lost worker
  bool has_workflow = false;     ///< chain, chord, callbacks or errbacks were given (ignored)
};

/// A new random UUID (version 4, `"8-4-4-4-12"` hex), as Celery's task ids.
std::string new_uuid();
/// `"2026-12-05T06:20:39.804674"` (UTC, no zone: Celery's `date_done`);
/// `with_zone` adds `"+00:00"` (Celery's `eta` and `expires`).
std::string iso8601(Clock::time_point t, bool with_zone = false);
/// Reads Celery's ISO-8601 times, with or without a zone offset.
/// @throws mp::tasks::ProtocolError when it is not one.
Clock::time_point parse_iso8601(std::string_view s);
/// Python's repr of args and kwargs (`"(2, 3)"`, `"{'x': 1}"`): Celery's
/// argsrepr/kwargsrepr, shown by its monitoring tools.
std::string python_repr(const nlohmann::json& value, bool as_tuple = false);

/// The JSON document pushed on the queue (see the file notes). Fills `id`,
/// `root_id` and `delivery_tag` when empty.
std::string encode_message(TaskMessage& m);
/// Reads one. @throws mp::tasks::ProtocolError (see the file notes).
TaskMessage decode_message(std::string_view raw);

/// The states of a task (Celery's `celery.states`).
enum class State : std::uint8_t {
  pending,  ///< unknown to the backend: not started, or its result expired
  started,  ///< a worker began it (recorded only when the worker tracks it)
  retry,    ///< it failed and was sent again
  success,  ///< done; the result is there
  failure,  ///< it raised; the exception is there
  revoked   ///< it expired before it started
};
/// "PENDING", "SUCCESS", ... @throws nothing.
std::string_view to_string(State s) noexcept;
/// The inverse; @throws mp::tasks::ProtocolError for another word.
State state_from_string(std::string_view s);
/// True for SUCCESS, FAILURE and REVOKED (Celery's READY_STATES).
bool is_ready(State s) noexcept;

/// A task's exception as Celery stores it: Python's type and module, and
/// its arguments (`exc_message` is the exception's args).
struct ExceptionInfo {
  std::string type{};     ///< `"ValueError"`, `"std::length_error"`
  std::string module{};   ///< `"builtins"`; for C++ types without a Python one, `"mp.tasks"`
  std::string message{};  ///< the first argument (the message)
};

/// The result record of one task (the file notes' `celery-task-meta-ID`).
struct ResultMeta {
  std::string task_id{};         ///< the task
  State state = State::pending;  ///< its state
  nlohmann::json result{};       ///< SUCCESS: the value; FAILURE, RETRY, REVOKED: the exception's JSON
  std::string traceback{};       ///< FAILURE: where it was raised (text), or empty
  std::optional<ExceptionInfo> exception{};  ///< FAILURE, RETRY, REVOKED: the exception, read from `result`
  std::string date_done{};                   ///< when it ended (ISO-8601, UTC)
};

/// The JSON document stored and published. @throws nothing but std::bad_alloc.
std::string encode_result(const ResultMeta& r);
/// Reads one. @throws mp::tasks::ProtocolError.
ResultMeta decode_result(std::string_view raw);
/// The exception of a C++ task, the way a Python client will see it: the
/// standard types become Python's builtins (std::invalid_argument →
/// ValueError, std::out_of_range → IndexError, mp::TimeoutError →
/// TimeoutError, std::runtime_error → RuntimeError, ...); others keep their
/// C++ name under the module "mp.tasks" (Python rebuilds a class of that name).
ExceptionInfo describe(const std::exception_ptr& e);
/// The key (and channel) of task `id`'s result: `"celery-task-meta-" + id`.
std::string result_key(std::string_view id);

}  // namespace mp::tasks
