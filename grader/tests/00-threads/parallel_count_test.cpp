// Lesson 00, exercise 1: parallel_count (contract: exercises/00-threads/parallel_count.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): parallel_count runs in
// a child that loaded the student's code, with predicates the test chose; the
// expected counts are computed here with count_serial. The predicates record
// what they see (which numbers, from which threads) and the parent checks it.
// Every wait has a deadline.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <mp/error.hpp>

#include "parallel_count.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson00::count_serial;
using lesson00::is_prime;
using lesson00::parallel_count;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::raised_by;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;

TEST(ParallelCount, CountsThePrimesBelow100) {
  const auto got = in_student([] { return parallel_count(0, 100, 4, is_prime); });
  EXPECT_EQ(got, 25u) << "there are 25 primes below 100";
}

TEST(ParallelCount, AnEmptyRangeGivesZero) {
  const auto got = in_student([] { return parallel_count(7, 7, 3, [](std::uint64_t) { return true; }); });
  EXPECT_EQ(got, 0u) << "parallel_count(7, 7, ...): the range is empty";
}

TEST(ParallelCount, RejectsBadArguments) {
  const auto yes = [](std::uint64_t) { return true; };
  // Every call first, then the checks: a failed check here would fail the next in_student.
  const std::string no_threads = raised_by([&] { (void)parallel_count(0, 10, 0, yes); });
  const std::string negative = raised_by([&] { (void)parallel_count(0, 10, -2, yes); });
  const std::string backwards = raised_by([&] { (void)parallel_count(10, 5, 2, yes); });
  EXPECT_EQ(no_threads, "mp::ValueError")
      << "parallel_count(0, 10, 0 threads, ...) must throw mp::ValueError";
  EXPECT_EQ(negative, "mp::ValueError") << "parallel_count(0, 10, -2 threads, ...) must throw mp::ValueError";
  EXPECT_EQ(backwards, "mp::ValueError")
      << "parallel_count(10, 5, ...): first > last must throw mp::ValueError";
}

TEST(ParallelCount, MoreThreadsThanNumbers) {
  const auto got = in_student([] { return parallel_count(10, 14, 16, is_prime); });
  EXPECT_EQ(got, count_serial(10, 14, is_prime))
      << "16 threads for 4 numbers: some workers have nothing to test (11 and 13 are the primes)";
}

// Every number of the range is tested exactly once: the predicate counts its
// calls per number, and the child returns the numbers tested 0 or 2+ times.
TEST(ParallelCount, TestsEveryNumberExactlyOnce) {
  constexpr std::uint64_t first = 1'000, last = 101'003;  // not a multiple of any thread count
  const std::vector<int> thread_counts = {1, 2, 3, 5, 7};
  std::vector<Observations> seen;  // every call first, then the checks
  for (const int threads : thread_counts) {
    seen.push_back(in_student([threads] {
      auto calls = std::make_unique<std::atomic<int>[]>(last - first);
      const std::uint64_t got = parallel_count(first, last, threads, [&calls](std::uint64_t n) {
        if (n < first || n >= last) return false;
        calls[n - first].fetch_add(1);
        return n % 3 == 0;
      });
      Observations o;
      o["count"] = static_cast<std::int64_t>(got);
      o["never tested"] = 0;
      o["tested twice or more"] = 0;
      for (std::uint64_t i = 0; i < last - first; ++i) {
        if (calls[i] == 0) ++o["never tested"];
        if (calls[i] > 1) ++o["tested twice or more"];
      }
      return o;
    }));
  }
  const auto expected =
      static_cast<std::int64_t>(count_serial(first, last, [](std::uint64_t n) { return n % 3 == 0; }));
  for (std::size_t k = 0; k < seen.size(); ++k) {
    const int threads = thread_counts[k];
    const Observations& obs = seen[k];
    EXPECT_EQ(obs.at("never tested"), 0) << threads << " threads: " << obs.at("never tested")
                                         << " numbers of the range were never tested (a gap between two "
                                            "workers' parts, or the last numbers when the range does not "
                                            "divide evenly)";
    EXPECT_EQ(obs.at("tested twice or more"), 0) << threads << " threads: " << obs.at("tested twice or more")
                                                 << " numbers were tested by two workers (overlapping parts)";
    EXPECT_EQ(obs.at("count"), expected) << threads << " threads: the count is wrong";
  }
}

// The workers run at the same time: each worker's first call of the predicate
// waits until 4 distinct threads have called it (with a deadline). Workers
// started and joined one by one never get there.
TEST(ParallelCount, TheWorkersRunAtTheSameTime) {
  const Observations obs = in_student([] {
    std::mutex m;
    std::set<std::thread::id> seen;
    std::atomic<int> arrived{0};
    std::atomic<bool> timed_out{false};
    std::atomic<bool> caller_called{false};
    const auto caller = std::this_thread::get_id();
    const auto deadline = Clock::now() + scaled(3s);
    const std::uint64_t got = parallel_count(0, 1'000'000, 4, [&](std::uint64_t n) {
      if (std::this_thread::get_id() == caller) caller_called = true;
      bool first_call = false;
      {
        std::lock_guard guard(m);
        first_call = seen.insert(std::this_thread::get_id()).second;
      }
      if (first_call) {
        ++arrived;
        while (arrived.load() < 4 && !timed_out) {
          if (Clock::now() > deadline) timed_out = true;
          std::this_thread::sleep_for(100us);
        }
      }
      return n % 2 == 0;
    });
    Observations o;
    o["count"] = static_cast<std::int64_t>(got);
    o["threads"] = static_cast<std::int64_t>(seen.size());
    o["timed out"] = timed_out ? 1 : 0;
    o["caller tested"] = caller_called ? 1 : 0;
    return o;
  });
  EXPECT_EQ(obs.at("caller tested"), 0)
      << "the predicate ran on the caller's thread: with 4 threads, the workers do the testing";
  EXPECT_EQ(obs.at("threads"), 4) << "parallel_count(..., 4 threads, ...) called the predicate from "
                                  << obs.at("threads") << " distinct threads, not 4";
  EXPECT_EQ(obs.at("timed out"), 0)
      << "the 4 workers were never all running at once: start every std::jthread before joining any "
         "(lesson 00, \"Two cakes: threads run at the same time\")";
  EXPECT_EQ(obs.at("count"), 500000);
}

// Four workers, a predicate that is nearly free: a counter shared by the
// workers and incremented without a lock or an atomic loses increments here.
TEST(ParallelCount, LosesNoIncrement) {
  constexpr std::uint64_t last = 8'000'000;
  const auto got =
      in_student([] { return parallel_count(0, last, 4, [](std::uint64_t) { return true; }); }, scaled(60s));
  EXPECT_EQ(got, last) << "every number passes, so the count is " << last << "; " << last - got
                       << " increments were lost: the workers incremented one shared counter without "
                          "a lock (a data race). Count in a local variable in each worker and add the "
                          "workers' counts after they have ended (lesson 00, \"Data races\")";
}

class ParallelCountThreads : public ::testing::TestWithParam<int> {};

TEST_P(ParallelCountThreads, MatchesTheSerialCount) {
  const int threads = GetParam();
  const auto got =
      in_student([threads] { return parallel_count(1'000, 60'000, threads, is_prime); }, scaled(30s));
  EXPECT_EQ(got, count_serial(1'000, 60'000, is_prime)) << threads << " threads: primes in [1000, 60000)";
}

INSTANTIATE_TEST_SUITE_P(Sweep, ParallelCountThreads, ::testing::Values(1, 2, 3, 4, 8, 16),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::to_string(p.param) + "threads";
                         });

}  // namespace
