// mp::tasks end to end: an App in the test process, a Worker in a child, a
// real redis-server of the test's own. What a producer relies on: results,
// failures with their type, retries, time limits, ETAs, expiry, graceful stop.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "mp/tasks.hpp"
#include "tasks_support.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::tasks::App;
using mp::tasks::LocalRedis;
using mp::tasks::State;
using mp::tasks::TaskError;
using mp::testing::result_wait;

TEST(TasksWorker, TypedDelayReturnsTheResult) {
  LocalRedis redis;
  auto worker = mp::testing::start_worker(redis.url(), {.concurrency = 2});
  App app(redis.url());
  auto add = app.task<int(int, int)>("tests.add");
  EXPECT_EQ(add.delay(2, 3).get(result_wait()), 5);
  auto r = app.send_task("tests.echo", {"héllo"});
  EXPECT_EQ(r.get(result_wait()), "héllo");
  EXPECT_EQ(r.state(), State::success);
  EXPECT_TRUE(r.ready());
  worker->stop();
}

TEST(TasksWorker, AFailureCarriesThePythonTypeAndMessage) {
  LocalRedis redis;
  auto worker = mp::testing::start_worker(redis.url(), {.concurrency = 1});
  App app(redis.url());
  auto r = app.send_task("tests.boom", {7});
  try {
    (void)r.get(result_wait());
    ADD_FAILURE() << "no TaskError";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.type_name(), "ValueError");  // std::invalid_argument, as Python sees it
    EXPECT_EQ(e.module(), "builtins");
    EXPECT_EQ(e.message(), "bad 7");
    EXPECT_NE(e.traceback().find("tests.boom"), std::string::npos);
  }
  EXPECT_TRUE(r.failed());
  auto wrong = app.send_task("tests.add", {1});
  EXPECT_TRUE(mp::testing::throws_with<TaskError>([&] { (void)wrong.get(result_wait()); }, "TypeError"));
  auto unknown = app.send_task("tests.nobody", {});
  EXPECT_TRUE(
      mp::testing::throws_with<TaskError>([&] { (void)unknown.get(result_wait()); }, "NotRegistered"));
  worker->stop();
}

TEST(TasksWorker, AutoretryRunsAgainUntilItSucceeds) {
  LocalRedis redis;
  auto worker = mp::testing::start_worker(redis.url(), {.concurrency = 1});
  App app(redis.url());
  auto r = app.send_task("tests.flaky", {"flaky:1", 2});
  EXPECT_EQ(r.get(result_wait()), "ok after 2 failures");
  auto never = app.send_task("tests.flaky", {"flaky:2", 100});  // max_retries 5: the 6th failure is final
  EXPECT_TRUE(mp::testing::throws_with<TaskError>([&] { (void)never.get(result_wait()); }, "failure 6"));
  mp::tasks::Redis raw(redis.url());
  EXPECT_EQ(raw.command({"GET", "flaky:2"}).str, "6");
  worker->stop();
}

TEST(TasksWorker, TimeLimitsSoftRaisesHardKillsTheProcessAndTheWorkerGoesOn) {
  LocalRedis redis;
  auto worker = mp::testing::start_worker(redis.url(), {.concurrency = 1});
  App app(redis.url());
  auto soft = app.send_task("tests.sleep_ms", {5000}, {}, {.soft_time_limit = 0.1});
  EXPECT_TRUE(
      mp::testing::throws_with<TaskError>([&] { (void)soft.get(result_wait()); }, "SoftTimeLimitExceeded"));
  auto hard = app.send_task("tests.hold", {"held"}, {}, {.time_limit = 0.2});
  EXPECT_TRUE(
      mp::testing::throws_with<TaskError>([&] { (void)hard.get(result_wait()); }, "TimeLimitExceeded"));
  EXPECT_EQ(app.task<int(int, int)>("tests.add").delay(1, 1).get(result_wait()), 2)
      << "a new pool process took over";
  worker->stop();
}

TEST(TasksWorker, CountdownWaitsAndExpiredTasksAreRevoked) {
  LocalRedis redis;
  auto worker = mp::testing::start_worker(redis.url(), {.concurrency = 1});
  App app(redis.url());
  const auto t0 = std::chrono::steady_clock::now();
  auto later = app.send_task("tests.add", {1, 2}, {}, {.countdown = 300ms});
  auto now = app.send_task("tests.add", {2, 2});
  EXPECT_EQ(now.get(result_wait()), 4) << "a waiting ETA does not hold up the queue";
  EXPECT_EQ(later.get(result_wait()), 3);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
  auto expired = app.send_task("tests.add", {1, 1}, {}, {.expires = -1ms});
  EXPECT_TRUE(
      mp::testing::throws_with<TaskError>([&] { (void)expired.get(result_wait()); }, "TaskRevokedError"));
  EXPECT_EQ(expired.state(), State::revoked);
  worker->stop();
}

TEST(TasksWorker, SigtermFinishesTheRunningTaskAndTakesNoMore) {
  LocalRedis redis;
  auto worker = mp::testing::start_worker(redis.url(), {.concurrency = 1, .prefetch_multiplier = 1});
  App app(redis.url());
  mp::tasks::Redis raw(redis.url());
  auto running = app.send_task("tests.hold", {"started"});
  ASSERT_TRUE(mp::testing::wait_until(
      [&] {
        return raw.command({"GET", "started"}).str == "1";
      },
      result_wait()));
  auto queued = app.send_task("tests.add", {5, 5});
  worker->process().terminate();
  raw.command({"SET", "release", "1"});
  mp::testing::expect_joined_ok(worker->process(), 20s);
  EXPECT_EQ(running.get(result_wait()), 1) << "the running task finished and its result was stored";
  EXPECT_EQ(queued.state(), State::pending);
  EXPECT_EQ(app.queue_length(), 1U) << "the message it had not taken is still on the queue";
  EXPECT_EQ(raw.command({"HLEN", "unacked"}).integer, 0);
}

TEST(TasksWorker, PrefetchLimitsWhatOneWorkerTakes) {
  LocalRedis redis;
  auto worker = mp::testing::start_worker(redis.url(), {.concurrency = 1, .prefetch_multiplier = 2});
  App app(redis.url());
  mp::tasks::Redis raw(redis.url());
  for (int i = 0; i < 6; ++i) (void)app.send_task("tests.hold", {"holds"});
  ASSERT_TRUE(mp::testing::wait_until(
      [&] {
        return raw.command({"GET", "holds"}).str == "1";
      },
      result_wait()));
  ASSERT_TRUE(mp::testing::wait_until([&] { return app.queue_length() == 4; }, result_wait()));
  EXPECT_EQ(raw.command({"HLEN", "unacked"}).integer, 2) << "concurrency 1 x prefetch 2";
  raw.command({"SET", "release", "1"});
  ASSERT_TRUE(mp::testing::wait_until(
      [&] {
        return raw.command({"HLEN", "unacked"}).integer == 0 && app.queue_length() == 0;
      },
      result_wait()));
  worker->stop();
}

}  // namespace
