// Lesson 00, exercise 2: latch (contract: exercises/00-threads/latch.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): each test makes the
// Latch, and the threads that use it, in a child that loaded the student's
// code, and returns what it observed (counts, results of wait, times in
// milliseconds); the parent checks them. Every wait has a deadline; threads
// are started together on an atomic flag, never ordered by sleeping.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include <mp/error.hpp>
#include <mp/timeout.hpp>

#include "latch.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson00::Latch;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::raised_by;
using mp::testing::scaled;
using mp::testing::threw;
using Clock = std::chrono::steady_clock;

// Whether thread `tid` of this process sleeps in the kernel (state S in /proc).
bool thread_sleeping(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'S';
}

std::int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

TEST(Latch, RejectsANegativeCount) {
  const std::string negative = raised_by([] { Latch l(-1); });  // every call first, then the checks
  const std::string zero = raised_by([] { Latch l(0); });
  EXPECT_EQ(negative, "mp::ValueError") << "Latch(-1) must throw mp::ValueError";
  EXPECT_EQ(zero, "") << "Latch(0) is a latch that is open from the start";
}

TEST(Latch, CountsDownAndOpens) {
  const Observations obs = in_student([] {
    Observations o;
    Latch l(3);
    o["count at 3"] = l.count();
    o["open at 3"] = l.try_wait() ? 1 : 0;
    l.count_down();
    o["count after 1"] = l.count();
    l.count_down(2);
    o["count after 3"] = l.count();
    o["open at 0"] = l.try_wait() ? 1 : 0;
    o["wait when open"] = l.wait(1ms) ? 1 : 0;
    o["wait forever when open"] = l.wait() ? 1 : 0;
    l.count_down(0);
    o["count_down(0) when open"] = l.count();
    Latch open(0);
    o["Latch(0) open"] = open.try_wait() ? 1 : 0;
    o["Latch(0) wait"] = open.wait(mp::Timeout::zero()) ? 1 : 0;
    return o;
  });
  EXPECT_EQ(obs.at("count at 3"), 3);
  EXPECT_EQ(obs.at("open at 3"), 0) << "try_wait() on Latch(3) must be false";
  EXPECT_EQ(obs.at("count after 1"), 2) << "count_down() subtracts 1";
  EXPECT_EQ(obs.at("count after 3"), 0) << "count_down(2) subtracts 2";
  EXPECT_EQ(obs.at("open at 0"), 1) << "at a count of 0 the latch is open: try_wait() is true";
  EXPECT_EQ(obs.at("wait when open"), 1) << "wait(timeout) on an open latch returns true at once";
  EXPECT_EQ(obs.at("wait forever when open"), 1);
  EXPECT_EQ(obs.at("count_down(0) when open"), 0);
  EXPECT_EQ(obs.at("Latch(0) open"), 1) << "Latch(0) is open from the start";
  EXPECT_EQ(obs.at("Latch(0) wait"), 1);
}

TEST(Latch, CountingDownPastZeroThrowsAndChangesNothing) {
  const Observations obs = in_student([] {
    Observations o;
    Latch l(2);
    o["count_down(3) threw"] = threw<mp::ValueError>([&] { l.count_down(3); });
    o["count after"] = l.count();
    o["count_down(-1) threw"] = threw<mp::ValueError>([&] { l.count_down(-1); });
    o["count after -1"] = l.count();
    l.count_down(2);
    o["count_down(1) when open threw"] = threw<mp::ValueError>([&] { l.count_down(1); });
    o["count when open"] = l.count();
    return o;
  });
  EXPECT_EQ(obs.at("count_down(3) threw"), 1) << "count_down(3) on a count of 2 must throw mp::ValueError";
  EXPECT_EQ(obs.at("count after"), 2) << "a count_down that throws must leave the count unchanged";
  EXPECT_EQ(obs.at("count_down(-1) threw"), 1) << "count_down(-1) must throw mp::ValueError";
  EXPECT_EQ(obs.at("count after -1"), 2);
  EXPECT_EQ(obs.at("count_down(1) when open threw"), 1) << "count_down(1) on an open latch must throw";
  EXPECT_EQ(obs.at("count when open"), 0);
}

TEST(Latch, WaitTimesOut) {
  const Observations obs = in_student([] {
    Observations o;
    Latch l(1);
    auto t0 = Clock::now();
    o["wait(100ms)"] = l.wait(100ms) ? 1 : 0;
    o["ms"] = ms_since(t0);
    t0 = Clock::now();
    o["wait(zero)"] = l.wait(mp::Timeout::zero()) ? 1 : 0;
    o["ms zero"] = ms_since(t0);
    o["count"] = l.count();
    return o;
  });
  EXPECT_EQ(obs.at("wait(100ms)"), 0)
      << "wait(100ms) on a closed latch that nobody counts down returns false";
  EXPECT_GE(obs.at("ms"), 95) << "wait(100ms) returned after " << obs.at("ms") << " ms: too early";
  EXPECT_LT(obs.at("ms"), scaled(2s).count()) << "wait(100ms) returned after " << obs.at("ms") << " ms";
  EXPECT_EQ(obs.at("wait(zero)"), 0);
  EXPECT_LT(obs.at("ms zero"), scaled(500ms).count()) << "wait(Timeout::zero()) must not block";
  EXPECT_EQ(obs.at("count"), 1) << "a wait that times out changes nothing";
}

// 16 threads wait; another thread counts down to zero: every waiter wakes, at
// once. notify_one wakes one; no notify at all wakes none.
TEST(Latch, EveryWaiterWakes) {
  constexpr int waiters = 16;
  const Observations obs = in_student([] {
    Latch l(2);
    std::atomic<int> woke{0}, late{0}, ready{0};
    std::vector<std::atomic<pid_t>> tids(waiters);
    {
      std::vector<std::jthread> ts;
      for (int i = 0; i < waiters; ++i)
        ts.emplace_back([&, i] {
          tids[static_cast<std::size_t>(i)] = ::gettid();
          ++ready;
          const auto t0 = Clock::now();
          const bool open = l.wait(scaled(3s));
          if (open) ++woke;
          if (ms_since(t0) > scaled(1500ms).count()) ++late;
        });
      while (ready.load() < waiters) std::this_thread::yield();
      // Count down once they all sleep in wait() (at most 2 s; the checks hold in any order:
      // this only makes the sleeping path the one tested).
      const auto until = Clock::now() + scaled(2s);
      while (Clock::now() < until && !std::all_of(tids.begin(), tids.end(), [](const std::atomic<pid_t>& t) {
               return thread_sleeping(t);
             })) {
        std::this_thread::yield();
      }
      std::jthread counter([&] {
        l.count_down();
        l.count_down();
      });
    }
    Observations o;
    o["woke"] = woke;
    o["late"] = late;
    return o;
  });
  EXPECT_EQ(obs.at("woke"), waiters)
      << obs.at("woke") << " of " << waiters
      << " waiters saw the latch open: when the count reaches zero, wake EVERY waiter (notify_all, not "
         "notify_one), and a waiter must check the count again after it wakes";
  EXPECT_EQ(obs.at("late"), 0) << obs.at("late")
                               << " waiters woke only at their timeout: the thread that brings the count to "
                                  "zero must notify (notify_all) the condition variable";
}

// Eight threads count down 160 000 times in all, at once: a count changed
// without the lock loses decrements, and the latch never opens.
TEST(Latch, ManyThreadsCountDownExactly) {
  constexpr int threads = 8;
  constexpr int each = 20'000;
  const Observations obs = in_student(
      [] {
        Latch l(std::int64_t{threads} * each);
        std::atomic<bool> go{false};
        std::atomic<int> threw_count{0};
        {
          std::vector<std::jthread> ts;
          for (int t = 0; t < threads; ++t)
            ts.emplace_back([&] {
              while (!go) std::this_thread::yield();
              for (int i = 0; i < each; ++i) {
                try {
                  l.count_down();
                } catch (const mp::ValueError&) {
                  ++threw_count;
                }
              }
            });
          go = true;
        }
        Observations o;
        o["count"] = l.count();
        o["open"] = l.try_wait() ? 1 : 0;
        o["wait"] = l.wait(scaled(1s)) ? 1 : 0;
        o["threw"] = threw_count;
        return o;
      },
      scaled(60s));
  EXPECT_EQ(obs.at("threw"), 0) << "count_down() threw although the count was positive";
  EXPECT_EQ(obs.at("count"), 0) << "after 160000 count_down() from 8 threads, the count is "
                                << obs.at("count")
                                << ", not 0: decrements were lost. Change count_ only while holding mutex_ "
                                   "(lesson 00, \"Data races\")";
  EXPECT_EQ(obs.at("open"), 1);
  EXPECT_EQ(obs.at("wait"), 1);
}

// Eight threads each try 1 000 count_down(1) on a Latch(1000): exactly 1000
// succeed. A check and a subtraction that are not under one lock let more
// through (the count goes below zero) or fewer.
TEST(Latch, CheckAndSubtractAreOneStep) {
  const Observations obs = in_student(
      [] {
        Latch l(1000);
        std::atomic<bool> go{false};
        std::atomic<int> done{0}, refused{0};
        {
          std::vector<std::jthread> ts;
          for (int t = 0; t < 8; ++t)
            ts.emplace_back([&] {
              while (!go) std::this_thread::yield();
              for (int i = 0; i < 1000; ++i) {
                try {
                  l.count_down();
                  ++done;
                } catch (const mp::ValueError&) {
                  ++refused;
                }
              }
            });
          go = true;
        }
        Observations o;
        o["done"] = done;
        o["refused"] = refused;
        o["count"] = l.count();
        return o;
      },
      scaled(60s));
  EXPECT_EQ(obs.at("done"), 1000) << obs.at("done")
                                  << " count_down() calls succeeded on a Latch(1000), not 1000: check n <= "
                                     "count_ and subtract under ONE lock (a check-then-act race)";
  EXPECT_EQ(obs.at("refused"), 7000);
  EXPECT_EQ(obs.at("count"), 0);
}

// 2 000 rounds: one thread waits while another counts a Latch(1) down, both
// started together. A waiter that checks the count without the lock, or
// waits without checking it, may sleep through the one notification (a lost
// wake-up), and then only its timeout ends the wait.
TEST(Latch, NoLostWakeUp) {
  const Observations obs = in_student(
      [] {
        Observations o;
        o["rounds"] = 0;
        o["lost"] = 0;
        o["slowest ms"] = 0;
        for (int r = 0; r < 2000; ++r) {
          Latch l(1);
          std::atomic<int> ready{0};
          bool opened = false;
          std::int64_t ms = 0;
          {
            std::jthread waiter([&] {
              ++ready;
              while (ready.load() < 2) std::this_thread::yield();
              const auto t0 = Clock::now();
              opened = l.wait(scaled(1s));
              ms = ms_since(t0);
            });
            std::jthread counter([&] {
              ++ready;
              while (ready.load() < 2) std::this_thread::yield();
              l.count_down();
            });
          }
          ++o["rounds"];
          if (!opened) ++o["lost"];
          o["slowest ms"] = std::max(o["slowest ms"], ms);
          if (!opened) break;
        }
        return o;
      },
      scaled(90s));
  EXPECT_EQ(obs.at("lost"), 0) << "in round " << obs.at("rounds")
                               << ", wait() slept through the count_down() and timed out (a lost wake-up): "
                                  "wait on the condition variable with the lock held and the count checked "
                                  "under that lock (cv.wait(lock, predicate)), and count down under the same "
                                  "lock";
  EXPECT_LT(obs.at("slowest ms"), scaled(900ms).count())
      << "a wait() took " << obs.at("slowest ms") << " ms to see a count_down() made at the same time";
}

}  // namespace
