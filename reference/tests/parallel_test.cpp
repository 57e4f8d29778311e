// Tests of mp::parallel (mp/parallel.hpp), Python's `parallel` package over
// the pools (suite `executor`). Tasks that must still be running when a
// deadline passes wait at a gate that the test opens afterwards; every wait
// has a deadline.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "mp/parallel.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;

int square(int x) { return x * x; }
int add(int a, int b) { return a + b; }
int fail_on_odd(int x) {
  if (x % 2 != 0) throw std::invalid_argument("odd: " + std::to_string(x));
  return x;
}
std::string describe(const std::string& animal) {
  static const std::map<std::string, std::string> species{
      {"dog", "Canis familiaris"}, {"cat", "Felis catus"}, {"owl", "Strix aluco"}};
  return species.at(animal);
}
int my_pid(int /*unused*/) { return static_cast<int>(::getpid()); }
int forever(int x) {
  ::pause();  // killed by the pool when the call gives up
  return x;
}

TEST(Parallel, MapKeepsTheInputOrder) {
  const std::vector<int> items{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const auto r = mp::parallel::map(square, items, {.max_workers = 4});
  ASSERT_EQ(r.size(), items.size());
  for (std::size_t i = 0; i < items.size(); ++i) EXPECT_EQ(r[i], items[i] * items[i]);
  EXPECT_FALSE(r.failures());
  EXPECT_EQ(r.values(), (std::vector<int>{1, 4, 9, 16, 25, 36, 49, 64, 81, 100}));
  EXPECT_THROW((void)r.at(10), std::out_of_range);
}

TEST(Parallel, TuplesAndPairsAreUnpackedIntoTheArguments) {
  const auto r = mp::parallel::map(add, std::vector<std::tuple<int, int>>{{1, 2}, {10, 20}});
  EXPECT_EQ(r.values(), (std::vector<int>{3, 30}));
  const auto p = mp::parallel::process::map(add, std::vector<std::pair<int, int>>{{5, 6}});
  EXPECT_EQ(p[0], 11);
}

TEST(Parallel, AMapGivesResultsByKey) {
  const std::map<std::string, std::string> animals{{"a", "dog"}, {"b", "cat"}};
  const auto r = mp::parallel::map(describe, animals);
  EXPECT_EQ(r.at("a"), "Canis familiaris");
  EXPECT_EQ(r["b"], "Felis catus");
  EXPECT_TRUE(r.contains("a"));
  EXPECT_FALSE(r.contains("z"));
  EXPECT_EQ(r.values(),
            (std::map<std::string, std::string>{{"a", "Canis familiaris"}, {"b", "Felis catus"}}));
}

TEST(Parallel, TheFirstFailureInInputOrderIsThrown) {
  try {
    (void)mp::parallel::map(fail_on_odd, std::vector<int>{2, 4, 5, 6, 7});
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "odd: 5");
  }
}

TEST(Parallel, SilentKeepsFailuresAsFailedTasks) {
  const auto r = mp::parallel::map(fail_on_odd, std::vector<int>{2, 3, 4, 5}, {.silent = true});
  EXPECT_TRUE(r.failures());
  EXPECT_FALSE(r.failed_at(0));
  EXPECT_TRUE(r.failed_at(1));
  const auto failed = r.failed();
  ASSERT_EQ(failed.size(), 2U);
  EXPECT_EQ(failed[0].type(), "std::invalid_argument");
  EXPECT_EQ(failed[0].what(), "odd: 3");
  EXPECT_EQ(failed[1].what(), "odd: 5");
  EXPECT_EQ(r.succeeded(), (std::vector<int>{2, 4}));
  EXPECT_EQ(r.replace_failed(-1), (std::vector<int>{2, -1, 4, -1}));
  EXPECT_THROW((void)r.values(), std::invalid_argument);
  EXPECT_THROW((void)r[1], std::invalid_argument);

  const auto named =
      mp::parallel::map(fail_on_odd, std::map<std::string, int>{{"x", 1}, {"y", 2}}, {.silent = true});
  EXPECT_EQ(named.failed().count("x"), 1U);
  EXPECT_EQ(named.succeeded(), (std::map<std::string, int>{{"y", 2}}));
  EXPECT_EQ(named.replace_failed(0), (std::map<std::string, int>{{"x", 0}, {"y", 2}}));
}

// Thread tasks cannot be killed: they wait at a gate, the results time out,
// then the test opens the gate and the pool ends with the Running object.
TEST(Parallel, ThreadResultsTimeOutWhileTasksStillRun) {
  std::promise<void> open;
  const std::shared_future<void> gate = open.get_future().share();
  auto wait_gate = [gate](int x) {
    if (x > 1 && gate.wait_for(scaled(10s)) != std::future_status::ready) throw std::runtime_error("gate");
    return x;
  };
  {
    auto run = mp::parallel::async_map(wait_gate, std::vector<int>{1, 2, 3}, {.max_workers = 3});
    EXPECT_THROW((void)run.results(30ms), mp::TimeoutError);
    EXPECT_FALSE(run.done());
    open.set_value();
  }
  std::promise<void> open2;
  const std::shared_future<void> gate2 = open2.get_future().share();
  auto wait_gate2 = [gate2](int x) {
    if (x > 1 && gate2.wait_for(scaled(10s)) != std::future_status::ready) throw std::runtime_error("gate");
    return x;
  };
  auto run = mp::parallel::async_map(wait_gate2, std::vector<int>{1, 2}, {.max_workers = 2, .silent = true});
  const auto& r = run.results(30ms);
  EXPECT_EQ(r[0], 1);
  ASSERT_TRUE(r.failed_at(1));
  EXPECT_EQ(r.failed()[0].type(), "mp::TimeoutError");
  open2.set_value();
  EXPECT_EQ(&run.results(), &r) << "the first answer is kept";
}

TEST(Parallel, ProcessMapRunsInWorkersAndKillsThemAtTheDeadline) {
  const auto pids = mp::parallel::process::map(my_pid, std::vector<int>(8, 0), {.max_workers = 2});
  const std::vector<int> all = pids.values();
  const std::set<int> distinct(all.begin(), all.end());
  EXPECT_EQ(distinct.count(static_cast<int>(::getpid())), 0U) << "tasks ran in this process";
  EXPECT_LE(distinct.size(), 2U);

  const auto start = Clock::now();
  EXPECT_THROW(
      (void)mp::parallel::process::map(forever, std::vector<int>{1, 2}, {.timeout = 50ms, .max_workers = 2}),
      mp::TimeoutError);
  EXPECT_LT(Clock::now() - start, scaled(5s)) << "the workers were not killed at the deadline";
}

TEST(Parallel, ParRunsPreparedCallsByPositionAndByKey) {
  const auto d = mp::parallel::decorate(describe);
  const std::map<std::string, mp::parallel::Call<std::string>> calls{
      {"dog", d.future("dog")}, {"cat", d.future("cat")}, {"owl", mp::parallel::future(describe, "owl")}};
  auto running = mp::parallel::async_par(calls);
  const auto& species = running.results(scaled(10s));
  EXPECT_TRUE(running.done());
  EXPECT_EQ(species.at("owl"), "Strix aluco");
  EXPECT_EQ(species.size(), 3U);

  const std::vector<mp::parallel::Call<int>> sums{mp::parallel::future(add, 1, 1),
                                                  mp::parallel::future(add, 2, 2)};
  EXPECT_EQ(mp::parallel::par(sums).values(), (std::vector<int>{2, 4}));

  const std::vector calls_in_workers{mp::parallel::process::future(add, 3, 4)};
  EXPECT_EQ(mp::parallel::process::par(calls_in_workers)[0], 7);
}

TEST(Parallel, ADecoratedFunctionIsStillAFunction) {
  const auto p = mp::parallel::decorate(square, {.max_workers = 2});
  EXPECT_EQ(p(7), 49);
  EXPECT_EQ(p.map(std::vector<int>{1, 2, 3}).values(), (std::vector<int>{1, 4, 9}));
  EXPECT_EQ(p.process().map(std::vector<int>{4}).values(), (std::vector<int>{16}));
  const auto who = mp::parallel::decorate(my_pid).process().map(std::vector<int>{0});
  EXPECT_NE(who[0], static_cast<int>(::getpid()));
}

TEST(Parallel, MaxWorkersBoundsTheThreadsAtWork) {
  std::atomic<int> active{0};
  std::atomic<int> most{0};
  auto task = [&](int x) {
    const int now = active.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::yield();
    active.fetch_sub(1);
    return x;
  };
  (void)mp::parallel::map(task, std::vector<int>(200, 1), {.max_workers = 2});
  EXPECT_GE(most.load(), 1);
  EXPECT_LE(most.load(), 2);
  EXPECT_THROW((void)mp::parallel::map(task, std::vector<int>{1}, {.max_workers = -1}), mp::ValueError);
}

}  // namespace
