// Lesson 05, exercise 2: ShardedCounter (contract: exercises/05-shared-memory/sharded_counter.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): each test uses the
// counter in a child that loaded the student's code and names what it saw
// (Observations); the checks run here. The counter's own children are
// mp::Process and report through their exit codes; every wait has a deadline.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <mp/detail/shared_region.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>

#include "sharded_counter.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson05::ShardedCounter;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::scaled;
using mp::testing::start;
using mp::testing::threw;
using Clock = std::chrono::steady_clock;

// The exit code of `p` once joined within `deadline` (scaled); -1000 when it
// was still running then (it is killed).
std::int64_t joined(mp::Process& p, std::chrono::milliseconds deadline = 10s) {
  if (p.join(scaled(deadline))) return p.exitcode().value_or(-1000);
  p.kill();
  (void)p.join(scaled(5s));
  return -1000;
}

constexpr const char* lost_update =
    "increments were lost: two processes (or threads) on one shard did a plain read-add-write (a lost "
    "update). Add with one atomic read-modify-write: std::atomic_ref<std::int64_t>(count).fetch_add(n) "
    "(lesson 05, \"Lost updates: value += 1 is not atomic\")";

TEST(ShardedCounter, RejectsABadShardCount) {
  auto obs = in_student([] {
    return Observations{{"0 shards", threw<mp::ValueError>([] { ShardedCounter c(0); })},
                        {"4097 shards", threw<mp::ValueError>([] { ShardedCounter c(4097); })},
                        {"4096 shards", threw<mp::ValueError>([] { ShardedCounter c(4096); })}};
  });
  EXPECT_EQ(obs["0 shards"], 1) << "ShardedCounter(0) must throw mp::ValueError";
  EXPECT_EQ(obs["4097 shards"], 1) << "ShardedCounter(4097) must throw mp::ValueError";
  EXPECT_EQ(obs["4096 shards"], 0) << "ShardedCounter(4096) is allowed";
}

TEST(ShardedCounter, AddsAndSums) {
  auto obs = in_student([] {
    ShardedCounter c(4);
    Observations o;
    o["shards"] = static_cast<std::int64_t>(c.shards());
    o["new"] = c.value();
    c.add();
    o["after add()"] = c.value();
    c.add(41);
    o["after add(41)"] = c.value();
    c.add(-50);
    o["after add(-50)"] = c.value();
    c.add(std::int64_t{1} << 40);
    o["after add(2^40)"] = c.value();
    return o;
  });
  EXPECT_EQ(obs["shards"], 4);
  EXPECT_EQ(obs["new"], 0) << "a new counter is 0";
  EXPECT_EQ(obs["after add()"], 1) << "add() adds 1";
  EXPECT_EQ(obs["after add(41)"], 42);
  EXPECT_EQ(obs["after add(-50)"], -8) << "add(n) takes negative n too";
  EXPECT_EQ(obs["after add(2^40)"], (std::int64_t{1} << 40) - 8) << "counts are 64-bit";
}

TEST(ShardedCounter, CopiesAreTheSameCounter) {
  auto obs = in_student([] {
    ShardedCounter c(3);
    ShardedCounter copy = c;  // NOLINT(performance-unnecessary-copy-initialization): the point of the test
    copy.add(7);
    c.add(1);
    return Observations{{"original", c.value()}, {"copy", copy.value()}};
  });
  EXPECT_EQ(obs["original"], 8) << "an add on a copy must show in the original: share slots_, do not copy it";
  EXPECT_EQ(obs["copy"], 8);
}

// One shard: all threads add to one count at once, a plain `+=` loses updates.
TEST(ShardedCounter, ThreadsOfOneProcessLoseNothing) {
  constexpr int threads = 4;
  constexpr std::int64_t per_thread = 500'000;
  auto obs = in_student([] {
    ShardedCounter c(1);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&c] {
        for (std::int64_t i = 0; i < per_thread; ++i) c.add();
      });
    for (auto& t : ts) t.join();
    return Observations{{"value", c.value()}};
  });
  EXPECT_EQ(obs["value"], threads * per_thread) << threads * per_thread - obs["value"] << " " << lost_update;
}

TEST(ShardedCounter, ChildAddsShowInTheParent) {
  auto obs = in_student([] {
    ShardedCounter c(4);
    c.add(5);
    mp::Process child = start([c]() mutable { c.add(37); });
    Observations o;
    o["child exit code"] = joined(child);
    o["value"] = c.value();
    return o;
  });
  EXPECT_EQ(obs["child exit code"], 0);
  EXPECT_EQ(obs["value"], 42)
      << "a child's add() must show in the parent: the counts must be in shared memory "
         "made before the fork (an mp::RawArray), not in the object";
}

// Exact totals: 8 processes on one shard (every add on the same count), then
// on 3 shards.
TEST(ShardedCounter, ManyProcessesLoseNothing) {
  constexpr int procs = 8;
  constexpr std::int64_t per_process = 200'000;
  auto obs = in_student([] {
    Observations o{{"failed processes", 0}};
    for (const std::size_t shards : {1, 3}) {
      ShardedCounter c(shards);
      std::vector<mp::Process> ps;
      for (int p = 0; p < procs; ++p)
        ps.push_back(start([c]() mutable {
          for (std::int64_t i = 0; i < per_process; ++i) c.add();
        }));
      for (auto& p : ps) o["failed processes"] += joined(p, 30s) != 0 ? 1 : 0;
      o["value with " + std::to_string(shards) + " shards"] = c.value();
    }
    return o;
  });
  EXPECT_EQ(obs["failed processes"], 0) << "processes that failed (an exception, or not done in time)";
  EXPECT_EQ(obs["value with 1 shards"], procs * per_process)
      << procs * per_process - obs["value with 1 shards"] << " " << lost_update;
  EXPECT_EQ(obs["value with 3 shards"], procs * per_process)
      << procs * per_process - obs["value with 3 shards"] << " " << lost_update;
}

// value() read while others add: never below an earlier reading, never
// beyond the final total, and exact once they are done.
TEST(ShardedCounter, ValueWhileOthersAdd) {
  constexpr int procs = 3;
  constexpr std::int64_t per_process = 300'000;
  auto obs = in_student([] {
    ShardedCounter c(8);
    std::vector<mp::Process> ps;
    for (int p = 0; p < procs; ++p)
      ps.push_back(start([c]() mutable {
        for (std::int64_t i = 0; i < per_process; ++i) c.add(2);
      }));
    Observations o{{"decreased", 0}, {"beyond the total", 0}, {"readings", 0}};
    std::int64_t last = 0;
    for (bool running = true; running;) {
      running = false;
      for (auto& p : ps) running = running || p.is_alive();
      const std::int64_t v = c.value();
      o["decreased"] += v < last ? 1 : 0;
      o["beyond the total"] += v > 2 * procs * per_process ? 1 : 0;
      ++o["readings"];
      last = v;
    }
    o["failed processes"] = 0;
    for (auto& p : ps) o["failed processes"] += joined(p) != 0 ? 1 : 0;
    o["final"] = c.value();
    return o;
  });
  EXPECT_EQ(obs["failed processes"], 0);
  EXPECT_EQ(obs["decreased"], 0)
      << "value() went down while others only added: read each shard's count once, "
         "and add up the shards";
  EXPECT_EQ(obs["beyond the total"], 0) << "value() went beyond what was ever added";
  EXPECT_EQ(obs["final"], 2 * procs * per_process) << lost_update;
}

// What a killed process added stays counted, and the counter works on.
TEST(ShardedCounter, AddsOfAKilledProcessStay) {
  auto obs = in_student([] {
    ShardedCounter c(4);
    auto added = mp::detail::make_shared_object<std::atomic<bool>>(false);
    mp::Process adder = start([c, added]() mutable {
      c.add(1000);
      added->store(true);
      for (;;) std::this_thread::sleep_for(1s);  // until killed
    });
    const bool ready = mp::testing::wait_until([&] { return added->load(); }, 5s);
    adder.kill();
    Observations o;
    o["adder ready"] = ready ? 1 : 0;
    o["adder exit code"] = joined(adder, 5s);
    o["value"] = c.value();
    c.add(1);
    o["then"] = c.value();
    return o;
  });
  ASSERT_EQ(obs["adder ready"], 1) << "the adding process did not get past add(1000) within 5 s";
  EXPECT_EQ(obs["adder exit code"], -SIGKILL);
  EXPECT_EQ(obs["value"], 1000) << "the adds of a killed process must stay counted";
  EXPECT_EQ(obs["then"], 1001);
}

}  // namespace
