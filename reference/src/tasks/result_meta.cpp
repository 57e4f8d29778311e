// The result record of a task (Celery's Redis result backend), the states,
// and how a C++ exception is described for a Python reader.
#include <array>
#include <exception>
#include <string>
#include <utility>

#include "json_input.hpp"
#include "mp/detail/exception_wire.hpp"
#include "mp/error.hpp"
#include "mp/tasks/message.hpp"

namespace mp::tasks {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 6> state_names = {"PENDING", "STARTED", "RETRY",
                                                         "SUCCESS", "FAILURE", "REVOKED"};

json exception_json(const ExceptionInfo& e) {
  return {{"exc_type", e.type}, {"exc_message", json::array({e.message})}, {"exc_module", e.module}};
}

ExceptionInfo read_exception(const json& r) {
  if (!r.is_object() || !r.contains("exc_type")) {
    throw ProtocolError("mp::tasks: a failed task's result has no exc_type");
  }
  ExceptionInfo e;
  e.type = detail::opt_string(r, "exc_type", "the exception");
  e.module = detail::opt_string(r, "exc_module", "the exception");
  // exc_message is the exception's args: a list (Celery 4+), or a string (older).
  if (const auto m = r.find("exc_message"); m != r.end()) {
    if (m->is_string()) {
      e.message = m->get<std::string>();
    } else if (m->is_array() && !m->empty()) {
      e.message = (*m)[0].is_string() ? (*m)[0].get<std::string>() : (*m)[0].dump();
      for (std::size_t i = 1; i < m->size(); ++i) e.message += ", " + (*m)[i].dump();
    }
  }
  return e;
}

// C++ standard types → the Python builtin a Python caller would expect.
struct Mapping {
  std::string_view cpp;
  std::string_view python;
};
constexpr std::array<Mapping, 15> to_python = {{
    {"std::invalid_argument", "ValueError"},
    {"std::domain_error", "ValueError"},
    {"std::length_error", "ValueError"},
    {"mp::ValueError", "ValueError"},
    {"std::out_of_range", "IndexError"},
    {"std::overflow_error", "OverflowError"},
    {"std::underflow_error", "ArithmeticError"},
    {"std::range_error", "ArithmeticError"},
    {"std::bad_alloc", "MemoryError"},
    {"mp::TimeoutError", "TimeoutError"},
    {"std::runtime_error", "RuntimeError"},
    {"std::system_error", "OSError"},
    {"mp::NotImplemented", "NotImplementedError"},
    {"mp::tasks::ArgumentError", "TypeError"},
    {"mp::tasks::SoftTimeLimitExceeded", "SoftTimeLimitExceeded"},
}};

}  // namespace

std::string_view to_string(State s) noexcept { return state_names[static_cast<std::size_t>(s)]; }

State state_from_string(std::string_view s) {
  for (std::size_t i = 0; i < state_names.size(); ++i) {
    if (state_names[i] == s) return static_cast<State>(i);
  }
  if (s == "RECEIVED") return State::pending;  // Celery's events-only states
  throw ProtocolError("mp::tasks: unknown task state '" + std::string(s.substr(0, 32)) + "'");
}

bool is_ready(State s) noexcept { return s == State::success || s == State::failure || s == State::revoked; }

ExceptionInfo describe(const std::exception_ptr& e) {
  ExceptionInfo info{"Exception", "builtins", ""};
  if (!e) return info;
  try {
    std::rethrow_exception(e);
  } catch (const RemoteError& r) {  // from a pool worker: keep the original type's name
    info.type = r.type_name();
    info.module = "mp.tasks";
    info.message = r.message();
  } catch (const std::exception& x) {
    info.type = mp::detail::exception_type_name(e);
    info.module = "mp.tasks";
    info.message = x.what();
  } catch (...) {
    info.type = "unknown";
    info.module = "mp.tasks";
  }
  for (const auto& m : to_python) {
    if (info.type == m.cpp) {
      info.type = std::string(m.python);
      info.module = info.type == "SoftTimeLimitExceeded" ? "celery.exceptions" : "builtins";
    }
  }
  return info;
}

std::string encode_result(const ResultMeta& r) {
  json result = r.result;
  if (r.exception && r.state != State::success) result = exception_json(*r.exception);
  const json doc = {{"status", to_string(r.state)},
                    {"result", std::move(result)},
                    {"traceback", r.traceback.empty() ? json(nullptr) : json(r.traceback)},
                    {"children", json::array()},
                    {"date_done", r.date_done.empty() ? json(nullptr) : json(r.date_done)},
                    {"task_id", r.task_id}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

ResultMeta decode_result(std::string_view raw) {
  const json doc = detail::parse_json(raw, "a task result");
  if (!doc.is_object()) throw ProtocolError("mp::tasks: a task result is not a JSON object");
  ResultMeta r;
  r.state = state_from_string(detail::opt_string(doc, "status", "a task result"));
  r.task_id = detail::opt_string(doc, "task_id", "a task result");
  r.traceback = detail::opt_string(doc, "traceback", "a task result");
  r.date_done = detail::opt_string(doc, "date_done", "a task result");
  if (const auto it = doc.find("result"); it != doc.end()) r.result = *it;
  if (r.state == State::failure || r.state == State::retry || r.state == State::revoked) {
    if (r.result.is_object() && r.result.contains("exc_type")) r.exception = read_exception(r.result);
  }
  if (r.state == State::failure && !r.exception) {
    throw ProtocolError("mp::tasks: a failed task's result has no exception");
  }
  return r;
}

}  // namespace mp::tasks
