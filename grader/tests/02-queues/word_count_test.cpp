// Lesson 02, exercise 1: word_count (contract: exercises/02-queues/word_count.hpp).
// Every wait has a deadline; the fault tests run word_count in a child so that
// its workers are grandchildren the test can find and kill.
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
#include "test_support.hpp"
#include "word_count.hpp"

namespace {

using namespace std::chrono_literals;
using lesson02::word_count;
using lesson02::word_count_serial;
using lesson02::WordCounts;
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

TEST(WordCount, CountsASmallText) {
  const WordCounts expected = {{"a", 1}, {"and", 1}, {"cat", 3}, {"hat", 1}, {"it", 1}, {"s", 1}, {"the", 2}};
  EXPECT_EQ(word_count({"The cat and the hat.", "It's a cat-cat!"}, 2, scaled(10s)), expected);
  EXPECT_TRUE(no_children_left()) << "word_count left a worker behind (not joined: a zombie)";
}

TEST(WordCount, NoWordsGiveNoCounts) {
  EXPECT_EQ(word_count({}, 2, scaled(10s)), WordCounts{}) << "no documents";
  EXPECT_EQ(word_count({"", "   ", "1, 2, 3!"}, 3, scaled(10s)), WordCounts{}) << "documents without words";
  EXPECT_TRUE(no_children_left());
}

TEST(WordCount, RejectsFewerThanOneWorker) {
  EXPECT_THROW((void)word_count({"a b c"}, 0), mp::ValueError);
  EXPECT_THROW((void)word_count({"a b c"}, -3), mp::ValueError);
  EXPECT_TRUE(no_children_left());
}

TEST(WordCount, MoreWorkersThanDocuments) {
  EXPECT_EQ(word_count({"one two two"}, 8, scaled(10s)), (WordCounts{{"one", 1}, {"two", 2}}));
  EXPECT_TRUE(no_children_left());
}

TEST(WordCount, DefaultTimeoutWaitsForTheCount) {
  const auto docs = lesson02::testing::Corpus(5).documents(20, 1000);
  EXPECT_EQ(word_count(docs, 2), word_count_serial(docs));
}

TEST(WordCount, DocumentsLargerThanAQueue) {
  const auto docs =
      lesson02::testing::Corpus(11).documents(2, 1536 * 1024);  // 1.5 MiB each: more than a ring
  EXPECT_EQ(word_count(docs, 2, scaled(20s)), word_count_serial(docs));
}

TEST(WordCount, ManySmallDocuments) {
  const auto docs = lesson02::testing::Corpus(13).documents(20000, 40);
  EXPECT_EQ(word_count(docs, 3, scaled(20s)), word_count_serial(docs));
  EXPECT_TRUE(no_children_left());
}

// The workers still at work at the deadline are killed and reaped.
TEST(WordCount, TimesOut) {
  const auto& docs = big_corpus();
  const auto start = Clock::now();
  EXPECT_THROW((void)word_count(docs, 2, 20ms), mp::TimeoutError);
  EXPECT_LT(Clock::now() - start, scaled(2s)) << "the timeout was not respected";
  EXPECT_TRUE(no_children_left()) << "after a timeout, kill and join the workers before throwing";
}

// A worker killed with SIGKILL can never report: word_count must notice and
// throw mp::ProcessError instead of waiting forever for its counts.
TEST(WordCount, KilledWorkerIsReportedNotWaitedFor) {
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
  ASSERT_TRUE(killed) << "word_count started no worker process (or ended before one appeared); exit code "
                      << counter.exitcode().value_or(-1000);

  if (!counter.join(scaled(5s))) {
    const auto workers = children_of(pid);  // before they become orphans
    counter.kill();
    (void)counter.join(scaled(5s));
    for (pid_t worker : workers) ::kill(worker, SIGKILL);
    FAIL() << "word_count still waited 5 s after a worker was killed: check the workers' exitcode() while "
              "you wait for results (get with a timeout), and throw mp::ProcessError";
  }
  EXPECT_EQ(counter.exitcode(), 3) << "3: mp::ProcessError (expected); 4: word_count returned normally; "
                                      "1: another exception (see stderr)";
}

class WordCountWorkers : public ::testing::TestWithParam<int> {};

TEST_P(WordCountWorkers, MatchesTheSerialCount) {
  const auto docs = lesson02::testing::Corpus(static_cast<std::uint64_t>(GetParam())).documents(200, 2048);
  const auto expected = word_count_serial(docs);
  EXPECT_EQ(word_count(docs, GetParam(), scaled(20s)), expected);
  EXPECT_TRUE(no_children_left());
}

INSTANTIATE_TEST_SUITE_P(Sweep, WordCountWorkers, ::testing::Values(1, 2, 3, 4, 8),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::to_string(p.param) + "workers";
                         });

}  // namespace
