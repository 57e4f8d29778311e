// Tests of mp::aio's core: tasks, futures, the loop, sleep, cancellation
// (mp/aio/task.hpp, future.hpp, loop.hpp, sleep.hpp, run.hpp). Orders are
// checked by the loop's own rules (FIFO rounds, timers in deadline order),
// never by wall-clock luck; timing checks have wide margins.
#include <chrono>
#include <csignal>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "mp/aio.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
namespace aio = mp::aio;
using Clock = std::chrono::steady_clock;

aio::Task<int> answer() { co_return 42; }

aio::Task<int> add_later(int a, int b) {
  co_await aio::sleep(1ms);
  co_return a + b;
}

TEST(AioTask, RunReturnsMainsResult) {
  EXPECT_EQ(aio::run(answer()), 42);
  EXPECT_EQ(aio::run(add_later(2, 3)), 5);
}

TEST(AioTask, AnAwaitedTaskRunsInlineAndItsExceptionPropagates) {
  const auto fails = []() -> aio::Task<int> {
    co_await aio::sleep(0s);
    throw std::invalid_argument("bad");
  };
  const auto main = [&]() -> aio::Task<std::string> {
    const int x = co_await add_later(1, 2);
    try {
      (void)co_await fails();
    } catch (const std::invalid_argument& e) {
      co_return std::to_string(x) + " " + e.what();
    }
    co_return "no exception";
  };
  EXPECT_EQ(aio::run(main()), "3 bad");
  EXPECT_THROW(aio::run(fails()), std::invalid_argument);
}

TEST(AioTask, TasksInterleaveAtEachAwaitInFifoOrder) {
  std::vector<std::string> log;
  const auto worker = [&log](std::string name) -> aio::Task<void> {
    for (int i = 0; i < 3; ++i) {
      log.push_back(name + std::to_string(i));
      co_await aio::sleep(0s);
    }
  };
  const auto main = [&]() -> aio::Task<void> {
    auto a = aio::create_task(worker("a"));
    auto b = aio::create_task(worker("b"));
    co_await a;
    co_await b;
  };
  aio::run(main());
  EXPECT_EQ(log, (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}));
}

TEST(AioTask, SleepersWakeInDeadlineOrderAndConcurrently) {
  std::vector<int> order;
  const auto sleeper = [&order](int ms) -> aio::Task<void> {
    co_await aio::sleep(std::chrono::milliseconds(ms));
    order.push_back(ms);
  };
  const auto main = [&]() -> aio::Task<void> {
    std::vector<aio::Future<void>> all;
    for (const int ms : {30, 10, 20}) all.push_back(aio::create_task(sleeper(ms)));
    for (auto& f : all) co_await f;
  };
  const auto t0 = Clock::now();
  aio::run(main());
  const auto took = Clock::now() - t0;
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
  EXPECT_GE(took, 30ms) << "never before the deadline";
  EXPECT_LT(took, mp::testing::scaled(1s)) << "concurrently: about 30 ms, not 60";
}

TEST(AioCancel, ASleepingTaskGetsCancelledErrorAndMayCleanUp) {
  bool cleaned = false;
  const auto victim = [&cleaned]() -> aio::Task<int> {
    try {
      co_await aio::sleep(10s);
    } catch (const aio::CancelledError& e) {
      cleaned = std::string(e.what()) == "stop now";
      throw;
    }
    co_return 1;
  };
  const auto main = [&]() -> aio::Task<bool> {
    auto t = aio::create_task(victim());
    co_await aio::sleep(0s);  // it starts and sleeps
    EXPECT_TRUE(t.cancel("stop now"));
    EXPECT_FALSE(t.done()) << "delivered when the loop runs it";
    try {
      (void)co_await t;
    } catch (const aio::CancelledError&) {
      co_return t.cancelled();
    }
    co_return false;
  };
  const auto t0 = Clock::now();
  EXPECT_TRUE(aio::run(main()));
  EXPECT_TRUE(cleaned);
  EXPECT_LT(Clock::now() - t0, mp::testing::scaled(2s)) << "not after the 10 s sleep";
}

TEST(AioCancel, ATaskCancelledBeforeItStartsNeverRuns) {
  bool ran = false;
  const auto body = [&ran]() -> aio::Task<void> {
    ran = true;
    co_return;
  };
  const auto main = [&]() -> aio::Task<void> {
    auto t = aio::create_task(body());
    t.cancel();
    try {
      co_await t;
    } catch (const aio::CancelledError&) {
    }
    EXPECT_TRUE(t.cancelled());
  };
  aio::run(main());
  EXPECT_FALSE(ran);
}

TEST(AioCancel, ATaskMaySwallowItsCancellationAndGoOn) {
  const auto stubborn = []() -> aio::Task<int> {
    try {
      co_await aio::sleep(10s);
    } catch (const aio::CancelledError&) {
    }
    co_await aio::sleep(1ms);
    co_return 7;
  };
  const auto main = [&]() -> aio::Task<int> {
    auto t = aio::create_task(stubborn());
    co_await aio::sleep(0s);
    t.cancel();
    co_return co_await t;
  };
  EXPECT_EQ(aio::run(main()), 7);
}

TEST(AioCancel, CancellingATaskThatAwaitsAnotherCancelsBoth) {
  const auto inner = []() -> aio::Task<void> { co_await aio::sleep(10s); };
  aio::Future<void> inner_f;
  const auto outer = [&]() -> aio::Task<void> {
    inner_f = aio::create_task(inner());
    co_await inner_f;
  };
  const auto main = [&]() -> aio::Task<void> {
    auto o = aio::create_task(outer());
    co_await aio::sleep(0s);
    co_await aio::sleep(0s);
    o.cancel();
    EXPECT_THROW(co_await o, aio::CancelledError);
    EXPECT_TRUE(inner_f.cancelled()) << "Python cancels what a cancelled task awaits";
  };
  aio::run(main());
}

TEST(AioCancel, RunCancelsWhatIsLeftWhenMainEnds) {
  bool cancelled = false;
  const auto forever = [&cancelled]() -> aio::Task<void> {
    try {
      co_await aio::sleep(1h);
    } catch (const aio::CancelledError&) {
      cancelled = true;
      throw;
    }
  };
  const auto main = [&]() -> aio::Task<int> {
    (void)aio::create_task(forever());
    co_await aio::sleep(0s);
    co_return 1;
  };
  EXPECT_EQ(aio::run(main()), 1);
  EXPECT_TRUE(cancelled);
}

TEST(AioFuture, AFutureSetByAnotherTaskWakesItsAwaiters) {
  const auto main = []() -> aio::Task<int> {
    auto f = aio::create_future<int>();
    int callbacks = 0;
    f.add_done_callback([&callbacks](aio::Future<int>& done) { callbacks += done.result(); });
    const auto setter = [](aio::Future<int> g) -> aio::Task<void> {
      co_await aio::sleep(1ms);
      g.set_result(21);
    };
    const auto reader = [](aio::Future<int> g) -> aio::Task<int> { co_return co_await g; };
    auto r1 = aio::create_task(reader(f));
    auto r2 = aio::create_task(reader(f));
    co_await setter(f);
    EXPECT_THROW(f.set_result(1), mp::InvalidStateError);
    const int sum = co_await r1 + co_await r2;
    co_await aio::sleep(0s);
    co_return sum + callbacks;
  };
  EXPECT_EQ(aio::run(main()), 63);
}

TEST(AioFuture, StatesAndErrorsAsPythons) {
  const auto main = []() -> aio::Task<void> {
    auto f = aio::create_future<int>();
    EXPECT_THROW((void)f.result(), mp::InvalidStateError);
    EXPECT_TRUE(f.cancel("why"));
    EXPECT_FALSE(f.cancel());
    EXPECT_TRUE(f.cancelled());
    EXPECT_THROW((void)f.result(), aio::CancelledError);
    auto g = aio::create_future<int>();
    g.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
    EXPECT_TRUE(g.done());
    EXPECT_THROW(co_await g, std::runtime_error);
  };
  aio::run(main());
}

TEST(AioFuture, AnExceptionNobodyRetrievedIsReported) {
  std::vector<std::string> reports;
  aio::set_exception_handler([&reports](const std::string& m) { reports.push_back(m); });
  const auto fails = []() -> aio::Task<void> {
    throw std::runtime_error("lost");
    co_return;
  };
  const auto main = [&]() -> aio::Task<void> {
    (void)aio::create_task(fails());
    co_await aio::sleep(1ms);
  };
  aio::run(main());
  aio::set_exception_handler(nullptr);
  ASSERT_EQ(reports.size(), 1U);
  EXPECT_NE(reports[0].find("Task exception was never retrieved"), std::string::npos);
  EXPECT_NE(reports[0].find("lost"), std::string::npos);
}

TEST(AioLoop, OutsideALoopTheCallsSayWhy) {
  EXPECT_TRUE(mp::testing::throws_with<aio::RuntimeError>([] { (void)aio::create_future<int>(); },
                                                          "no running event loop"));
  const auto nested = []() -> aio::Task<void> {
    EXPECT_THROW(aio::run(answer()), aio::RuntimeError);
    co_return;
  };
  aio::run(nested());
}

TEST(AioLoop, AFutureOfAnotherLoopIsRefused) {
  aio::EventLoop a;
  aio::Future<int> of_a;
  a.run_until_complete([&of_a]() -> aio::Task<void> {
    of_a = aio::create_future<int>();
    co_return;
  }());
  const auto main = [&of_a]() -> aio::Task<void> {  // another loop: aio::run's
    EXPECT_THROW((void)co_await of_a, aio::RuntimeError);
  };
  aio::run(main());
}

// A descriptor's number is reused after close(): the loop must watch the new
// file, whether the old watch fired or was cancelled (it keeps registrations
// between waits to save system calls).
TEST(AioLoop, AReusedDescriptorNumberIsWatchedAfresh) {
  const auto wait_readable = [](int fd) -> aio::Task<void> { co_await aio::readable(fd); };
  const auto main = [&]() -> aio::Task<int> {
    int woke = 0;
    for (const bool cancel_first : {false, true, false, true}) {
      int fds[2];
      EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
      if (cancel_first) {
        auto t = aio::create_task(wait_readable(fds[0]));
        co_await aio::sleep(0s);  // it waits, armed
        t.cancel();
        EXPECT_THROW(co_await t, aio::CancelledError);
      } else {
        EXPECT_EQ(::write(fds[1], "x", 1), 1);
        co_await aio::readable(fds[0]);  // fires once
      }
      ::close(fds[0]);
      ::close(fds[1]);
      int again[2];
      EXPECT_EQ(::pipe2(again, O_CLOEXEC | O_NONBLOCK), 0);
      EXPECT_EQ(again[0], fds[0]) << "the same number, another pipe";
      EXPECT_EQ(::write(again[1], "y", 1), 1);
      co_await aio::wait_for(wait_readable(again[0]), 5s);  // a hang would be a TimeoutError
      ++woke;
      ::close(again[0]);
      ::close(again[1]);
    }
    co_return woke;
  };
  EXPECT_EQ(aio::run(main()), 4);
}

TEST(AioLoop, CallSoonThreadsafeWakesASleepingLoop) {
  const auto main = []() -> aio::Task<int> {
    auto f = aio::create_future<int>();
    aio::EventLoop& loop = aio::EventLoop::running();
    // A handle is not thread-safe, not even its copies: one is made here and
    // moved across, so that the worker thread never counts a reference.
    std::jthread worker(
        [&loop, g = f]() mutable { loop.call_soon_threadsafe([g = std::move(g)] { g.set_result(9); }); });
    co_return co_await f;
  };
  EXPECT_EQ(aio::run(main()), 9);
}

TEST(AioLoop, SigintCancelsTheMainTask) {
  const auto main = []() -> aio::Task<void> {
    co_await aio::sleep(0s);
    std::raise(SIGINT);
    co_await aio::sleep(10s);
  };
  const auto t0 = Clock::now();
  EXPECT_THROW(aio::run(main()), aio::CancelledError);
  EXPECT_LT(Clock::now() - t0, mp::testing::scaled(2s));
}

}  // namespace
