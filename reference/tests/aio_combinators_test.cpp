// Tests of mp::aio's combinators: gather, wait, as_completed, timeout,
// wait_for, shield, task_group (mp/aio/gather.hpp, wait.hpp, timeout.hpp,
// task_group.hpp). Orders come from the loop's rules (FIFO rounds, timers in
// deadline order); wall-clock checks only bound what must be concurrent.
#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "mp/aio.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
namespace aio = mp::aio;
using Clock = std::chrono::steady_clock;
using mp::testing::scaled;

aio::Task<int> after(std::chrono::milliseconds d, int v) {
  co_await aio::sleep(d);
  co_return v;
}

aio::Task<int> fail_after(std::chrono::milliseconds d, std::string what) {
  co_await aio::sleep(d);
  throw std::runtime_error(what);
}

// Records that it was cancelled (and finished cancelling) before rethrowing.
aio::Task<int> sleeper(std::chrono::milliseconds d, bool& cancelled) {
  try {
    co_await aio::sleep(d);
  } catch (const aio::CancelledError&) {
    cancelled = true;
    throw;
  }
  co_return 1;
}

TEST(AioGather, ResultsComeInTheOrderGivenOfMixedTypes) {
  const auto main = []() -> aio::Task<std::string> {
    const auto text = []() -> aio::Task<std::string> {
      co_await aio::sleep(1ms);
      co_return "x";
    };
    const auto nothing = []() -> aio::Task<void> { co_await aio::sleep(0s); };
    auto [a, b, c, d] = co_await aio::gather(after(20ms, 1), text(), nothing(), after(5ms, 4));
    (void)c;
    co_return std::to_string(a) + b + std::to_string(d);
  };
  EXPECT_EQ(aio::run(main()), "1x4");
}

TEST(AioGather, TheSeedsFiveWorkersTakeOneUnitNotFive) {
  std::vector<std::string> log;
  const auto worker = [&log](int i) -> aio::Task<void> {
    log.push_back("start " + std::to_string(i));
    co_await aio::sleep(50ms);
    log.push_back("end " + std::to_string(i));
  };
  const auto main = [&]() -> aio::Task<void> {
    std::vector<aio::Task<void>> ws;
    for (int i = 0; i < 5; ++i) ws.push_back(worker(i));
    co_await aio::gather(std::move(ws));
  };
  const auto t0 = Clock::now();
  aio::run(main());
  const auto took = Clock::now() - t0;
  EXPECT_EQ(log, (std::vector<std::string>{"start 0", "start 1", "start 2", "start 3", "start 4", "end 0",
                                           "end 1", "end 2", "end 3", "end 4"}));
  EXPECT_GE(took, 50ms);
  EXPECT_LT(took, scaled(240ms)) << "all five slept at once: about 1 unit, not 5";
}

TEST(AioGather, TheFirstFailureFailsItAtOnceAndTheOthersGoOn) {
  const auto main = []() -> aio::Task<void> {
    auto slow = aio::create_task(after(40ms, 2));
    const auto t0 = Clock::now();
    std::vector<aio::Future<int>> fs{aio::create_task(fail_after(1ms, "first")), slow,
                                     aio::create_task(fail_after(20ms, "second"))};
    auto g = aio::gather(fs);
    try {
      (void)co_await g;
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "first");
    }
    EXPECT_LT(Clock::now() - t0, 40ms) << "at once, not after the slow one";
    EXPECT_FALSE(slow.done()) << "the others go on";
    EXPECT_EQ(co_await slow, 2);
    co_await aio::sleep(30ms);  // "second" fails unobserved: gather read it, so no report
  };
  std::vector<std::string> reports;
  aio::set_exception_handler([&reports](const std::string& m) { reports.push_back(m); });
  aio::run(main());
  aio::set_exception_handler(nullptr);
  EXPECT_TRUE(reports.empty()) << reports.front();
}

TEST(AioGather, ReturnExceptionsKeepsEveryOutcome) {
  const auto main = []() -> aio::Task<void> {
    std::vector<aio::Task<int>> ts;
    ts.push_back(after(5ms, 1));
    ts.push_back(fail_after(1ms, "bad"));
    ts.push_back(after(1ms, 3));
    auto outcomes = co_await aio::gather(aio::return_exceptions, std::move(ts));
    EXPECT_TRUE(outcomes[0].ok());
    EXPECT_EQ(outcomes[0].value(), 1);
    EXPECT_FALSE(outcomes[1].ok());
    EXPECT_THROW((void)outcomes[1].value(), std::runtime_error);
    EXPECT_EQ(outcomes[2].value(), 3);
  };
  aio::run(main());
}

TEST(AioGather, CancellingTheGatherCancelsItsChildren) {
  const auto main = []() -> aio::Task<void> {
    bool a = false;
    bool b = false;
    std::vector<aio::Task<int>> ts;
    ts.push_back(sleeper(10s, a));
    ts.push_back(sleeper(10s, b));
    auto g = aio::gather(std::move(ts));
    co_await aio::sleep(0s);
    EXPECT_TRUE(g.cancel());
    EXPECT_THROW((void)co_await g, aio::CancelledError);
    EXPECT_TRUE(a && b);
    auto empty = aio::gather(std::vector<aio::Future<int>>{});
    EXPECT_TRUE((co_await empty).empty());
  };
  const auto t0 = Clock::now();
  aio::run(main());
  EXPECT_LT(Clock::now() - t0, scaled(2s));
}

TEST(AioWait, FirstCompletedFirstExceptionAllCompletedAndTimeout) {
  const auto main = []() -> aio::Task<void> {
    std::vector<aio::Future<int>> fs{aio::create_task(after(30ms, 1)), aio::create_task(after(1ms, 2))};
    auto [done, pending] = co_await aio::wait(fs, aio::first_completed);
    EXPECT_EQ(done.size(), 1U);
    EXPECT_EQ(done[0].result(), 2);
    EXPECT_EQ(pending.size(), 1U);

    std::vector<aio::Future<int>> gs{aio::create_task(after(30ms, 1)),
                                     aio::create_task(fail_after(1ms, "x"))};
    auto w2 = co_await aio::wait(gs, aio::first_exception);
    EXPECT_EQ(w2.done.size(), 1U);
    EXPECT_TRUE(w2.done[0].exception() != nullptr);

    auto w3 = co_await aio::wait(fs, aio::all_completed);
    EXPECT_EQ(w3.done.size(), 2U);

    std::vector<aio::Future<int>> hs{aio::create_task(after(5s, 1))};
    const auto t0 = Clock::now();
    auto w4 = co_await aio::wait(hs, aio::all_completed, 20ms);
    EXPECT_EQ(w4.pending.size(), 1U) << "a timeout returns what is pending, raises nothing";
    EXPECT_LT(Clock::now() - t0, scaled(2s));
    hs[0].cancel();
    (void)co_await aio::wait(gs);
  };
  aio::run(main());
}

TEST(AioWait, AsCompletedGivesResultsInTheOrderTheyFinish) {
  const auto main = []() -> aio::Task<std::vector<int>> {
    std::vector<aio::Future<int>> fs{aio::create_task(after(30ms, 30)), aio::create_task(after(1ms, 1)),
                                     aio::create_task(after(15ms, 15))};
    auto it = aio::as_completed(fs);
    std::vector<int> out;
    while (!it.empty()) out.push_back(co_await it.next());
    auto late = aio::as_completed(std::vector<aio::Future<int>>{aio::create_task(after(5s, 0))}, 10ms);
    EXPECT_THROW((void)co_await late.next(), mp::TimeoutError);
    co_return out;
  };
  EXPECT_EQ(aio::run(main()), (std::vector<int>{1, 15, 30}));
}

TEST(AioTimeout, WaitForReturnsInTimeOrCancelsAndWaitsForTheCancellation) {
  const auto main = []() -> aio::Task<void> {
    EXPECT_EQ(co_await aio::wait_for(after(1ms, 5), 5s), 5);
    bool cancelled = false;
    auto inner = aio::create_task(sleeper(10s, cancelled));
    const auto t0 = Clock::now();
    EXPECT_THROW((void)co_await aio::wait_for(inner, 20ms), mp::TimeoutError);
    EXPECT_TRUE(cancelled) << "the inner task was cancelled";
    EXPECT_TRUE(inner.cancelled()) << "and had finished cancelling when wait_for threw";
    EXPECT_LT(Clock::now() - t0, scaled(2s));
    EXPECT_EQ(aio::cancelling(), 0U) << "the timeout took its own cancel() back";
    co_await aio::sleep(1ms);  // and the task goes on normally
  };
  aio::run(main());
}

TEST(AioTimeout, ACancelFromOutsideStaysACancellation) {
  const auto guarded = []() -> aio::Task<int> { co_return co_await aio::timeout(10s, after(10s, 1)); };
  const auto main = [&]() -> aio::Task<void> {
    auto t = aio::create_task(guarded());
    co_await aio::sleep(1ms);
    t.cancel();
    EXPECT_THROW((void)co_await t, aio::CancelledError);
  };
  aio::run(main());
}

TEST(AioTimeout, NestedScopesReportTheirOwnExpiry) {
  const auto main = []() -> aio::Task<std::string> {
    try {
      (void)co_await aio::timeout(10s, aio::timeout(10ms, after(5s, 1)));
    } catch (const mp::TimeoutError&) {
      co_return "inner expired, outer untouched";
    }
    co_return "no timeout";
  };
  EXPECT_EQ(aio::run(main()), "inner expired, outer untouched");
}

TEST(AioShield, CancellingTheAwaiterLeavesTheShieldedTaskRunning) {
  const auto main = []() -> aio::Task<int> {
    auto inner = aio::create_task(after(20ms, 7));
    auto waiter = aio::create_task(
        [](aio::Future<int> f) -> aio::Task<int> { co_return co_await aio::shield(f); }(inner));
    co_await aio::sleep(1ms);
    waiter.cancel();
    EXPECT_THROW((void)co_await waiter, aio::CancelledError);
    EXPECT_FALSE(inner.cancelled());
    co_return co_await inner;
  };
  EXPECT_EQ(aio::run(main()), 7);
}

TEST(AioTaskGroup, AllTasksEndBeforeItReturns) {
  const auto main = []() -> aio::Task<int> {
    aio::Future<int> a;
    aio::Future<int> b;
    co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
      a = tg.create_task(after(10ms, 1));
      b = tg.create_task(after(1ms, 2));
      co_return;
    });
    EXPECT_TRUE(a.done() && b.done());
    co_return a.result() + b.result();
  };
  EXPECT_EQ(aio::run(main()), 3);
}

TEST(AioTaskGroup, AFailureCancelsTheOthersAndTheBodyAndAllErrorsAreKept) {
  const auto main = []() -> aio::Task<std::string> {
    bool other_cancelled = false;
    bool body_cancelled = false;
    bool caught = false;
    try {
      co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
        (void)tg.create_task(sleeper(10s, other_cancelled));
        (void)tg.create_task(fail_after(1ms, "one"));
        (void)tg.create_task(fail_after(1ms, "two"));
        try {
          co_await aio::sleep(10s);
        } catch (const aio::CancelledError&) {
          body_cancelled = true;
          throw;
        }
      });
    } catch (const aio::ExceptionGroup& g) {
      EXPECT_EQ(g.exceptions().size(), 2U) << g.what();
      EXPECT_TRUE(other_cancelled);
      EXPECT_TRUE(body_cancelled);
      EXPECT_EQ(aio::cancelling(), 0U) << "the group took back its cancel() of the body";
      caught = true;
    }
    co_await aio::sleep(1ms);  // the task goes on: no cancellation is left pending
    co_return caught ? "group" : "none";
  };
  EXPECT_EQ(aio::run(main()), "group");
}

TEST(AioTaskGroup, ABodyErrorCancelsTheTasksAndIsInTheGroup) {
  const auto main = []() -> aio::Task<void> {
    bool cancelled = false;
    try {
      co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
        (void)tg.create_task(sleeper(10s, cancelled));
        co_await aio::sleep(0s);
        throw std::logic_error("body");
      });
      ADD_FAILURE() << "no exception";
    } catch (const aio::ExceptionGroup& g) {
      EXPECT_EQ(g.exceptions().size(), 1U);
      if (g.exceptions().size() == 1) {
        EXPECT_THROW(std::rethrow_exception(g.exceptions()[0]), std::logic_error);
      }
    }
    EXPECT_TRUE(cancelled);
  };
  aio::run(main());
}

TEST(AioTaskGroup, CancelledFromOutsideItCancelsItsTasksAndPropagates) {
  bool cancelled = false;
  aio::TaskGroup* group = nullptr;
  const auto body = [&]() -> aio::Task<void> {
    co_await aio::task_group([&](aio::TaskGroup& tg) -> aio::Task<void> {
      group = &tg;
      (void)tg.create_task(sleeper(10s, cancelled));
      co_return;
    });
  };
  const auto main = [&]() -> aio::Task<void> {
    auto t = aio::create_task(body());
    co_await aio::sleep(1ms);
    t.cancel();
    EXPECT_THROW(co_await t, aio::CancelledError);
    EXPECT_TRUE(cancelled);
  };
  aio::run(main());
  (void)group;
}

}  // namespace
