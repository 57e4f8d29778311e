// Celery's protocol 2 messages and result records (mp/tasks/message.hpp):
// what Python's Celery 5.2 writes is read; what we write round-trips; hostile
// bytes are refused with ProtocolError.
#include <gtest/gtest.h>

#include <string>

#include "mp/tasks/message.hpp"
#include "mp/tasks/redis.hpp"
#include "test_support.hpp"

namespace {

using mp::tasks::ProtocolError;
using nlohmann::json;

// Captured from `add.delay(2, 3)` of python3-celery 5.2.6 on Redis (LRANGE celery 0 -1).
constexpr const char* celery_message =
    R"json({"body": "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "ddf2764c-9a69-45e2-94b1-b6524e483879", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "ddf2764c-9a69-45e2-94b1-b6524e483879", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", "origin": "gen20298@vm", "ignore_result": false}, "properties": {"correlation_id": "ddf2764c-9a69-45e2-94b1-b6524e483879", "reply_to": "c6dca4c2-7f04-32ff-b62f-96b31516d5e3", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "f0162ea6-9bfa-413e-b9a7-f69536782a0b"}})json";

// Stored by Celery's Redis backend for a task that raised ValueError("bad 7").
constexpr const char* celery_failure =
    R"json({"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["bad 7"], "exc_module": "builtins"}, "traceback": "Traceback (most recent call last):\nValueError: bad 7\n", "children": [], "date_done": "2026-12-05T06:20:39.808466", "task_id": "c9345428-77dc-4a2b-8101-dc3f2c3e2e7b"})json";

TEST(TasksMessage, ReadsWhatPythonsCelerySends) {
  const auto m = mp::tasks::decode_message(celery_message);
  EXPECT_EQ(m.task, "tasks.add");
  EXPECT_EQ(m.id, "ddf2764c-9a69-45e2-94b1-b6524e483879");
  EXPECT_EQ(m.args, json::array({2, 3}));
  EXPECT_EQ(m.kwargs, json::object());
  EXPECT_EQ(m.queue, "celery");
  EXPECT_EQ(m.delivery_tag, "f0162ea6-9bfa-413e-b9a7-f69536782a0b");
  EXPECT_EQ(m.retries, 0);
  EXPECT_FALSE(m.eta || m.expires || m.soft_time_limit || m.time_limit || m.redelivered || m.has_workflow);
}

TEST(TasksMessage, WhatWeWriteHasCeleryFieldsAndRoundTrips) {
  mp::tasks::TaskMessage m;
  m.task = "tasks.add";
  m.args = json::array({2, "x'y"});
  m.kwargs = {{"k", true}};
  m.retries = 2;
  m.eta = mp::tasks::parse_iso8601("2026-12-05T06:20:39.804674+00:00");
  m.time_limit = 20;
  m.queue = "fast";
  const std::string raw = mp::tasks::encode_message(m);
  const json doc = json::parse(raw);
  EXPECT_EQ(doc["headers"]["argsrepr"], "(2, \"x'y\")");
  EXPECT_EQ(doc["headers"]["kwargsrepr"], "{'k': True}");
  EXPECT_EQ(doc["headers"]["eta"], "2026-12-05T06:20:39.804674+00:00");
  EXPECT_EQ(doc["headers"]["timelimit"], json::array({nullptr, 20.0}));
  EXPECT_EQ(doc["properties"]["delivery_info"]["routing_key"], "fast");
  EXPECT_EQ(doc["properties"]["body_encoding"], "base64");
  EXPECT_EQ(m.id.size(), 36U);
  EXPECT_EQ(doc["headers"]["root_id"], m.id);
  const auto back = mp::tasks::decode_message(raw);
  EXPECT_EQ(back.args, m.args);
  EXPECT_EQ(back.kwargs, m.kwargs);
  EXPECT_EQ(back.retries, 2);
  EXPECT_EQ(back.eta, m.eta);
  EXPECT_EQ(back.time_limit, 20.0);
  EXPECT_EQ(back.queue, "fast");
}

TEST(TasksMessage, ReadsCeleryResultsAndWritesTheirShape) {
  const auto r = mp::tasks::decode_result(celery_failure);
  EXPECT_EQ(r.state, mp::tasks::State::failure);
  ASSERT_TRUE(r.exception);
  EXPECT_EQ(r.exception->type, "ValueError");
  EXPECT_EQ(r.exception->module, "builtins");
  EXPECT_EQ(r.exception->message, "bad 7");
  const json mine = json::parse(mp::tasks::encode_result(r));
  const json theirs = json::parse(celery_failure);
  for (const char* k : {"status", "result", "traceback", "children", "date_done", "task_id"}) {
    EXPECT_EQ(mine[k], theirs[k]) << k;
  }
}

TEST(TasksMessage, CppExceptionsGetThePythonTypeACallerExpects) {
  auto info = [](auto e) { return mp::tasks::describe(std::make_exception_ptr(e)); };
  EXPECT_EQ(info(std::invalid_argument("x")).type, "ValueError");
  EXPECT_EQ(info(std::out_of_range("x")).type, "IndexError");
  EXPECT_EQ(info(mp::TimeoutError("x")).type, "TimeoutError");
  EXPECT_EQ(info(std::runtime_error("x")).module, "builtins");
  struct ParseError : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  const auto own = info(ParseError("line 3"));
  EXPECT_NE(own.type.find("ParseError"), std::string::npos);
  EXPECT_EQ(own.module, "mp.tasks");
  EXPECT_EQ(own.message, "line 3");
}

TEST(TasksMessage, TimesAndReprsAsPythonWritesThem) {
  using mp::tasks::parse_iso8601;
  EXPECT_EQ(parse_iso8601("2026-12-05T06:20:39.804674"), parse_iso8601("2026-12-05T08:20:39.804674+02:00"));
  EXPECT_EQ(parse_iso8601("2026-12-05T06:20:39Z"), parse_iso8601("2026-12-05T06:20:39.000+00:00"));
  EXPECT_EQ(mp::tasks::iso8601(parse_iso8601("2026-01-02T03:04:05.000006")), "2026-01-02T03:04:05.000006");
  EXPECT_EQ(mp::tasks::python_repr(json::array({1}), true), "(1,)");
  EXPECT_EQ(mp::tasks::python_repr(json::array({nullptr, false, 2.5, "a\nb"})),
            "[None, False, 2.5, 'a\\nb']");
  for (const char* bad : {"", "2026-13-01T00:00:00", "2026-12-05 06:20", "2026-12-05T06:20:39+0200", "x"}) {
    EXPECT_THROW((void)parse_iso8601(bad), ProtocolError) << bad;
  }
}

TEST(TasksMessage, HostileMessagesAreRefusedWithProtocolError) {
  const json good = json::parse(celery_message);
  auto with = [&](const std::string& path, json value) {
    json m = good;
    m[json::json_pointer(path)] = std::move(value);
    return m.dump();
  };
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::vector<std::string> bad = {
      "",
      "not json",
      "[1, 2]",
      deep,
      R"({"headers": {}, "properties": {}})",
      with("/content-type", "application/x-python-serialize"),
      with("/body", "%%% not base64 %%%"),
      with("/body", "W10="),  // base64 of []: not [args, kwargs, embed]
      with("/headers/task", 42),
      with("/headers/retries", "many"),
      with("/headers/eta", "tomorrow"),
      with("/headers/timelimit", "soon"),
      with("/properties", "none"),
  };
  for (const auto& raw : bad) {
    EXPECT_THROW((void)mp::tasks::decode_message(raw), ProtocolError) << raw.substr(0, 80);
  }
  for (const char* r : {"{}", R"({"status": "FAILURE", "result": 1})", R"({"status": "DONE"})", "[[[["}) {
    EXPECT_THROW((void)mp::tasks::decode_result(r), ProtocolError) << r;
  }
}

TEST(TasksMessage, AnOversizedMessageIsRefusedBeforeParsing) {
  const std::string huge((64U << 20) + 1, ' ');
  const std::size_t before = mp::testing::peak_rss();
  EXPECT_TRUE(
      mp::testing::throws_with<ProtocolError>([&] { (void)mp::tasks::decode_message(huge); }, "64 MiB"));
  EXPECT_LT(mp::testing::peak_rss() - before, std::size_t{8} << 20) << "no copy of the input was made";
}

}  // namespace

namespace {

TEST(TasksRedisUrl, ReadsCeleryStyleUrlsAndKeepsThePasswordOutOfMessages) {
  using mp::tasks::RedisUrl;
  const auto plain = RedisUrl::parse("redis://10.0.0.5:6380/2");
  EXPECT_EQ(plain.host, "10.0.0.5");
  EXPECT_EQ(plain.port, 6380);
  EXPECT_EQ(plain.db, 2);
  EXPECT_TRUE(plain.password.empty());
  const auto defaults = RedisUrl::parse("redis://");
  EXPECT_EQ(defaults.host, "127.0.0.1");
  EXPECT_EQ(defaults.port, 6379);
  const auto auth = RedisUrl::parse("redis://:s3cret@broker:7000/0");
  EXPECT_EQ(auth.password, "s3cret");
  EXPECT_TRUE(auth.user.empty());
  EXPECT_EQ(auth.host, "broker");
  const auto acl = RedisUrl::parse("redis://worker:pw@broker/1");
  EXPECT_EQ(acl.user, "worker");
  EXPECT_EQ(acl.password, "pw");
  EXPECT_EQ(acl.str().find("pw"), std::string::npos) << acl.str();
  for (const char* bad : {"amqp://guest@localhost//", "redis://h:port/0", "redis://h:1/x"}) {
    EXPECT_THROW((void)RedisUrl::parse(bad), mp::ValueError) << bad;
  }
}

}  // namespace
