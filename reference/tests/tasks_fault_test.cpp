// mp::tasks under faults: a worker killed mid-task or right after taking a
// message (its message comes back after the visibility timeout and runs
// again), unreadable messages (dead letters; the worker goes on), Redis
// restarted under running workers (nothing lost with persistence on).
#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <string>

#include "mp/detail/fault_point.hpp"
#include "mp/tasks.hpp"
#include "tasks_support.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::tasks::App;
using mp::tasks::LocalRedis;
using mp::testing::result_wait;

const char* g_stop_at = nullptr;

bool settles(mp::tasks::Redis& raw, App& app) {  // nothing waiting, nothing unacknowledged
  return mp::testing::wait_until(
      [&] {
        return app.queue_length() == 0 && raw.command({"HLEN", "unacked"}).integer == 0;
      },
      result_wait());
}

TEST(TasksFault, AWorkerKilledMidTaskLosesNothingItsTaskRunsAgainElsewhere) {
  LocalRedis redis;
  App app(redis.url());
  mp::tasks::Redis raw(redis.url());
  auto first = mp::testing::start_worker(redis.url(), {.concurrency = 1, .visibility_timeout = 60s});
  auto r = app.send_task("tests.hold", {"runs"});
  ASSERT_TRUE(mp::testing::wait_until(
      [&] {
        return raw.command({"GET", "runs"}).str == "1";
      },
      result_wait()));
  first->kill();  // SIGKILL mid-task: no result, no ack
  EXPECT_EQ(raw.command({"HLEN", "unacked"}).integer, 1) << "the message waits in unacked";
  raw.command({"SET", "release", "1"});
  auto second = mp::testing::start_worker(redis.url(), {.concurrency = 1, .visibility_timeout = 300ms});
  EXPECT_EQ(r.get(result_wait()), 2) << "the second run's result (the task ran twice: at least once)";
  EXPECT_TRUE(settles(raw, app));
  EXPECT_EQ(raw.command({"GET", "runs"}).str, "2");
  second->stop();
}

TEST(TasksFault, AWorkerKilledRightAfterTakingAMessageLosesNothing) {
  LocalRedis redis;
  App app(redis.url());
  mp::tasks::Redis raw(redis.url());
  auto r = app.send_task("tests.add", {20, 22});
  const std::string url = redis.url();
  mp::testing::kill_at(g_stop_at, "tasks.taken", [&] {
    mp::tasks::Worker w(url, {.concurrency = 1, .visibility_timeout = 60s, .log = [](std::string_view) {}});
    mp::testing::register_test_tasks(w, url);
    w.run();
  });
  EXPECT_EQ(app.queue_length(), 0U);
  EXPECT_EQ(raw.command({"HLEN", "unacked"}).integer, 1) << "taken and recorded in one step";
  auto second = mp::testing::start_worker(redis.url(), {.concurrency = 1, .visibility_timeout = 200ms});
  EXPECT_EQ(r.get(result_wait()), 42);
  EXPECT_TRUE(settles(raw, app));
  second->stop();
}

TEST(TasksFault, UnreadableMessagesGoToTheDeadLettersAndTheWorkerGoesOn) {
  LocalRedis redis;
  App app(redis.url());
  mp::tasks::Redis raw(redis.url());
  raw.command({"LPUSH", "celery", "not json at all"});
  raw.command({"LPUSH", "celery", R"({"properties": {}})"});  // no delivery tag
  raw.command(
      {"LPUSH", "celery", R"({"headers": {"task": "tests.add", "id": "x"}, "content-type": "application/json",
      "properties": {"delivery_tag": "t1", "body_encoding": "base64"}, "body": "%%%"})"});
  auto worker = mp::testing::start_worker(redis.url(), {.concurrency = 1});
  EXPECT_EQ(app.task<int(int, int)>("tests.add").delay(2, 3).get(result_wait()), 5);
  EXPECT_EQ(raw.command({"LLEN", "celery.dead"}).integer, 3);
  EXPECT_EQ(raw.command({"HLEN", "unacked"}).integer, 0) << "the dead letters were acknowledged";
  worker->stop();
}

TEST(TasksFault, RedisRestartedUnderRunningWorkersLosesNoTask) {
  LocalRedis redis({.append_only = true});
  App app(redis.url());
  // A take whose reply the restart lost is put back by the worker as it reconnects (its
  // id in mp.unacked_owner); the visibility timeout is the bound behind that.
  auto worker = mp::testing::start_worker(redis.url(), {.concurrency = 2, .visibility_timeout = 10s});
  std::vector<mp::tasks::AsyncResult<>> results;
  for (int i = 0; i < 20; ++i) results.push_back(app.send_task("tests.sleep_ms", {20}));
  EXPECT_EQ(results.front().get(result_wait()), 20);
  redis.stop();  // mid-stream: some tasks queued, some running, some results unsaved
  redis.start();
  for (int i = 0; i < 5; ++i) results.push_back(app.send_task("tests.sleep_ms", {1}));
  for (auto& r : results) EXPECT_NO_THROW((void)r.get(result_wait())) << r.id();
  mp::tasks::Redis raw(redis.url());
  EXPECT_TRUE(settles(raw, app));
  worker->stop();
}

}  // namespace

// The runtime's fault points (mp/detail/fault_point.hpp): stops this process
// at the one the test chose for it.
void mp::detail::fault_point(const char* where, const char* /*detail*/) noexcept {
  if (g_stop_at != nullptr && std::strcmp(where, g_stop_at) == 0) ::raise(SIGSTOP);
}
