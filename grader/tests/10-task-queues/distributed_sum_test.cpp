// Lesson 10, exercise 1: distributed_sum (contract: exercises/10-task-queues/distributed_sum.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): each test's child starts a
// redis-server and an mp::tasks worker (redis_fixture.hpp: the harness kills what a
// child leaves, so they live and die inside the child), then calls the student's
// distributed_sum. The workers weigh each number with a factor the test draws here, so
// only a sum computed by the workers is right; they count every call in Redis.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <mp/error.hpp>
#include <mp/tasks.hpp>

#include "distributed_sum.hpp"
#include "redis_fixture.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson10::distributed_sum;
using lesson10_testing::as_number;
using lesson10_testing::RedisHere;
using lesson10_testing::WorkerHere;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;

constexpr const char* reread = "reread lessons/10-task-queues/README.md, \"Exercise 1: distributed_sum\"";

// How the workers behave: set in the child before the worker process is forked.
struct Behaviour {
  std::int64_t factor = 1;
  std::int64_t fail_mod = 0;  // a chunk whose first number % fail_mod == 0 fails ...
  int fail_times = 0;         // ... its first fail_times calls
  int delay_ms = 0;           // each call takes this long
  int meet = 0;               // each call waits (up to 5 s) until this many calls have started
};
Behaviour behaviour;
std::string worker_url;

std::int64_t weigh(std::vector<std::int64_t> xs) {
  mp::tasks::Redis r(worker_url);
  r.command({"INCR", "lesson10:calls"});
  const long long n =
      xs.empty() ? 1 : r.command({"INCR", "lesson10:sent:" + std::to_string(xs.front())}).integer;
  if (behaviour.meet > 0) {
    r.command({"INCR", "lesson10:arrived"});
    const bool met = lesson10_testing::wait_for(
        r,
        [](mp::tasks::Redis& c) {
          return as_number(c.command({"GET", "lesson10:arrived"})) >= behaviour.meet;
        },
        5s);
    if (met) r.command({"INCR", "lesson10:met"});
  }
  if (behaviour.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(behaviour.delay_ms));
  if (behaviour.fail_mod > 0 && !xs.empty() && xs.front() % behaviour.fail_mod == 0 &&
      n <= behaviour.fail_times)
    throw std::runtime_error("transient failure " + std::to_string(n));
  std::int64_t w = 0;
  for (const auto x : xs) w += x * behaviour.factor + (x % 7);
  return w;
}

std::int64_t expected_sum(const std::vector<std::int64_t>& xs, std::int64_t factor) {
  std::int64_t w = 0;
  for (const auto x : xs) w += x * factor + (x % 7);
  return w;
}

std::int64_t draw_factor() {
  std::random_device rd;
  return 1000 + static_cast<std::int64_t>(rd() % 100000);
}

std::vector<std::int64_t> iota(std::int64_t n) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = 1; i <= n; ++i) v.push_back(i);
  return v;
}

// In the child: Redis, a worker of `concurrency` processes, then the student's call.
struct Run {
  std::int64_t total = 0;
  Observations obs;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(total, obs);
  }
};

Run run_sum(const Behaviour& b, int concurrency, const std::vector<std::int64_t>& numbers, std::size_t chunk,
            int attempts, std::chrono::milliseconds deadline) {
  RedisHere redis;
  behaviour = b;
  worker_url = redis.url();
  Run out;
  {
    WorkerHere worker(
        redis.url(), {.concurrency = concurrency, .prefetch_multiplier = 1},
        [](mp::tasks::Worker& w) { w.register_task("lesson10.weigh", weigh, {.max_retries = 0}); });
    const auto start = Clock::now();
    out.total = distributed_sum(redis.url(), numbers, chunk, attempts, deadline);
    out.obs["ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  }
  // (an mp::tasks::App here also links the App's code into this program, which the
  // student's object binds to)
  out.obs["left on the queue"] = static_cast<std::int64_t>(mp::tasks::App(redis.url()).queue_length());
  mp::tasks::Redis r(redis.url());
  out.obs["calls"] = as_number(r.command({"GET", "lesson10:calls"}));
  out.obs["met"] = as_number(r.command({"GET", "lesson10:met"}));
  for (std::size_t i = 0; i < numbers.size(); i += chunk)
    out.obs["sent " + std::to_string(numbers[i])] =
        as_number(r.command({"GET", "lesson10:sent:" + std::to_string(numbers[i])}));
  return out;
}

// ---------------------------------------------------------------- results and retries

TEST(DistributedSum, SumsEveryChunkOnTheWorkers) {
  const Behaviour b{.factor = draw_factor()};
  const auto numbers = iota(1000);
  const auto got = in_student([&] { return run_sum(b, 2, numbers, 64, 3, scaled(20s)); }, 60s);
  EXPECT_EQ(got.total, expected_sum(numbers, b.factor))
      << "add up what the tasks return: the workers weigh each number (" << reread << ")";
  EXPECT_EQ(got.obs.at("calls"), 16)
      << "1 000 numbers in chunks of 64: 16 calls of lesson10.weigh, one per chunk";
  for (std::size_t i = 0; i < numbers.size(); i += 64)
    EXPECT_EQ(got.obs.at("sent " + std::to_string(numbers[i])), 1) << "the chunk starting at " << numbers[i];
}

TEST(DistributedSum, ALastShorterChunk) {
  const Behaviour b{.factor = draw_factor()};
  const auto numbers = iota(10);
  const auto got = in_student([&] { return run_sum(b, 1, numbers, 4, 1, scaled(20s)); }, 60s);
  EXPECT_EQ(got.total, expected_sum(numbers, b.factor)) << "chunks of 4, 4 and 2 numbers";
  EXPECT_EQ(got.obs.at("calls"), 3);
}

TEST(DistributedSum, SendsAFailedChunkAgain) {
  const Behaviour b{.factor = draw_factor(), .fail_mod = 3, .fail_times = 2};
  const auto numbers = iota(300);
  const auto got = in_student([&] { return run_sum(b, 2, numbers, 10, 3, scaled(20s)); }, 60s);
  EXPECT_EQ(got.total, expected_sum(numbers, b.factor))
      << "a chunk whose task failed (mp::tasks::TaskError) must be sent again (" << reread << ")";
  for (std::size_t i = 0; i < numbers.size(); i += 10) {
    const auto first = numbers[i];
    EXPECT_EQ(got.obs.at("sent " + std::to_string(first)), first % 3 == 0 ? 3 : 1)
        << "the chunk starting at " << first
        << (first % 3 == 0 ? " fails twice, then succeeds" : " never fails");
  }
}

TEST(DistributedSum, GivesUpAfterItsAttempts) {
  const Behaviour b{.factor = draw_factor(), .fail_mod = 41, .fail_times = 1000};
  const auto numbers = iota(100);
  const auto obs = in_student(
      [&] {
        Observations o;
        try {
          (void)run_sum(b, 2, numbers, 10, 3, scaled(20s));
          o["returned"] = 1;
        } catch (const mp::tasks::TaskError&) {
          o["task error"] = 1;
        }
        return o;
      },
      60s);
  EXPECT_EQ(obs.count("task error"), 1u) << "the chunk starting at 41 always fails: after `attempts` sends "
                                            "its mp::tasks::TaskError must propagate";
}

TEST(DistributedSum, EmptyInput) {
  const auto got = in_student([&] { return run_sum(Behaviour{}, 1, {}, 8, 1, scaled(10s)); }, 60s);
  EXPECT_EQ(got.total, 0);
  EXPECT_EQ(got.obs.at("calls"), 0) << "no number, no task";
}

TEST(DistributedSum, RejectsBadArguments) {
  EXPECT_EQ(mp::testing::raised_by([] {
              (void)distributed_sum("redis://127.0.0.1:1/0", {1, 2}, 0, 3, 1s);
            }),
            "mp::ValueError")
      << "chunk_size 0: mp::ValueError, before connecting";
  EXPECT_EQ(mp::testing::raised_by([] {
              (void)distributed_sum("redis://127.0.0.1:1/0", {1, 2}, 1, 0, 1s);
            }),
            "mp::ValueError")
      << "attempts 0: mp::ValueError, before connecting";
}

// ---------------------------------------------------------------- the deadline and the workers

TEST(DistributedSum, EveryChunkIsSentBeforeWaiting) {
  // Each call waits until 4 calls have started: only 4 chunks sent at once meet.
  const Behaviour b{.factor = draw_factor(), .meet = 4};
  const auto numbers = iota(40);
  const auto got = in_student([&] { return run_sum(b, 4, numbers, 10, 1, scaled(30s)); }, 60s);
  EXPECT_EQ(got.total, expected_sum(numbers, b.factor));
  EXPECT_EQ(got.obs.at("met"), 4)
      << "the 4 chunks' tasks must run at the same time on the 4 worker processes: "
         "send every chunk (delay) before waiting for any result";
}

TEST(DistributedSum, OneDeadlineForTheWholeCall) {
  // 8 chunks of 200 ms on one worker process: 1.6 s of work, 500 ms allowed.
  const Behaviour b{.factor = draw_factor(), .delay_ms = 200};
  const auto numbers = iota(80);
  const auto obs = in_student(
      [&] {
        Observations o;
        const auto start = Clock::now();
        try {
          (void)run_sum(b, 1, numbers, 10, 1, 500ms);
          o["returned"] = 1;
        } catch (const mp::TimeoutError&) {
          o["timeout"] = 1;
          o["ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        }
        return o;
      },
      60s);
  ASSERT_EQ(obs.count("timeout"), 1u) << "the work takes 1.6 s, the deadline is 500 ms: mp::TimeoutError";
  EXPECT_LT(obs.at("ms"), scaled(1500ms).count())
      << "mp::TimeoutError must come at the deadline: one deadline for the whole call, not one per chunk";
}

TEST(DistributedSum, RetriesCountAgainstTheDeadline) {
  // A chunk that always fails, 1000 attempts allowed: the deadline ends it.
  const Behaviour b{.factor = draw_factor(), .fail_mod = 1, .fail_times = 1000000};
  const auto numbers = iota(4);
  const auto obs = in_student(
      [&] {
        Observations o;
        o["timeout"] = mp::testing::threw<mp::TimeoutError>(
            [&] { (void)run_sum(b, 2, numbers, 2, 1000000, scaled(std::chrono::milliseconds(700))); });
        return o;
      },
      60s);
  EXPECT_EQ(obs.at("timeout"), 1) << "sending a failing chunk again and again must stop at the deadline";
}

}  // namespace
