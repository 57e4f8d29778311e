// Lesson 04, exercise 2: CountingSemaphore (contract: exercises/04-locks/counting_semaphore.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): each test uses the
// semaphore in a child that loaded the student's code and names what it saw
// (Observations); the checks run here. The semaphore's own children are
// mp::Process and report through their exit codes and shared memory made by
// the test; every wait has a deadline.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <mp/detail/shared_region.hpp>
#include <mp/error.hpp>
#include <mp/event.hpp>
#include <mp/process.hpp>
#include <mp/semaphore.hpp>

#include "counting_semaphore.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson04::CountingSemaphore;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::scaled;
using mp::testing::start;
using mp::testing::threw;
using Clock = std::chrono::steady_clock;

constexpr const char* reread_condition =
    " (lessons/04-locks/README.md, \"Condition: waiting for a predicate\")";
constexpr const char* reread_lost_update = " (lessons/04-locks/README.md, \"A lost update\")";

std::int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}
std::int64_t scaled_ms(std::chrono::milliseconds d) { return scaled(d).count(); }

// The exit code of `p` once joined within `deadline` (scaled); -1000 when it
// was still running then (it is killed).
std::int64_t joined(mp::Process& p, std::chrono::milliseconds deadline = 10s) {
  if (p.join(scaled(deadline))) return p.exitcode().value_or(-1000);
  p.kill();
  (void)p.join(scaled(5s));
  return -1000;
}

// Waits until the process `pid` has said it is about to call acquire() (one
// unit of `about_to_acquire`), then (polling /proc, with a deadline) until it
// sleeps: blocked in acquire(), inside the condition's wait.
bool asleep_in_acquire(mp::Semaphore& about_to_acquire, pid_t pid) {
  return about_to_acquire.acquire(true, scaled(5s)) && mp::testing::wait_until_sleeping(pid, 5s);
}

// ---------------------------------------------------------------------------
// one process

TEST(CountingSemaphore, RejectsBadArguments) {
  auto obs = in_student([] {
    Observations o;
    o["value -1"] = threw<mp::ValueError>([] { CountingSemaphore s(-1); });
    o["max below value"] = threw<mp::ValueError>([] { CountingSemaphore s(3, 2); });
    CountingSemaphore s(1);
    o["release(0)"] = threw<mp::ValueError>([&] { s.release(0); });
    o["release(-2)"] = threw<mp::ValueError>([&] { s.release(-2); });
    o["value"] = s.get_value();
    return o;
  });
  EXPECT_EQ(obs["value -1"], 1) << "CountingSemaphore(-1) must throw mp::ValueError";
  EXPECT_EQ(obs["max below value"], 1) << "CountingSemaphore(3, 2) must throw mp::ValueError";
  EXPECT_EQ(obs["release(0)"], 1) << "release(0) must throw mp::ValueError";
  EXPECT_EQ(obs["release(-2)"], 1) << "release(-2) must throw mp::ValueError";
  EXPECT_EQ(obs["value"], 1) << "a rejected release must change nothing";
}

TEST(CountingSemaphore, CountsDownAndUp) {
  auto got = in_student([] {
    CountingSemaphore s(3);
    std::vector<std::int64_t> seen{s.get_value()};
    for (int i = 0; i < 3; ++i) seen.push_back(s.acquire() ? 1 : 0);
    seen.push_back(s.get_value());
    seen.push_back(s.acquire(false) ? 1 : 0);
    s.release();
    seen.push_back(s.get_value());
    s.release(4);
    seen.push_back(s.get_value());
    for (int i = 0; i < 5; ++i) seen.push_back(s.acquire(true, 100ms) ? 1 : 0);
    seen.push_back(s.get_value());
    return seen;
  });
  EXPECT_EQ(got, (std::vector<std::int64_t>{3, 1, 1, 1, 0, 0, 1, 5, 1, 1, 1, 1, 1, 0}))
      << "value 3; three acquires; value; acquire(false) at 0; release(); value; release(4); value; five "
         "acquire(true, 100ms); value";
}

TEST(CountingSemaphore, DefaultIsOne) {
  auto got = in_student([] {
    CountingSemaphore s;
    return std::vector<std::int64_t>{s.get_value(), s.acquire(false) ? 1 : 0, s.acquire(false) ? 1 : 0};
  });
  EXPECT_EQ(got, (std::vector<std::int64_t>{1, 1, 0}));
}

TEST(CountingSemaphore, AcquireTimesOut) {
  auto obs = in_student([] {
    CountingSemaphore s(0);
    Observations o;
    auto t0 = Clock::now();
    o["acquire(true, 100ms)"] = s.acquire(true, 100ms) ? 1 : 0;
    o["ms"] = ms_since(t0);
    t0 = Clock::now();
    o["acquire(false)"] = s.acquire(false) ? 1 : 0;
    o["acquire(true, 0ms)"] = s.acquire(true, 0ms) ? 1 : 0;
    o["nowait ms"] = ms_since(t0);
    o["value"] = s.get_value();
    return o;
  });
  EXPECT_EQ(obs["acquire(true, 100ms)"], 0) << "acquire(true, 100ms) at 0 must return false";
  EXPECT_GE(obs["ms"], 100) << "acquire(true, 100ms) gave up before its timeout";
  EXPECT_LT(obs["ms"], scaled_ms(1s)) << "acquire(true, 100ms) waited far longer than its timeout";
  EXPECT_EQ(obs["acquire(false)"], 0);
  EXPECT_EQ(obs["acquire(true, 0ms)"], 0);
  EXPECT_LT(obs["nowait ms"], scaled_ms(100ms)) << "acquire(false) and a zero timeout must not wait";
  EXPECT_EQ(obs["value"], 0) << "a failed acquire must not change the counter";
}

TEST(CountingSemaphore, BoundedReleaseThrows) {
  auto obs = in_student([] {
    CountingSemaphore s(2, 2);
    Observations o;
    o["release at the bound"] = threw<mp::ValueError>([&] { s.release(); });
    (void)s.acquire();
    o["release(2) past the bound"] = threw<mp::ValueError>([&] { s.release(2); });
    o["value"] = s.get_value();
    o["release() back to the bound"] = threw<mp::ValueError>([&] { s.release(); });
    o["value at the end"] = s.get_value();
    CountingSemaphore big(std::numeric_limits<int>::max() - 1);
    big.release();
    o["unbounded at INT_MAX"] = big.get_value() == std::numeric_limits<int>::max() ? 1 : 0;
    o["past INT_MAX"] = threw<mp::ValueError>([&] { big.release(); });
    return o;
  });
  EXPECT_EQ(obs["release at the bound"], 1) << "CountingSemaphore(2, 2).release() must throw mp::ValueError";
  EXPECT_EQ(obs["release(2) past the bound"], 1)
      << "release(2) at value 1 of bound 2 must throw mp::ValueError";
  EXPECT_EQ(obs["value"], 1) << "a release past the bound must release nothing";
  EXPECT_EQ(obs["release() back to the bound"], 0);
  EXPECT_EQ(obs["value at the end"], 2);
  EXPECT_EQ(obs["unbounded at INT_MAX"], 1);
  EXPECT_EQ(obs["past INT_MAX"], 1) << "the counter must not overflow an int: mp::ValueError past INT_MAX";
}

TEST(CountingSemaphore, CopiesShareTheCount) {
  auto obs = in_student([] {
    CountingSemaphore s(0);
    CountingSemaphore copy = s;  // NOLINT(performance-unnecessary-copy-initialization): the point of the test
    copy.release(2);
    Observations o;
    o["value of the original"] = s.get_value();
    o["acquire on the original"] = s.acquire(false) ? 1 : 0;
    o["value of the copy"] = copy.get_value();
    return o;
  });
  EXPECT_EQ(obs["value of the original"], 2) << "a release on a copy must show in the original";
  EXPECT_EQ(obs["acquire on the original"], 1);
  EXPECT_EQ(obs["value of the copy"], 1);
}

// ---------------------------------------------------------------------------
// between processes

TEST(CountingSemaphore, BlockedAcquireWakesUpOnRelease) {
  auto obs = in_student([] {
    CountingSemaphore s(0);
    mp::Semaphore ready(0);
    mp::Process waiter = start([s, ready]() mutable {
      ready.release();
      if (!s.acquire(true, scaled(10s))) mp::exit(3);
    });
    Observations o;
    o["waiter asleep"] = asleep_in_acquire(ready, *waiter.pid()) ? 1 : 0;
    const auto t0 = Clock::now();
    s.release();
    o["waiter exit code"] = joined(waiter);
    o["ms"] = ms_since(t0);
    o["value"] = s.get_value();
    return o;
  });
  EXPECT_EQ(obs["waiter asleep"], 1) << "acquire() at 0 must sleep (in the condition's wait), not spin";
  EXPECT_EQ(obs["waiter exit code"], 0) << "3: the waiting acquire was not woken by release() within 10 s: "
                                           "notify the condition in release()"
                                        << reread_condition;
  EXPECT_LT(obs["ms"], scaled_ms(1s)) << "the waiting acquire took long to wake up after release()";
  EXPECT_EQ(obs["value"], 0) << "the woken acquire must take the unit";
}

TEST(CountingSemaphore, ReleaseNWakesNWaiters) {
  auto obs = in_student([] {
    CountingSemaphore s(0);
    mp::Semaphore ready(0);
    std::vector<mp::Process> waiters;
    for (int i = 0; i < 3; ++i)
      waiters.push_back(start([s, ready]() mutable {
        ready.release();
        if (!s.acquire(true, scaled(10s))) mp::exit(3);
      }));
    Observations o{{"asleep", 0}, {"failed", 0}};
    for (auto& w : waiters) o["asleep"] += asleep_in_acquire(ready, *w.pid()) ? 1 : 0;
    const auto t0 = Clock::now();
    s.release(3);
    for (auto& w : waiters) o["failed"] += joined(w) != 0 ? 1 : 0;
    o["ms"] = ms_since(t0);
    o["value"] = s.get_value();
    return o;
  });
  EXPECT_EQ(obs["asleep"], 3);
  EXPECT_EQ(obs["failed"], 0) << "release(3) must wake three waiters (notify(n))" << reread_condition;
  EXPECT_LT(obs["ms"], scaled_ms(1s)) << "the three waiters woke up only at their timeout: release(n) must "
                                         "notify the condition (notify(n))"
                                      << reread_condition;
  EXPECT_EQ(obs["value"], 0);
}

// Semaphore(2), 6 processes: never more than 2 between acquire and release.
// `if (value == 0) wait(); --value;` lets a process through that was woken
// for a unit another took first (or woke spuriously): the counter goes
// below 0 and a third process gets in.
TEST(CountingSemaphore, AtMostValueInside) {
  struct Shared {
    std::atomic<int> inside{0};
    std::atomic<int> most{0};
    std::atomic<int> negative{0};
  };
  auto obs = in_student(
      [] {
        auto shared = mp::detail::make_shared_object<Shared>();
        CountingSemaphore s(2);
        std::vector<mp::Process> procs;
        for (int p = 0; p < 6; ++p)
          procs.push_back(start([s, shared]() mutable {
            for (int i = 0; i < 3000; ++i) {
              if (!s.acquire(true, scaled(10s))) mp::exit(3);
              const int now = shared->inside.fetch_add(1) + 1;
              int most = shared->most.load();
              while (now > most && !shared->most.compare_exchange_weak(most, now)) {
              }
              if (i % 64 == 0) std::this_thread::yield();
              shared->inside.fetch_sub(1);
              s.release();
              if (s.get_value() < 0) shared->negative.store(1);
            }
          }));
        Observations o{{"failed", 0}};
        for (auto& p : procs) o["failed"] += joined(p, 30s) != 0 ? 1 : 0;
        o["most inside"] = shared->most.load();
        o["negative"] = shared->negative.load();
        o["value"] = s.get_value();
        return o;
      },
      60s);
  EXPECT_EQ(obs["failed"], 0) << "processes that failed (3: an acquire timed out after 10 s, -1000: stuck)";
  EXPECT_LE(obs["most inside"], 2)
      << "a CountingSemaphore(2) let " << obs["most inside"]
      << " processes in at once: after a wake-up, check the counter again before taking a unit (a while loop "
         "or wait_for, not an if)"
      << reread_condition;
  EXPECT_EQ(obs["negative"], 0) << "the counter went below 0";
  EXPECT_EQ(obs["value"], 2) << "6 x 3000 acquires and as many releases must leave the counter at 2";
}

// 4 processes release 5000 units each, 4 others acquire 5000 each: every
// unit is taken exactly once and none is lost or made (the counter is
// changed under the lock, or updates are lost).
TEST(CountingSemaphore, NoUnitLostOrMade) {
  auto obs = in_student(
      [] {
        CountingSemaphore s(0);
        std::vector<mp::Process> procs;
        for (int p = 0; p < 4; ++p) {
          procs.push_back(start([s]() mutable {
            for (int i = 0; i < 5000; ++i) s.release();
          }));
          procs.push_back(start([s]() mutable {
            for (int i = 0; i < 5000; ++i)
              if (!s.acquire(true, scaled(10s))) mp::exit(3);
          }));
        }
        Observations o{{"failed", 0}};
        for (auto& p : procs) o["failed"] += joined(p, 30s) != 0 ? 1 : 0;
        o["value"] = s.get_value();
        o["one more"] = s.acquire(false) ? 1 : 0;
        return o;
      },
      60s);
  EXPECT_EQ(obs["failed"], 0) << "an acquirer waited 10 s for units that 20000 releases should have given "
                                 "(exit code 3), or a process failed: units were lost (the counter changed "
                                 "without the lock: a lost update?"
                              << reread_lost_update << ")";
  EXPECT_EQ(obs["value"], 0)
      << "20000 releases and 20000 acquires must leave the counter at 0: units were made "
         "or lost"
      << reread_lost_update;
  EXPECT_EQ(obs["one more"], 0);
}

// A process killed while it waits in acquire() takes nothing with it.
TEST(CountingSemaphore, KilledWaiterTakesNothing) {
  auto obs = in_student([] {
    CountingSemaphore s(0);
    mp::Semaphore ready(0);
    mp::Process victim = start([s, ready]() mutable {
      ready.release();
      (void)s.acquire();  // waits until killed: nobody releases while it lives
      mp::exit(9);
    });
    Observations o;
    o["victim asleep"] = asleep_in_acquire(ready, *victim.pid()) ? 1 : 0;
    victim.kill();
    o["victim exit code"] = joined(victim, 5s);
    mp::Process waiter = start([s, ready]() mutable {
      ready.release();
      if (!s.acquire(true, scaled(5s))) mp::exit(3);
    });
    (void)asleep_in_acquire(ready, *waiter.pid());
    s.release();
    o["waiter exit code"] = joined(waiter);
    s.release();
    o["value"] = s.get_value();
    o["acquire"] = s.acquire(false) ? 1 : 0;
    return o;
  });
  EXPECT_EQ(obs["victim asleep"], 1);
  EXPECT_EQ(obs["victim exit code"], -SIGKILL);
  EXPECT_EQ(obs["waiter exit code"], 0)
      << "after a waiter was killed, a release must still wake a live waiter";
  EXPECT_EQ(obs["value"], 1) << "the killed waiter must take no unit with it";
  EXPECT_EQ(obs["acquire"], 1);
}

}  // namespace
