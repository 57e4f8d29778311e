// Lesson 07, exercise 1: count_primes (contract: exercises/07-pools/count_primes.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): count_primes runs in a
// child that loaded the student's code; the checks run here. The fault test runs
// count_primes in a further child so that its pool's workers are grandchildren it
// can find and kill.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp/error.hpp>
#include <mp/process.hpp>

#include "count_primes.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson07::count_primes;
using lesson07::count_primes_serial;
using mp::testing::in_student;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;

constexpr const char* reread_timeout = "reread lessons/07-pools/README.md, \"A result that never comes\"";
constexpr const char* reread_death = "reread lessons/07-pools/README.md, \"A worker that dies\"";

bool no_children_left() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
}

// The children of `pid`, all its threads' (a pool forks replacements from a thread).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "children");
    for (pid_t child = 0; in >> child;) out.push_back(child);
  }
  return out;
}

struct Call {
  std::uint64_t count = 0;
  bool children_left = false;
  double seconds = 0;
  std::string raised;  // the exception's type, "" when it returned
  template <class Archive>
  void serialize(Archive& ar) {
    ar(count, children_left, seconds, raised);
  }
};

Call call_count_primes(std::uint64_t lo, std::uint64_t hi, int workers, mp::Timeout timeout = mp::Timeout()) {
  return in_student([&] {
    Call c;
    const auto start = Clock::now();
    try {
      c.count = count_primes(lo, hi, workers, timeout);
    } catch (const mp::ValueError&) {
      c.raised = "mp::ValueError";
    } catch (const mp::TimeoutError&) {
      c.raised = "mp::TimeoutError";
    } catch (const mp::BrokenPool&) {
      c.raised = "mp::BrokenPool";
    }
    c.seconds = mp::testing::seconds_since(start);
    c.children_left = !no_children_left();
    return c;
  });
}

TEST(CountPrimes, CountsTheFirstHundred) {
  const Call c = call_count_primes(0, 100, 2, scaled(10s));
  EXPECT_EQ(c.raised, "");
  EXPECT_EQ(c.count, 25U) << "there are 25 primes below 100";
  EXPECT_FALSE(c.children_left) << "count_primes left a worker behind (let the pool's destructor end them)";
}

TEST(CountPrimes, EmptyAndTinyRanges) {
  EXPECT_EQ(call_count_primes(10, 10, 2, scaled(10s)).count, 0U) << "[10, 10) is empty";
  EXPECT_EQ(call_count_primes(50, 10, 2, scaled(10s)).count, 0U) << "hi <= lo: an empty range";
  EXPECT_EQ(call_count_primes(2, 3, 4, scaled(10s)).count, 1U) << "[2, 3) holds one prime: 2";
  EXPECT_EQ(call_count_primes(0, 2, 3, scaled(10s)).count, 0U) << "0 and 1 are not prime";
}

TEST(CountPrimes, EveryNumberCountedOnce) {
  // Ranges whose lengths are not multiples of anything: a chunk boundary counted twice,
  // or a tail left out, changes the count.
  for (const auto& [lo, hi] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
           {0, 1'000}, {1'000, 12'345}, {99'991, 100'003}, {7, 200'017}}) {
    EXPECT_EQ(call_count_primes(lo, hi, 3, scaled(20s)).count, count_primes_serial(lo, hi))
        << "[" << lo << ", " << hi << "): every number in exactly one chunk, the last chunk ending at hi";
  }
}

TEST(CountPrimes, RejectsFewerThanOneWorker) {
  EXPECT_EQ(call_count_primes(0, 10, 0).raised, "mp::ValueError");
  EXPECT_EQ(call_count_primes(0, 10, -2).raised, "mp::ValueError");
}

TEST(CountPrimes, MoreWorkersThanNumbers) {
  const Call c = call_count_primes(10, 14, 8, scaled(10s));
  EXPECT_EQ(c.count, 2U) << "11 and 13";
  EXPECT_FALSE(c.children_left);
}

class CountPrimesWorkers : public ::testing::TestWithParam<int> {};

TEST_P(CountPrimesWorkers, MatchesTheSerialCount) {
  const std::uint64_t lo = 1'000'000 * static_cast<std::uint64_t>(GetParam()), hi = lo + 50'000;
  const Call c = call_count_primes(lo, hi, GetParam(), scaled(20s));
  EXPECT_EQ(c.count, count_primes_serial(lo, hi));
  EXPECT_FALSE(c.children_left);
}

INSTANTIATE_TEST_SUITE_P(Sweep, CountPrimesWorkers, ::testing::Values(1, 2, 3, 4, 8),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::to_string(p.param) + "workers";
                         });

// A range that takes minutes: the deadline must end it, workers and all, at once.
TEST(CountPrimes, TimesOut) {
  const Call c = call_count_primes(1'000'000'000'000, 1'000'100'000'000, 2, 100ms);
  EXPECT_EQ(c.raised, "mp::TimeoutError")
      << "give the whole call one deadline: get(timeout); " << reread_timeout;
  EXPECT_LT(c.seconds, std::chrono::duration<double>(scaled(3s)).count())
      << "the timeout was not respected (a get() per chunk, each with the full timeout?); " << reread_timeout;
  EXPECT_FALSE(c.children_left) << "after a timeout the pool's workers must end too";
}

TEST(CountPrimes, DefaultTimeoutWaitsForTheCount) {
  const Call c = call_count_primes(0, 300'000, 2);
  EXPECT_EQ(c.count, count_primes_serial(0, 300'000));
}

// Workers killed with SIGKILL while they count: the count must fail with
// mp::BrokenPool (mp::WorkerLost), not come back with chunks missing, and not hang.
TEST(CountPrimes, KilledWorkerIsReportedNotIgnored) {
  // -1: no worker appeared; 0: count_primes still ran 10 s later; else the counter's exit code.
  const int outcome = in_student([] {
    mp::Process counter([&] {
      try {
        (void)count_primes(1'000'000'000'000, 1'000'002'000'000, 2);
      } catch (const mp::BrokenPool&) {
        mp::exit(3);  // what we expect
      }
      mp::exit(4);  // returned although workers were killed
    });
    counter.start();
    const pid_t pid = *counter.pid();
    const auto until = Clock::now() + scaled(10s);
    bool killed = false;
    // Kill every worker, again and again (replacements too), until the counter ends.
    while (Clock::now() < until && counter.is_alive()) {
      for (pid_t worker : children_of(pid)) {
        ::kill(worker, SIGKILL);
        killed = true;
      }
      std::this_thread::sleep_for(killed ? 5ms : 200us);
    }
    if (counter.is_alive()) {
      const auto workers = children_of(pid);
      counter.kill();
      (void)counter.join(scaled(5s));
      for (pid_t worker : workers) ::kill(worker, SIGKILL);
      return killed ? 0 : -1;
    }
    (void)counter.join(scaled(5s));
    return killed ? counter.exitcode().value_or(-1000) : -1;
  });
  ASSERT_NE(outcome, -1) << "count_primes started no worker process (use an mp::Pool)";
  ASSERT_NE(outcome, 0) << "count_primes still waited 10 s after its workers were killed, again and again; "
                        << reread_death;
  EXPECT_EQ(outcome, 3) << "3: mp::BrokenPool (expected); 4: count_primes returned a count although workers "
                           "died (an error swallowed: let get() throw); 1: another exception (see stderr); "
                        << reread_death;
}

}  // namespace
