// See broker_ops.hpp. The Lua scripts run atomically in Redis: a worker killed
// at any instant leaves each message either on its queue or in `unacked`.
#include "broker_ops.hpp"

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "mp/tasks/message.hpp"

namespace mp::tasks::detail {
namespace {

// KEYS: the queues. ARGV[1]: now (epoch seconds), ARGV[2]: the dead-letter list,
// ARGV[3]: the taking worker's id, kept in our own hash `mp.unacked_owner` (kombu
// ignores it) so that a worker whose connection broke before the reply came can find
// the messages it took without knowing it.
// The unacked entry is kombu's [message, exchange, routing_key], written
// around the message's own text so that nothing in it is re-encoded.
constexpr const char* take_script = R"lua(
for i = 1, #KEYS do
  local m = redis.call('RPOP', KEYS[i])
  if m then
    local ok, msg = pcall(cjson.decode, m)
    local tag, ex, rk = nil, '', KEYS[i]
    if ok and type(msg) == 'table' and type(msg['properties']) == 'table' then
      local p = msg['properties']
      tag = p['delivery_tag']
      local di = p['delivery_info']
      if type(di) == 'table' then
        if type(di['exchange']) == 'string' then ex = di['exchange'] end
        if type(di['routing_key']) == 'string' and di['routing_key'] ~= '' then rk = di['routing_key'] end
      end
    end
    if type(tag) ~= 'string' or tag == '' then
      redis.call('LPUSH', ARGV[2], m)
      return {KEYS[i], m, ''}
    end
    redis.call('ZADD', 'unacked_index', ARGV[1], tag)
    redis.call('HSET', 'unacked', tag, '[' .. m .. ',' .. cjson.encode(ex) .. ',' .. cjson.encode(rk) .. ']')
    redis.call('HSET', 'mp.unacked_owner', tag, ARGV[3])
    return {KEYS[i], m, tag}
  end
end
return false
)lua";

// ARGV: tag, message, queue. Only the one who removes the unacked entry pushes.
constexpr const char* restore_script = R"lua(
redis.call('ZREM', 'unacked_index', ARGV[1])
redis.call('HDEL', 'mp.unacked_owner', ARGV[1])
if redis.call('HDEL', 'unacked', ARGV[1]) == 1 then
  redis.call('RPUSH', ARGV[3], ARGV[2])
  return 1
end
return 0
)lua";

constexpr const char* unlock_script = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

}  // namespace

std::string epoch_seconds_now() {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(us.count() / 1000000),
                static_cast<long long>(us.count() % 1000000));
  return buf;
}

std::optional<Taken> take(Redis& r, const std::vector<std::string>& queues, const std::string& dead_letters,
                          const std::string& owner) {
  std::vector<std::string> cmd{"EVAL", take_script, std::to_string(queues.size())};
  cmd.insert(cmd.end(), queues.begin(), queues.end());
  cmd.push_back(epoch_seconds_now());
  cmd.push_back(dead_letters);
  cmd.push_back(owner);
  Reply reply = r.command(cmd);
  if (reply.kind != Reply::Kind::array || reply.elements.size() != 3) return std::nullopt;
  return Taken{std::move(reply.elements[0].str), std::move(reply.elements[1].str),
               std::move(reply.elements[2].str)};
}

void wait_for_message(Redis& r, const std::string& queue, std::chrono::milliseconds timeout) {
  // A rotation of the list onto itself (last to last): it blocks until the
  // list has an element and leaves the list as it was.
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(timeout.count()) / 1000.0);
  r.command({"BLMOVE", queue, queue, "RIGHT", "RIGHT", seconds});
}

void append_ack(std::vector<std::vector<std::string>>& commands, const std::string& tag) {
  commands.push_back({"ZREM", unacked_index_key, tag});
  commands.push_back({"HDEL", unacked_key, tag});
  commands.push_back({"HDEL", unacked_owner_key, tag});
}

void run_transaction(Redis& r, std::vector<std::vector<std::string>> commands) {
  commands.insert(commands.begin(), {"MULTI"});
  commands.push_back({"EXEC"});
  const auto replies = r.pipeline(commands);
  const Reply& exec = replies.back();
  if (exec.kind != Reply::Kind::array) {
    throw BrokerError("mp::tasks: a transaction did not commit: " +
                      (exec.str.empty() ? "aborted" : exec.str));
  }
  for (const auto& e : exec.elements) {
    if (e.kind == Reply::Kind::error)
      throw BrokerError("mp::tasks: a command in a transaction failed: " + e.str);
  }
}

void restore_one(Redis& r, const std::string& tag, const std::string& raw, const std::string& queue) {
  r.command({"EVAL", restore_script, "0", tag, raw, queue});
}

bool restore_tag(Redis& r, const std::string& tag, const std::string& dead_letters) {
  const Reply entry = r.command({"HGET", unacked_key, tag});
  if (entry.is_nil()) {
    r.pipeline({{"ZREM", unacked_index_key, tag}, {"HDEL", unacked_owner_key, tag}});
    return false;
  }
  // kombu's entry: [message, exchange, routing_key]; mark it redelivered as kombu does.
  auto doc = nlohmann::json::parse(entry.str, nullptr, false);
  if (doc.is_discarded() || !doc.is_array() || doc.size() != 3 || !doc[0].is_object() ||
      !doc[2].is_string()) {
    run_transaction(r, {{"LPUSH", dead_letters, entry.str},
                        {"ZREM", unacked_index_key, tag},
                        {"HDEL", unacked_key, tag},
                        {"HDEL", unacked_owner_key, tag}});
    return false;
  }
  nlohmann::json& msg = doc[0];
  if (msg.contains("headers") && msg["headers"].is_object()) msg["headers"]["redelivered"] = true;
  if (msg.contains("properties") && msg["properties"].is_object() &&
      msg["properties"].contains("delivery_info") && msg["properties"]["delivery_info"].is_object()) {
    msg["properties"]["delivery_info"]["redelivered"] = true;
  }
  return r.command({"EVAL", restore_script, "0", tag, msg.dump(), doc[2].get<std::string>()}).integer == 1;
}

std::size_t reclaim_own(Redis& r, const std::string& owner, const std::set<std::string>& holding,
                        const std::string& dead_letters) {
  const Reply owners = r.command({"HGETALL", unacked_owner_key});
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < owners.elements.size(); i += 2) {
    const std::string& tag = owners.elements[i].str;
    if (owners.elements[i + 1].str == owner && holding.count(tag) == 0)
      n += restore_tag(r, tag, dead_letters) ? 1 : 0;
  }
  return n;
}

std::size_t restore_visible(Redis& r, std::chrono::milliseconds visibility, const std::string& dead_letters) {
  const auto now = std::chrono::system_clock::now();
  const auto ceil = std::chrono::duration<double>((now - visibility).time_since_epoch()).count();
  char ceil_text[40];
  std::snprintf(ceil_text, sizeof ceil_text, "%.6f", ceil);
  // Cheap check first: most of the time nothing is old enough.
  if (r.command({"ZCOUNT", unacked_index_key, "-inf", ceil_text}).integer == 0) return 0;
  const std::string token = new_uuid();
  if (r.command({"SET", unacked_mutex_key, token, "NX", "PX", "300000"}).is_nil()) return 0;  // kombu's Mutex
  std::size_t restored = 0;
  try {
    const Reply tags =
        r.command({"ZRANGEBYSCORE", unacked_index_key, "-inf", ceil_text, "LIMIT", "0", "100"});
    for (const auto& t : tags.elements) restored += restore_tag(r, t.str, dead_letters) ? 1 : 0;
  } catch (...) {
    r.command({"EVAL", unlock_script, "1", unacked_mutex_key, token});
    throw;
  }
  r.command({"EVAL", unlock_script, "1", unacked_mutex_key, token});
  return restored;
}

}  // namespace mp::tasks::detail
