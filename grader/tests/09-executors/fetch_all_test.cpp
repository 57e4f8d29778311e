// Lesson 09, exercise 1: fetch_all (contract: exercises/09-executors/fetch_all.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): this process writes the
// sources (files in a temporary folder) and checks the report; fetch_all runs in a
// child that loaded the student's code. A source file holds "DELAY_MS\nCONTENT": the
// test's fetch waits DELAY_MS, then returns CONTENT (or throws it, when it starts
// with "throw "). How many fetches started is counted in shared memory made here,
// so it is right whether the student's executor runs threads or processes.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <mp/error.hpp>

#include "fetch_all.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson09::fetch_all;
using lesson09::FetchReport;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr const char* reread_deadline =
    "reread lessons/09-executors/README.md, \"as_completed: results as they come\" and \"shutdown: "
    "cancelling what "
    "has not started\"";

// Shared with the fetches, in whatever process or thread they run.
struct Counters {
  std::atomic<int> started{0};
  std::atomic<int> meeting{0};
};
Counters* shared() {
  static auto* c = [] {
    void* p = ::mmap(nullptr, sizeof(Counters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    return new (p) Counters();
  }();
  return c;
}

std::string read_slowly(const std::string& path) {
  shared()->started.fetch_add(1);
  std::ifstream in(path);
  if (!in) throw std::runtime_error("no such source: " + path);
  int delay_ms = 0;
  in >> delay_ms;
  in.ignore(1);
  std::stringstream rest;
  rest << in.rdbuf();
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));  // the "network"
  const std::string content = rest.str();
  if (content.rfind("throw ", 0) == 0) throw std::runtime_error(content.substr(6));
  return content;
}

// Every fetch waits (at most 5 s) until `parties` fetches are inside at once.
constexpr int parties = 4;
std::string meet(const std::string& /*name*/) {
  shared()->meeting.fetch_add(1);
  const auto until = Clock::now() + scaled(5s);
  while (shared()->meeting.load() < parties && Clock::now() < until) std::this_thread::yield();
  return shared()->meeting.load() >= parties ? "met" : "alone";
}

// A temporary folder of sources, removed at the end of the test.
class Sources {
public:
  Sources() {
    std::string tmpl = (fs::temp_directory_path() / "lesson09_fetch_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    shared()->started = 0;
    shared()->meeting = 0;
  }
  ~Sources() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Sources(const Sources&) = delete;
  Sources& operator=(const Sources&) = delete;
  /// Writes a source and returns its name (its path).
  std::string add(const std::string& name, int delay_ms, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << delay_ms << '\n' << content;
    return path;
  }
  std::string missing(const std::string& name) const { return (dir_ / name).string(); }

private:
  fs::path dir_;
};

std::string content_of(int i) { return "content " + std::to_string(i) + " " + std::string(i % 7, '#'); }

// ---------------------------------------------------------------- results

TEST(FetchAll, FetchesEverySource) {
  Sources src;
  std::vector<std::string> names;
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 60; ++i) {
    names.push_back(src.add("s" + std::to_string(i), i % 5, content_of(i)));
    expected[names.back()] = content_of(i);
  }
  const FetchReport r = in_student([&] { return fetch_all(names, read_slowly, 4, scaled(20s)); });
  EXPECT_EQ(r.results, expected) << "every source's content, under its name";
  EXPECT_TRUE(r.errors.empty()) << "no fetch failed";
  EXPECT_TRUE(r.unfinished.empty()) << "everything was done well before the deadline";
  EXPECT_EQ(shared()->started.load(), 60) << "each source fetched once";
}

TEST(FetchAll, ErrorsDoNotLoseTheOthers) {
  Sources src;
  std::vector<std::string> names;
  std::map<std::string, std::string> results, errors;
  for (int i = 0; i < 12; ++i) {
    const bool bad = i % 4 == 1;
    names.push_back(src.add("s" + std::to_string(i), 2,
                            bad ? "throw broken source " + std::to_string(i) : content_of(i)));
    (bad ? errors : results)[names.back()] = bad ? "broken source " + std::to_string(i) : content_of(i);
  }
  names.push_back(src.missing("nowhere"));
  errors[names.back()] = "no such source: " + names.back();
  const FetchReport r = in_student([&] { return fetch_all(names, read_slowly, 3, scaled(20s)); });
  EXPECT_EQ(r.results, results) << "the sources that did not fail must all be in results";
  EXPECT_EQ(r.errors, errors) << "each failed source in errors, with the what() of its exception";
  EXPECT_TRUE(r.unfinished.empty());
}

TEST(FetchAll, FetchesRunAtTheSameTime) {
  Sources src;  // the counters, made here: shared with the child and its workers
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  const FetchReport r = in_student([&] { return fetch_all(names, meet, parties, scaled(20s)); });
  const std::map<std::string, std::string> met = {{"a", "met"}, {"b", "met"}, {"c", "met"}, {"d", "met"}};
  EXPECT_EQ(r.results, met) << "with 4 workers, 4 fetches must run at once: submit every fetch before "
                               "waiting for any";
}

TEST(FetchAll, EmptyInput) {
  Sources src;
  const FetchReport r = in_student([] { return fetch_all({}, read_slowly, 2, scaled(5s)); });
  EXPECT_TRUE(r.results.empty() && r.errors.empty() && r.unfinished.empty());
}

TEST(FetchAll, RejectsFewerThanOneWorker) {
  EXPECT_EQ(mp::testing::raised_by([] { (void)fetch_all({"a"}, read_slowly, 0, 1s); }), "mp::ValueError");
}

// ---------------------------------------------------------------- the deadline

TEST(FetchAll, WhatIsNotDoneByTheDeadlineIsReportedAndNeverStarted) {
  Sources src;
  const int slow_ms = static_cast<int>(scaled(800ms).count());
  std::vector<std::string> names = {src.add("fast1", 0, "f1"), src.add("fast2", 0, "f2"),
                                    src.add("slow1", slow_ms, "s1"), src.add("slow2", slow_ms, "s2")};
  for (int i = 0; i < 20; ++i) names.push_back(src.add("queued" + std::to_string(i), 100, "q"));
  const Observations o = in_student([&] {
    Observations obs;
    const auto t0 = Clock::now();
    const FetchReport r = fetch_all(names, read_slowly, 2, scaled(300ms));
    obs["ms"] = static_cast<std::int64_t>(mp::testing::seconds_since(t0) * 1000);
    obs["results"] = static_cast<std::int64_t>(r.results.size());
    obs["fast in results"] = r.results.count(names[0]) + r.results.count(names[1]);
    obs["errors"] = static_cast<std::int64_t>(r.errors.size());
    obs["unfinished listed in order"] =
        r.unfinished == std::vector<std::string>(names.begin() + 2, names.end());
    obs["unfinished"] = static_cast<std::int64_t>(r.unfinished.size());
    return obs;
  });
  EXPECT_EQ(o.at("fast in results"), 2) << "the two fast sources were done long before the deadline";
  EXPECT_EQ(o.at("results"), 2) << "only the two fast sources were done by the deadline: " << reread_deadline;
  EXPECT_EQ(o.at("errors"), 0);
  EXPECT_EQ(o.at("unfinished"), 22) << "the 2 running and the 20 queued sources are unfinished";
  EXPECT_EQ(o.at("unfinished listed in order"), 1) << "unfinished: the names, in input order";
  EXPECT_LE(shared()->started.load(), 5)
      << "queued fetches started after the deadline: cancel what has not started (shutdown(true, true)), "
      << reread_deadline;
  EXPECT_LT(o.at("ms"), scaled(800ms + 1500ms).count())
      << "fetch_all must return once the running fetches end";
}

TEST(FetchAll, OneDeadlineForTheWholeCall) {
  Sources src;
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back(src.add("s" + std::to_string(i), 150, content_of(i)));
  const Observations o = in_student([&] {
    Observations obs;
    const auto t0 = Clock::now();
    const FetchReport r = fetch_all(names, read_slowly, 1, 400ms);
    obs["ms"] = static_cast<std::int64_t>(mp::testing::seconds_since(t0) * 1000);
    obs["results"] = static_cast<std::int64_t>(r.results.size());
    obs["unfinished"] = static_cast<std::int64_t>(r.unfinished.size());
    return obs;
  });
  EXPECT_LE(o.at("results"), 3)
      << "one worker, 150 ms a source, 400 ms in all: at most 3 done. The timeout is "
         "for the whole call, not for each result(): "
      << reread_deadline;
  EXPECT_EQ(o.at("results") + o.at("unfinished"), 10) << "every source is done or unfinished";
  EXPECT_LT(o.at("ms"), scaled(400ms + 1500ms).count()) << "fetch_all took far longer than its timeout";
}

TEST(FetchAll, ASourceThatFailsLateIsStillReported) {
  Sources src;
  const std::vector<std::string> names = {src.add("ok", 0, "fine"), src.add("late", 50, "throw late failure"),
                                          src.add("stuck", static_cast<int>(scaled(600ms).count()), "x")};
  const FetchReport r = in_student([&] { return fetch_all(names, read_slowly, 3, scaled(300ms)); });
  EXPECT_EQ(r.results, (std::map<std::string, std::string>{{names[0], "fine"}}));
  EXPECT_EQ(r.errors, (std::map<std::string, std::string>{{names[1], "late failure"}}))
      << "an error before the deadline is reported, even when another source times out";
  EXPECT_EQ(r.unfinished, (std::vector<std::string>{names[2]}));
}

}  // namespace
