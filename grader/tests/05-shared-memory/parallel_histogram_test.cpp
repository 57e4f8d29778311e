// Lesson 05, exercise 1: parallel_histogram (contract: exercises/05-shared-memory/parallel_histogram.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): parallel_histogram runs
// in a child that loaded the student's code, on data that child puts in shared
// memory; the expected histogram is computed here, from the same seed. Every
// wait has a deadline; the fault test runs parallel_histogram in a further
// child so that its workers are grandchildren it can find and kill.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp/array.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>

#include "data.hpp"
#include "parallel_histogram.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson05::Histogram;
using lesson05::histogram_serial;
using lesson05::parallel_histogram;
using lesson05::testing::values;
using mp::testing::in_student;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;

bool no_children_left() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
}

// The children of `pid` (its main thread's), from /proc.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t child = 0; in >> child;) out.push_back(child);
  return out;
}

// What the data looked like to the test: made from a seed in the child.
struct Data {
  std::size_t n = 0;
  std::uint64_t seed = 0;
  std::uint64_t limit = 1ull << 32;
  std::vector<std::uint32_t> make() const { return values(n, seed, limit); }
};

// What one call of parallel_histogram did, seen from the process that called it.
struct Call {
  Histogram counts;
  bool children_left = false;  // a worker of the caller, running or zombie, after the call
  bool data_changed = false;   // the call wrote into `data`
  double seconds = 0;          // how long the call took
  std::string raised;          // the type of the exception it threw, "" when it returned
  template <class Archive>
  void serialize(Archive& ar) {
    ar(counts, children_left, data_changed, seconds, raised);
  }
};

Call call_histogram(const Data& d, std::size_t bins, int workers, mp::Timeout timeout = mp::Timeout()) {
  return in_student([&] {
    const std::vector<std::uint32_t> v = d.make();
    const mp::RawArray<std::uint32_t> data(v);
    Call c;
    const auto start = Clock::now();
    try {
      c.counts = parallel_histogram(data, bins, workers, timeout);
    } catch (const mp::ValueError&) {
      c.raised = "mp::ValueError";
    } catch (const mp::TimeoutError&) {
      c.raised = "mp::TimeoutError";
    }
    c.seconds = mp::testing::seconds_since(start);
    c.children_left = !no_children_left();
    c.data_changed = !std::equal(v.begin(), v.end(), data.begin());
    return c;
  });
}

// The counts against the serial ones, with a message that names the mistake.
::testing::AssertionResult same_counts(const Histogram& got, const Histogram& expected) {
  if (got == expected) return ::testing::AssertionSuccess();
  if (got.size() != expected.size())
    return ::testing::AssertionFailure()
           << "the histogram has " << got.size() << " bins, not " << expected.size();
  const auto total = std::accumulate(got.begin(), got.end(), std::int64_t{0});
  const auto want = std::accumulate(expected.begin(), expected.end(), std::int64_t{0});
  if (total < want)
    return ::testing::AssertionFailure()
           << "the counts add up to " << total << ", not " << want << ": " << want - total
           << " increments were lost. Two workers added to the same shared count without a lock (a lost "
              "update): let each worker count into counts of its own and add them up after join() (lesson "
              "05, \"Lost updates: value += 1 is not atomic\")";
  if (total > want)
    return ::testing::AssertionFailure() << "the counts add up to " << total << ", more than the " << want
                                         << " values: some values were counted twice (overlapping slices?)";
  for (std::size_t b = 0; b < got.size(); ++b)
    if (got[b] != expected[b])
      return ::testing::AssertionFailure()
             << "bin " << b << " holds " << got[b] << ", not " << expected[b] << " (use bin_of(value, bins))";
  return ::testing::AssertionFailure();
}

Histogram expected_for(const Data& d, std::size_t bins) { return histogram_serial(d.make(), bins); }

TEST(ParallelHistogram, CountsASmallInput) {
  const Call c = in_student([] {
    Call call;
    const mp::RawArray<std::uint32_t> data{1, 2, 3, 4, 5, 6, 7};
    call.counts = parallel_histogram(data, 3, 2, scaled(10s));
    call.children_left = !no_children_left();
    return call;
  });
  EXPECT_TRUE(same_counts(c.counts, Histogram{2, 3, 2}));
  EXPECT_FALSE(c.children_left) << "parallel_histogram left a worker behind (not joined: a zombie)";
}

TEST(ParallelHistogram, NoValuesGiveZeros) {
  const Call c = call_histogram(Data{0, 1}, 5, 3, scaled(10s));
  EXPECT_EQ(c.counts, Histogram(5, 0)) << "no values: every one of the 5 bins holds 0";
  EXPECT_FALSE(c.children_left);
}

TEST(ParallelHistogram, RejectsBadArguments) {
  const Call no_bins = call_histogram(Data{10, 1}, 0, 2);
  const Call no_workers = call_histogram(Data{10, 1}, 4, 0);
  const Call negative = call_histogram(Data{10, 1}, 4, -3);
  EXPECT_EQ(no_bins.raised, "mp::ValueError") << "parallel_histogram(data, 0, 2) must throw mp::ValueError";
  EXPECT_EQ(no_workers.raised, "mp::ValueError")
      << "parallel_histogram(data, 4, 0) must throw mp::ValueError";
  EXPECT_EQ(negative.raised, "mp::ValueError") << "parallel_histogram(data, 4, -3) must throw mp::ValueError";
  EXPECT_FALSE(no_bins.children_left || no_workers.children_left || negative.children_left);
}

TEST(ParallelHistogram, MoreWorkersThanValues) {
  const Data d{3, 7};
  const Call c = call_histogram(d, 4, 8, scaled(10s));
  EXPECT_TRUE(same_counts(c.counts, expected_for(d, 4)));
  EXPECT_FALSE(c.children_left);
}

TEST(ParallelHistogram, DefaultTimeoutWaitsForTheCount) {
  const Data d{100000, 5};
  EXPECT_TRUE(same_counts(call_histogram(d, 16, 2).counts, expected_for(d, 16)));
}

// Every value in one bin: the workers all want the same count at once. An
// unguarded shared count loses increments here.
TEST(ParallelHistogram, AllValuesInOneBin) {
  const Data d{4'000'000, 9, 1};  // 4 million zeros
  const Call c = call_histogram(d, 8, 4, scaled(30s));
  EXPECT_TRUE(same_counts(c.counts, expected_for(d, 8)));
  EXPECT_FALSE(c.data_changed) << "parallel_histogram must not modify `data`";
  EXPECT_FALSE(c.children_left);
}

TEST(ParallelHistogram, ManyBins) {
  const Data d{1'000'000, 21};
  const Call c = call_histogram(d, 100'000, 3, scaled(30s));
  EXPECT_TRUE(same_counts(c.counts, expected_for(d, 100'000)));
  EXPECT_FALSE(c.children_left);
}

// The workers still at work at the deadline are killed and reaped.
TEST(ParallelHistogram, TimesOut) {
  const Data d{32'000'000, 3};
  const Call c = call_histogram(d, 1000, 2, 2ms);
  EXPECT_EQ(c.raised, "mp::TimeoutError") << "parallel_histogram(32 million values, timeout 2 ms) must throw "
                                             "mp::TimeoutError";
  EXPECT_LT(c.seconds, std::chrono::duration<double>(scaled(2s)).count()) << "the timeout was not respected";
  EXPECT_FALSE(c.children_left) << "after a timeout, kill and join the workers before throwing";
}

// A worker killed with SIGKILL leaves its counts missing: parallel_histogram
// must throw mp::ProcessError, not return a histogram that is short.
TEST(ParallelHistogram, KilledWorkerIsReported) {
  // -1: no worker appeared; 0: still running 10 s later; else the counter's exit code.
  const int outcome = in_student([] {
    const std::vector<std::uint32_t> v = values(32'000'000, 4);
    const mp::RawArray<std::uint32_t> data(v);
    mp::Process counter([&] {
      try {
        (void)parallel_histogram(data, 1000, 2);
      } catch (const mp::ProcessError&) {
        mp::exit(3);  // what we expect
      }
      mp::exit(4);  // returned although a worker was killed
    });
    counter.start();
    const pid_t pid = *counter.pid();

    // Kill the first worker as soon as it exists (polling, with a deadline).
    const auto until = Clock::now() + scaled(5s);
    bool killed = false;
    while (!killed && Clock::now() < until && counter.is_alive()) {
      for (pid_t worker : children_of(pid)) {
        ::kill(worker, SIGKILL);
        killed = true;
        break;
      }
      if (!killed) std::this_thread::sleep_for(100us);
    }
    if (!killed) {
      counter.kill();
      (void)counter.join(scaled(5s));
      return -1;
    }
    if (!counter.join(scaled(10s))) {
      const auto workers = children_of(pid);  // before they become orphans
      counter.kill();
      (void)counter.join(scaled(5s));
      for (pid_t worker : workers) ::kill(worker, SIGKILL);
      return 0;
    }
    return counter.exitcode().value_or(-1000);
  });
  ASSERT_NE(outcome, -1) << "parallel_histogram started no worker process (or ended before one appeared)";
  ASSERT_NE(outcome, 0) << "parallel_histogram was still running 10 s after a worker was killed";
  EXPECT_EQ(outcome, 3)
      << "a worker killed with SIGKILL must make parallel_histogram throw mp::ProcessError "
         "(check each worker's exitcode() after joining it); 4: it returned a histogram with "
         "that worker's counts missing; 1: another exception (see stderr)";
}

class ParallelHistogramWorkers : public ::testing::TestWithParam<int> {};

TEST_P(ParallelHistogramWorkers, MatchesTheSerialHistogram) {
  const Data d{200'000 + static_cast<std::size_t>(GetParam()), static_cast<std::uint64_t>(GetParam())};
  const Call c = call_histogram(d, 256, GetParam(), scaled(20s));
  EXPECT_TRUE(same_counts(c.counts, expected_for(d, 256)));
  EXPECT_FALSE(c.data_changed) << "parallel_histogram must not modify `data`";
  EXPECT_FALSE(c.children_left);
}

INSTANTIATE_TEST_SUITE_P(Sweep, ParallelHistogramWorkers, ::testing::Values(1, 2, 3, 4, 8),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::to_string(p.param) + "workers";
                         });

}  // namespace
