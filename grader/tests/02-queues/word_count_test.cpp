// Lesson 02, exercise 1: word_count (contract: exercises/02-queues/word_count.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): word_count runs in a
// child that loaded the student's code; the checks run here. Every wait has a
// deadline; the fault test runs word_count in a further child so that its
// workers are grandchildren it can find and kill.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp/error.hpp>
#include <mp/process.hpp>

#include "corpus.hpp"
#include "student_code.hpp"
#include "test_support.hpp"
#include "word_count.hpp"

namespace {

using namespace std::chrono_literals;
using lesson02::word_count;
using lesson02::word_count_serial;
using lesson02::WordCounts;
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

// Enough text to keep two workers busy for a good fraction of a second.
const std::vector<std::string>& big_corpus() {
  static const std::vector<std::string> docs = lesson02::testing::Corpus(3).documents(512, 32 * 1024);
  return docs;
}

// What one call of word_count did, seen from the process that called it.
struct Call {
  WordCounts counts;
  bool children_left = false;  // a worker of the caller, running or zombie, after the call
  double seconds = 0;          // how long the call took
  std::string raised;          // the type of the exception it threw, "" when it returned
  template <class Archive>
  void serialize(Archive& ar) {
    ar(counts, children_left, seconds, raised);
  }
};

Call call_word_count(const std::vector<std::string>& docs, int workers, mp::Timeout timeout = mp::Timeout()) {
  return in_student([&] {
    Call c;
    const auto start = Clock::now();
    try {
      c.counts = word_count(docs, workers, timeout);
    } catch (const mp::ValueError&) {
      c.raised = "mp::ValueError";
    } catch (const mp::TimeoutError&) {
      c.raised = "mp::TimeoutError";
    }
    c.seconds = mp::testing::seconds_since(start);
    c.children_left = !no_children_left();
    return c;
  });
}

TEST(WordCount, CountsASmallText) {
  const WordCounts expected = {{"a", 1}, {"and", 1}, {"cat", 3}, {"hat", 1}, {"it", 1}, {"s", 1}, {"the", 2}};
  const Call c = call_word_count({"The cat and the hat.", "It's a cat-cat!"}, 2, scaled(10s));
  EXPECT_EQ(c.counts, expected);
  EXPECT_FALSE(c.children_left) << "word_count left a worker behind (not joined: a zombie)";
}

TEST(WordCount, NoWordsGiveNoCounts) {
  const Call none = call_word_count({}, 2, scaled(10s));
  const Call blank = call_word_count({"", "   ", "1, 2, 3!"}, 3, scaled(10s));
  EXPECT_EQ(none.counts, WordCounts{}) << "no documents";
  EXPECT_EQ(blank.counts, WordCounts{}) << "documents without words";
  EXPECT_FALSE(none.children_left || blank.children_left);
}

TEST(WordCount, RejectsFewerThanOneWorker) {
  const Call zero = call_word_count({"a b c"}, 0);
  const Call negative = call_word_count({"a b c"}, -3);
  EXPECT_EQ(zero.raised, "mp::ValueError") << "word_count(docs, 0) must throw mp::ValueError";
  EXPECT_EQ(negative.raised, "mp::ValueError") << "word_count(docs, -3) must throw mp::ValueError";
  EXPECT_FALSE(zero.children_left || negative.children_left);
}

TEST(WordCount, MoreWorkersThanDocuments) {
  const Call c = call_word_count({"one two two"}, 8, scaled(10s));
  EXPECT_EQ(c.counts, (WordCounts{{"one", 1}, {"two", 2}}));
  EXPECT_FALSE(c.children_left);
}

TEST(WordCount, DefaultTimeoutWaitsForTheCount) {
  const auto docs = lesson02::testing::Corpus(5).documents(20, 1000);
  EXPECT_EQ(call_word_count(docs, 2).counts, word_count_serial(docs));
}

TEST(WordCount, DocumentsLargerThanAQueue) {
  const auto docs =
      lesson02::testing::Corpus(11).documents(2, 1536 * 1024);  // 1.5 MiB each: more than a ring
  EXPECT_EQ(call_word_count(docs, 2, scaled(20s)).counts, word_count_serial(docs));
}

TEST(WordCount, ManySmallDocuments) {
  const auto docs = lesson02::testing::Corpus(13).documents(20000, 40);
  const Call c = call_word_count(docs, 3, scaled(20s));
  EXPECT_EQ(c.counts, word_count_serial(docs));
  EXPECT_FALSE(c.children_left);
}

// The workers still at work at the deadline are killed and reaped.
TEST(WordCount, TimesOut) {
  const auto& docs = big_corpus();
  const Call c = call_word_count(docs, 2, 20ms);
  EXPECT_EQ(c.raised, "mp::TimeoutError");
  EXPECT_LT(c.seconds, std::chrono::duration<double>(scaled(2s)).count()) << "the timeout was not respected";
  EXPECT_FALSE(c.children_left) << "after a timeout, kill and join the workers before throwing";
}

// A worker killed with SIGKILL can never report: word_count must notice and
// throw mp::ProcessError instead of waiting forever for its counts.
TEST(WordCount, KilledWorkerIsReportedNotWaitedFor) {
  // -1: no worker appeared; 0: word_count still waited 5 s later; else the counter's exit code.
  const int outcome = in_student([] {
    const auto& docs = big_corpus();
    mp::Process counter([&] {
      try {
        (void)word_count(docs, 2);
      } catch (const mp::ProcessError&) {
        mp::exit(3);  // what we expect
      }
      mp::exit(4);  // finished although a worker was killed
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
      if (!killed) std::this_thread::sleep_for(200us);
    }
    if (!killed) {
      counter.kill();
      (void)counter.join(scaled(5s));
      return -1;
    }
    if (!counter.join(scaled(5s))) {
      const auto workers = children_of(pid);  // before they become orphans
      counter.kill();
      (void)counter.join(scaled(5s));
      for (pid_t worker : workers) ::kill(worker, SIGKILL);
      return 0;
    }
    return counter.exitcode().value_or(-1000);
  });
  ASSERT_NE(outcome, -1) << "word_count started no worker process (or ended before one appeared)";
  ASSERT_NE(outcome, 0)
      << "word_count still waited 5 s after a worker was killed: check the workers' exitcode() "
         "while you wait for results (get with a timeout), and throw mp::ProcessError";
  EXPECT_EQ(outcome, 3) << "3: mp::ProcessError (expected); 4: word_count returned normally; "
                           "1: another exception (see stderr)";
}

class WordCountWorkers : public ::testing::TestWithParam<int> {};

TEST_P(WordCountWorkers, MatchesTheSerialCount) {
  const auto docs = lesson02::testing::Corpus(static_cast<std::uint64_t>(GetParam())).documents(200, 2048);
  const auto expected = word_count_serial(docs);
  const Call c = call_word_count(docs, GetParam(), scaled(20s));
  EXPECT_EQ(c.counts, expected);
  EXPECT_FALSE(c.children_left);
}

INSTANTIATE_TEST_SUITE_P(Sweep, WordCountWorkers, ::testing::Values(1, 2, 3, 4, 8),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::to_string(p.param) + "workers";
                         });

}  // namespace
