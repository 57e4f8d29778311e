// Lesson 10, exercise 2: a tiny worker (contract: exercises/10-task-queues/tiny_worker.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): each test's child starts a
// redis-server (redis_fixture.hpp), pushes messages, and runs the student's worker,
// sometimes in a process of its own that the test kills in the middle of a message (the
// handler marks in Redis that it started: the test waits for that mark, never sleeps).
// The handlers are the test's: their results hold a token drawn here.
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <mp/error.hpp>
#include <mp/process.hpp>
#include <mp/tasks.hpp>

#include "redis_fixture.hpp"
#include "student_code.hpp"
#include "test_support.hpp"
#include "tiny_worker.hpp"

namespace {

using namespace std::chrono_literals;
using lesson10::TinyQueueKeys;
using lesson10_testing::as_number;
using lesson10_testing::RedisHere;
using lesson10_testing::wait_for;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;

constexpr const char* reread = "reread lessons/10-task-queues/README.md, \"Exercise 2: tiny_worker\"";

std::string draw_token() {
  std::random_device rd;
  return std::to_string(rd());
}

std::string message(int i) { return "task-" + std::to_string(i); }
std::string answer(const std::string& m, const std::string& token) { return m + "/done/" + token; }

void push(mp::tasks::Redis& r, const TinyQueueKeys& k, int n) {
  for (int i = 0; i < n; ++i) r.command({"LPUSH", k.queue, message(i)});
}

// What the test reads back from Redis after the worker(s).
Observations collect(mp::tasks::Redis& r, const TinyQueueKeys& k, int n, const std::string& token) {
  Observations o;
  o["queue"] = r.command({"LLEN", k.queue}).integer;
  o["processing"] = r.command({"LLEN", k.processing}).integer;
  o["results"] = r.command({"HLEN", k.results}).integer;
  std::int64_t right = 0;
  for (int i = 0; i < n; ++i) {
    const auto v = r.command({"HGET", k.results, message(i)});
    if (!v.is_nil() && v.str == answer(message(i), token)) ++right;
    o["runs " + message(i)] = as_number(r.command({"GET", "runs:" + message(i)}));
  }
  o["right results"] = right;
  return o;
}

// ---------------------------------------------------------------- take, run, acknowledge

TEST(TinyWorker, RunsEveryMessageOnce) {
  const std::string token = draw_token();
  const TinyQueueKeys keys;
  const auto obs = in_student(
      [&] {
        RedisHere redis;
        mp::tasks::Redis r(redis.url());
        push(r, keys, 50);
        const std::string url = redis.url();
        const auto done = lesson10::run_tiny_worker(
            url, keys,
            [&](const std::string& m) {
              mp::tasks::Redis c(url);
              c.command({"INCR", "runs:" + m});
              return answer(m, token);
            },
            200ms);
        auto o = collect(r, keys, 50, token);
        o["done"] = static_cast<std::int64_t>(done);
        return o;
      },
      60s);
  EXPECT_EQ(obs.at("done"), 50) << "run_tiny_worker returns how many messages it ran";
  EXPECT_EQ(obs.at("right results"), 50) << "HSET results <message> <handler's result> for each message";
  EXPECT_EQ(obs.at("queue"), 0);
  EXPECT_EQ(obs.at("processing"), 0)
      << "each message must be acknowledged (LREM processing) once its result is "
         "stored ("
      << reread << ")";
  for (int i = 0; i < 50; ++i) EXPECT_EQ(obs.at("runs " + message(i)), 1) << message(i) << " must run once";
}

TEST(TinyWorker, TheOldestMessageFirst) {
  const TinyQueueKeys keys{.queue = "q", .processing = "q.p", .results = "q.r"};
  const auto obs = in_student(
      [&] {
        RedisHere redis;
        mp::tasks::Redis r(redis.url());
        push(r, keys, 5);
        Observations o;
        std::int64_t order = 0;
        for (int i = 0; i < 5; ++i) {
          (void)lesson10::work_one(
              r, keys,
              [&](const std::string& m) {
                o["order " + m] = order++;
                return m;
              },
              1s);
        }
        return o;
      },
      60s);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(obs.at("order " + message(i)), i)
        << "LPUSH adds on the left: take from the RIGHT end (oldest first)";
}

TEST(TinyWorker, TheMessageIsOnProcessingWhileItRuns) {
  const TinyQueueKeys keys;
  const auto obs = in_student(
      [&] {
        RedisHere redis;
        mp::tasks::Redis r(redis.url());
        push(r, keys, 1);
        mp::tasks::Redis watcher(redis.url());
        Observations o;
        o["ran"] = lesson10::work_one(
            r, keys,
            [&](const std::string& m) {
              o["on processing while running"] =
                  watcher.command({"LPOS", keys.processing, m}).is_nil() ? 0 : 1;
              o["still on queue while running"] = watcher.command({"LPOS", keys.queue, m}).is_nil() ? 0 : 1;
              o["result stored before running"] = watcher.command({"HEXISTS", keys.results, m}).integer;
              return std::string("x");
            },
            1s);
        o["processing after"] = r.command({"LLEN", keys.processing}).integer;
        o["result after"] = r.command({"HEXISTS", keys.results, message(0)}).integer;
        return o;
      },
      60s);
  EXPECT_EQ(obs.at("ran"), 1);
  EXPECT_EQ(obs.at("on processing while running"), 1)
      << "take the message with BLMOVE queue processing: it must be on the processing list while the handler "
         "runs "
         "(that is what lets recover() find it if the worker dies)";
  EXPECT_EQ(obs.at("still on queue while running"), 0);
  EXPECT_EQ(obs.at("processing after"), 0) << "acknowledge (LREM) after storing the result";
  EXPECT_EQ(obs.at("result after"), 1);
}

TEST(TinyWorker, AFailingHandlerLeavesItsMessageUnacknowledged) {
  const TinyQueueKeys keys;
  const auto obs = in_student(
      [&] {
        RedisHere redis;
        mp::tasks::Redis r(redis.url());
        push(r, keys, 1);
        Observations o;
        o["threw"] = mp::testing::threw<std::runtime_error>([&] {
          (void)lesson10::work_one(
              r, keys, [](const std::string&) -> std::string { throw std::runtime_error("poison"); }, 1s);
        });
        o["processing"] = r.command({"LLEN", keys.processing}).integer;
        o["results"] = r.command({"HLEN", keys.results}).integer;
        return o;
      },
      60s);
  EXPECT_EQ(obs.at("threw"), 1) << "the handler's exception propagates";
  EXPECT_EQ(obs.at("processing"), 1)
      << "a message whose handler threw is not acknowledged: it stays on processing";
  EXPECT_EQ(obs.at("results"), 0);
}

TEST(TinyWorker, WaitsAtMostItsWait) {
  const TinyQueueKeys keys;
  const auto obs = in_student(
      [&] {
        RedisHere redis;
        mp::tasks::Redis r(redis.url());
        Observations o;
        const auto start = Clock::now();
        o["ran"] = lesson10::work_one(
            r, keys, [](const std::string& m) { return m; }, 300ms);
        o["ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        o["recovered"] = static_cast<std::int64_t>(lesson10::recover(r, keys));
        return o;
      },
      60s);
  EXPECT_EQ(obs.at("ran"), 0) << "an empty queue: work_one returns false after `wait`";
  EXPECT_GE(obs.at("ms"), 250) << "block on the queue (BLMOVE with a timeout), do not return at once";
  EXPECT_LT(obs.at("ms"), scaled(2000ms).count()) << "wait at most `wait`";
  EXPECT_EQ(obs.at("recovered"), 0) << "recover() on an empty processing list moves nothing";
}

// ---------------------------------------------------------------- a killed worker

// Runs 20 messages with a worker killed (SIGKILL) while it runs message `victim`, then
// recover() and a second worker.
Observations kill_and_recover(const TinyQueueKeys& keys, const std::string& token, int victim) {
  RedisHere redis;
  const std::string url = redis.url();
  mp::tasks::Redis r(url);
  push(r, keys, 20);
  const std::string held = message(victim);
  const lesson10::Handler handler = [url, token, held](const std::string& m) {
    mp::tasks::Redis c(url);
    const auto n = c.command({"INCR", "runs:" + m}).integer;
    if (m == held && n == 1) {  // the first run of the victim never ends: the worker is killed in it
      for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return answer(m, token);
  };
  Observations o;
  mp::Process first([&] { (void)lesson10::run_tiny_worker(url, keys, handler, std::chrono::seconds(5)); });
  first.start();
  (void)wait_for(
      r,
      [&](mp::tasks::Redis& c) {
        return as_number(c.command({"GET", "runs:" + held})) >= 1 || !first.is_alive();  // started, or failed
      },
      scaled(20s));
  o["victim started"] = as_number(r.command({"GET", "runs:" + held})) >= 1 ? 1 : 0;
  if (first.is_alive()) first.kill();
  (void)first.join(scaled(10s));
  if (o["victim started"] == 0) return o;
  o["on processing after the kill"] = r.command({"LPOS", keys.processing, held}).is_nil() ? 0 : 1;
  o["recovered"] = static_cast<std::int64_t>(lesson10::recover(r, keys));
  o["processing after recover"] = r.command({"LLEN", keys.processing}).integer;
  const auto done = lesson10::run_tiny_worker(url, keys, handler, 300ms);
  o["second worker ran"] = static_cast<std::int64_t>(done);
  for (const auto& [k, v] : collect(r, keys, 20, token)) o[k] = v;
  return o;
}

TEST(TinyWorker, AKilledWorkersMessageRunsAgain) {
  const std::string token = draw_token();
  const TinyQueueKeys keys;
  const auto obs = in_student([&] { return kill_and_recover(keys, token, 7); }, 90s);
  ASSERT_EQ(obs.at("victim started"), 1) << "the worker never ran " << message(7);
  EXPECT_EQ(obs.at("on processing after the kill"), 1)
      << "a worker killed in the middle of a message leaves it on the processing list (late acknowledgement)";
  EXPECT_EQ(obs.at("recovered"), 1) << "recover() moves the dead worker's message back to the queue";
  EXPECT_EQ(obs.at("processing after recover"), 0);
  EXPECT_EQ(obs.at("runs " + message(7)), 2)
      << message(7) << " must run again after the kill (at least once)";
  EXPECT_EQ(obs.at("right results"), 20)
      << "no message may be lost: every one has its result (" << reread << ")";
  EXPECT_EQ(obs.at("queue"), 0);
  EXPECT_EQ(obs.at("processing"), 0);
  for (int i = 0; i < 20; ++i) {
    if (i == 7) continue;
    EXPECT_EQ(obs.at("runs " + message(i)), 1) << message(i) << " ran before or after the kill, once";
  }
}

TEST(TinyWorker, AKilledWorkersFirstMessage) {
  const std::string token = draw_token();
  const TinyQueueKeys keys{.queue = "jobs", .processing = "jobs.w1", .results = "jobs.done"};
  const auto obs = in_student([&] { return kill_and_recover(keys, token, 0); }, 90s);
  ASSERT_EQ(obs.at("victim started"), 1);
  EXPECT_EQ(obs.at("recovered"), 1);
  EXPECT_EQ(obs.at("runs " + message(0)), 2);
  EXPECT_EQ(obs.at("right results"), 20) << "use the key names of `keys`, not fixed ones";
}

}  // namespace
