// The producer side: sending task messages and waiting for results. A result
// wait subscribes to the result's channel, then reads the key once more, so a
// result stored between the first read and the subscription is not missed.
#include "mp/tasks/app.hpp"

#include <string>
#include <utility>

namespace mp::tasks {
namespace detail {

ResultBackend::ResultBackend(std::string url) : url_(std::move(url)), commands_(url_) {}

std::optional<ResultMeta> ResultBackend::peek(const std::string& id) {
  Reply r;
  {
    const std::lock_guard lock(commands_mutex_);
    r = commands_.command({"GET", result_key(id)});
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
  if (auto m = peek(id); m && is_ready(m->state)) return *m;
  const std::string channel = result_key(id);
  const std::lock_guard lock(subscriber_mutex_);
  try {
    if (!subscriber_) subscriber_.emplace(url_);
    Redis& s = *subscriber_;
    s.command({"SUBSCRIBE", channel});
    std::optional<ResultMeta> done = peek(id);
    while (!done || !is_ready(done->state)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
      if (left.count() <= 0) break;
      const Reply r = s.read(left);
      if (r.is_nil()) break;  // timed out: read() closed the connection
      if (is_message_for(r, channel)) done = decode_result(r.elements[2].str);
    }
    if (!done || !is_ready(done->state)) {
      subscriber_.reset();  // drops the subscription with the connection
      throw TimeoutError("mp::tasks: task " + id + " has no result after " + std::to_string(timeout.count()) +
                         " ms");
    }
    // Leave the channel; messages published before the confirmation are skipped.
    Reply r = s.command({"UNSUBSCRIBE", channel});
    while (r.kind == Reply::Kind::array && !r.elements.empty() && r.elements[0].str == "message") {
      r = s.read(std::chrono::seconds(10));
    }
    return *done;
  } catch (const BrokerError&) {
    subscriber_.reset();
    throw;
  } catch (const ProtocolError&) {
    subscriber_.reset();
    throw;
  }
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
    broker_.command({"LPUSH", m.queue, raw});
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
