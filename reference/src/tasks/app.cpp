// The producer side: sending task messages and waiting for results. A result
// wait subscribes to the result's channel, then reads the key once more, so a
// result stored between the first read and the subscription is not missed.
#include "mp/tasks/app.hpp"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

namespace mp::tasks {
namespace detail {

ResultBackend::ResultBackend(std::string url) : url_(std::move(url)), commands_(url_) {}

std::optional<ResultMeta> ResultBackend::peek(const std::string& id) {
  Reply r;
  {
    const std::lock_guard lock(commands_mutex_);
    try {
      r = commands_.command({"GET", result_key(id)});
    } catch (const BrokerError&) {
      r = commands_.command({"GET", result_key(id)});  // once more on a new connection
    }
  }
  if (r.is_nil()) return std::nullopt;
  return decode_result(r.str);
}

namespace {

bool is_message_for(const Reply& r, const std::string& channel) {
  return r.kind == Reply::Kind::array && r.elements.size() == 3 && r.elements[0].str == "message" &&
         r.elements[1].str == channel;
}

}  // namespace

ResultMeta ResultBackend::wait(const std::string& id, std::chrono::milliseconds timeout) {
  using Steady = std::chrono::steady_clock;
  const auto deadline = Steady::now() + timeout;
  const std::lock_guard lock(subscriber_mutex_);
  // A broken connection (Redis restarted) is made again until the deadline:
  // the result is stored in Redis, so nothing is missed while reconnecting.
  for (auto backoff = std::chrono::milliseconds(50);;
       backoff = std::min(backoff * 2, std::chrono::milliseconds(1000))) {
    try {
      if (auto done = wait_once(id, deadline)) return *done;
      throw TimeoutError("mp::tasks: task " + id + " has no result after " + std::to_string(timeout.count()) +
                         " ms");
    } catch (const BrokerError&) {
      subscriber_.reset();
      if (Steady::now() + backoff >= deadline) throw;
      std::this_thread::sleep_for(backoff);
    }
  }
}

std::optional<ResultMeta> ResultBackend::wait_once(const std::string& id,
                                                   std::chrono::steady_clock::time_point deadline) {
  using Steady = std::chrono::steady_clock;
  if (auto m = peek(id); m && is_ready(m->state)) return m;
  const std::string channel = result_key(id);
  if (!subscriber_) subscriber_.emplace(url_);
  Redis& s = *subscriber_;
  s.command({"SUBSCRIBE", channel});
  std::optional<ResultMeta> done = peek(id);  // stored before we subscribed?
  while (!done || !is_ready(done->state)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
    if (left.count() <= 0) break;
    const Reply r = s.read(left);
    if (r.is_nil()) break;  // timed out: read() closed the connection
    if (is_message_for(r, channel)) done = decode_result(r.elements[2].str);
  }
  if (!done || !is_ready(done->state)) {
    subscriber_.reset();  // drops the subscription with the connection
    return std::nullopt;
  }
  // Leave the channel; messages published before the confirmation are skipped.
  Reply r = s.command({"UNSUBSCRIBE", channel});
  while (r.kind == Reply::Kind::array && !r.elements.empty() && r.elements[0].str == "message") {
    r = s.read(std::chrono::seconds(10));
  }
  return done;
}

}  // namespace detail

App::App(std::string broker_url, std::string backend_url)
    : broker_url_(std::move(broker_url)),
      broker_(broker_url_),
      backend_(std::make_shared<detail::ResultBackend>(backend_url.empty() ? broker_url_
                                                                           : std::move(backend_url))) {}

AsyncResult<> App::send_task(const std::string& name, nlohmann::json args, nlohmann::json kwargs,
                             const SendOptions& options) {
  // nlohmann reads `{7}` as the number 7 and `{}` as null: one argument, and none.
  if (args.is_null()) args = nlohmann::json::array();
  if (!args.is_array()) args = nlohmann::json::array({std::move(args)});
  if (kwargs.is_null()) kwargs = nlohmann::json::object();
  if (!kwargs.is_object()) throw ValueError("mp::tasks: send_task's kwargs must be a JSON object");
  TaskMessage m;
  m.task = name;
  m.id = options.task_id;
  m.args = std::move(args);
  m.kwargs = std::move(kwargs);
  m.queue = options.queue;
  const auto now = Clock::now();
  if (options.eta) m.eta = options.eta;
  if (options.countdown) m.eta = now + *options.countdown;
  if (options.expires) m.expires = now + *options.expires;
  m.soft_time_limit = options.soft_time_limit;
  m.time_limit = options.time_limit;
  const std::string raw = encode_message(m);
  {
    const std::lock_guard lock(broker_mutex_);
    try {
      broker_.command({"LPUSH", m.queue, raw});
    } catch (const BrokerError&) {
      // Once more on a new connection (Redis restarted since the last call). If the
      // first push had been stored and only its reply lost, the task runs twice: at least once.
      broker_.command({"LPUSH", m.queue, raw});
    }
  }
  return AsyncResult<>(backend_, m.id);
}

std::size_t App::queue_length(const std::string& queue) {
  const std::lock_guard lock(broker_mutex_);
  return static_cast<std::size_t>(broker_.command({"LLEN", queue}).integer);
}

std::size_t App::purge(const std::string& queue) {
  const std::lock_guard lock(broker_mutex_);
  const auto replies = broker_.pipeline({{"LLEN", queue}, {"DEL", queue}});
  return static_cast<std::size_t>(replies.front().integer);
}

}  // namespace mp::tasks
