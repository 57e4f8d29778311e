// Celery's protocol-2 task message, both ways (see mp/tasks/message.hpp).
#include <sodium.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "json_input.hpp"
#include "mp/tasks/message.hpp"

namespace mp::tasks {
namespace detail {

nlohmann::json parse_json(std::string_view raw, std::string_view what) {
  if (raw.size() > max_document) {
    throw ProtocolError("mp::tasks: " + std::string(what) + " of " + std::to_string(raw.size()) +
                        " bytes is over the limit of 64 MiB");
  }
  const auto depth_guard = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > max_depth) throw ProtocolError("mp::tasks: " + std::string(what) + " is nested too deeply");
    return true;
  };
  try {
    return nlohmann::json::parse(raw.begin(), raw.end(), depth_guard);
  } catch (const nlohmann::json::exception& e) {
    throw ProtocolError("mp::tasks: " + std::string(what) + " is not JSON: " + e.what());
  }
}

std::string base64_encode(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string base64_decode(std::string_view text, std::string_view what) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                        "\n\r ", &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    throw ProtocolError("mp::tasks: " + std::string(what) + " is not base64");
  }
  out.resize(len);
  return out;
}

std::string opt_string(const nlohmann::json& obj, const char* key, std::string_view what) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_string())
    throw ProtocolError("mp::tasks: " + std::string(what) + "'s " + key + " is not a string");
  return it->get<std::string>();
}

const nlohmann::json& need_object(const nlohmann::json& obj, const char* key, std::string_view what) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) {
    throw ProtocolError("mp::tasks: " + std::string(what) + " has no object '" + key + "'");
  }
  return *it;
}

}  // namespace detail

namespace {

using nlohmann::json;

std::string default_origin() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return "gen" + std::to_string(::getpid()) + "@" + host;
}

json optional_time(const std::optional<Clock::time_point>& t) {
  return t ? json(iso8601(*t, true)) : json(nullptr);
}
json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::optional<Clock::time_point> read_time(const json& headers, const char* key) {
  const std::string s = detail::opt_string(headers, key, "the message's headers");
  if (s.empty()) return std::nullopt;
  return parse_iso8601(s);
}

std::optional<double> read_limit(const json& limits, std::size_t i) {
  if (limits.size() <= i || limits[i].is_null()) return std::nullopt;
  if (!limits[i].is_number()) throw ProtocolError("mp::tasks: the message's timelimit holds a non-number");
  return limits[i].get<double>();
}

bool flag(const json& obj, const char* key) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

std::string encode_message(TaskMessage& m) {
  if (m.id.empty()) m.id = new_uuid();
  if (m.root_id.empty()) m.root_id = m.id;
  if (m.delivery_tag.empty()) m.delivery_tag = new_uuid();
  if (m.origin.empty()) m.origin = default_origin();
  const json embed = {{"callbacks", nullptr}, {"errbacks", nullptr}, {"chain", nullptr}, {"chord", nullptr}};
  const json body = json::array({m.args, m.kwargs, embed});
  json headers = {
      {"lang", m.lang},
      {"task", m.task},
      {"id", m.id},
      {"shadow", nullptr},
      {"eta", optional_time(m.eta)},
      {"expires", optional_time(m.expires)},
      {"group", m.group.empty() ? json(nullptr) : json(m.group)},
      {"group_index", nullptr},
      {"retries", m.retries},
      {"timelimit", json::array({optional_number(m.soft_time_limit), optional_number(m.time_limit)})},
      {"root_id", m.root_id},
      {"parent_id", m.parent_id.empty() ? json(nullptr) : json(m.parent_id)},
      {"argsrepr", python_repr(m.args, true)},
      {"kwargsrepr", python_repr(m.kwargs)},
      {"origin", m.origin},
      {"ignore_result", false}};
  if (m.redelivered) headers["redelivered"] = true;
  json delivery_info = {{"exchange", ""}, {"routing_key", m.queue}};
  if (m.redelivered) delivery_info["redelivered"] = true;
  const json message = {
      {"body", detail::base64_encode(body.dump(-1, ' ', false, json::error_handler_t::replace))},
      {"content-encoding", "utf-8"},
      {"content-type", "application/json"},
      {"headers", std::move(headers)},
      {"properties",
       {{"correlation_id", m.id},
        {"reply_to", m.reply_to},
        {"delivery_mode", 2},
        {"delivery_info", std::move(delivery_info)},
        {"priority", 0},
        {"body_encoding", "base64"},
        {"delivery_tag", m.delivery_tag}}}};
  return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

TaskMessage decode_message(std::string_view raw) {
  const json doc = detail::parse_json(raw, "a task message");
  if (!doc.is_object()) throw ProtocolError("mp::tasks: a task message is not a JSON object");
  const json& headers = detail::need_object(doc, "headers", "a task message");
  const json& props = detail::need_object(doc, "properties", "a task message");
  const std::string content_type = detail::opt_string(doc, "content-type", "a task message");
  if (content_type != "application/json") {
    throw ProtocolError("mp::tasks: a task message's content-type is '" + content_type +
                        "'; only application/json is supported (Celery's default serializer)");
  }
  if (!headers.contains("task")) {
    throw ProtocolError("mp::tasks: a task message without headers.task (protocol 1 is not supported)");
  }
  TaskMessage m;
  m.task = detail::opt_string(headers, "task", "the message's headers");
  m.id = detail::opt_string(headers, "id", "the message's headers");
  if (m.task.empty() || m.id.empty())
    throw ProtocolError("mp::tasks: a task message without a task name or id");
  m.lang = detail::opt_string(headers, "lang", "the message's headers");
  m.root_id = detail::opt_string(headers, "root_id", "the message's headers");
  m.parent_id = detail::opt_string(headers, "parent_id", "the message's headers");
  m.group = detail::opt_string(headers, "group", "the message's headers");
  m.origin = detail::opt_string(headers, "origin", "the message's headers");
  if (const auto r = headers.find("retries"); r != headers.end() && !r->is_null()) {
    if (!r->is_number_integer()) throw ProtocolError("mp::tasks: the message's retries is not an integer");
    m.retries = r->get<int>();
  }
  m.eta = read_time(headers, "eta");
  m.expires = read_time(headers, "expires");
  if (const auto tl = headers.find("timelimit"); tl != headers.end() && !tl->is_null()) {
    if (!tl->is_array()) throw ProtocolError("mp::tasks: the message's timelimit is not [soft, hard]");
    m.soft_time_limit = read_limit(*tl, 0);
    m.time_limit = read_limit(*tl, 1);
  }
  m.delivery_tag = detail::opt_string(props, "delivery_tag", "the message's properties");
  m.reply_to = detail::opt_string(props, "reply_to", "the message's properties");
  if (const auto di = props.find("delivery_info"); di != props.end() && di->is_object()) {
    const std::string rk = detail::opt_string(*di, "routing_key", "the message's delivery_info");
    if (!rk.empty()) m.queue = rk;
    m.redelivered = flag(*di, "redelivered");
  }
  if (flag(headers, "redelivered")) m.redelivered = true;

  const std::string encoding = detail::opt_string(props, "body_encoding", "the message's properties");
  const std::string body_text = detail::opt_string(doc, "body", "a task message");
  const std::string body_json =
      encoding == "base64" ? detail::base64_decode(body_text, "the message's body") : body_text;
  const json body = detail::parse_json(body_json, "the message's body");
  if (!body.is_array() || body.size() < 2 || !body[0].is_array() || !body[1].is_object()) {
    throw ProtocolError("mp::tasks: the message's body is not [args, kwargs, embed]");
  }
  m.args = body[0];
  m.kwargs = body[1];
  if (body.size() > 2 && body[2].is_object()) {
    for (const char* k : {"callbacks", "errbacks", "chain", "chord"}) {
      if (const auto it = body[2].find(k); it != body[2].end() && !it->is_null()) m.has_workflow = true;
    }
  }
  return m;
}

}  // namespace mp::tasks
