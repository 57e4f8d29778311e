// Tests of futures made by hand: mp::Future<R>::create(),
// set_running_or_notify_cancel(), set_result(), set_exception() and
// mp::InvalidStateError (Python's Future API for executor writers; suite `executor`).
// Threads meet at std::latch / std::promise gates; every wait has a deadline.
#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include <gtest/gtest.h>

#include "mp/executor.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::scaled;

TEST(HandMadeFuture, GoesFromPendingToRunningToFinished) {
  auto f = mp::Future<int>::create();
  EXPECT_TRUE(f.valid());
  EXPECT_FALSE(f.done());
  EXPECT_FALSE(f.running());
  EXPECT_TRUE(f.set_running_or_notify_cancel());
  EXPECT_TRUE(f.running());
  EXPECT_FALSE(f.cancel()) << "a running future cannot be cancelled";
  f.set_result(42);
  EXPECT_TRUE(f.done());
  EXPECT_FALSE(f.running());
  EXPECT_EQ(f.result(), 42);
  EXPECT_EQ(f.exception(), nullptr);
}

TEST(HandMadeFuture, ResultTimesOutWhileNobodySetsIt) {
  auto f = mp::Future<std::string>::create();
  EXPECT_THROW((void)f.result(20ms), mp::TimeoutError);
  f.set_result("late");  // a pending future may be set without set_running first, as in Python
  EXPECT_EQ(f.result(0ms), "late");
}

TEST(HandMadeFuture, ManyWaitersAllGetTheValueSetByAnotherThread) {
  auto f = mp::Future<int>::create();
  constexpr int waiters = 8;
  std::latch started(waiters + 1);
  std::vector<std::future<int>> got;
  got.reserve(waiters);
  for (int i = 0; i < waiters; ++i) {
    got.push_back(std::async(std::launch::async, [&started, f] {
      started.count_down();
      return f.result(scaled(10s));
    }));
  }
  started.arrive_and_wait();  // the waiters are (about to be) inside result(): either order must work
  f.set_result(7);
  for (auto& g : got) {
    ASSERT_EQ(g.wait_for(scaled(10s)), std::future_status::ready);
    EXPECT_EQ(g.get(), 7);
  }
}

TEST(HandMadeFuture, SetExceptionIsRethrownByResult) {
  auto f = mp::Future<int>::create();
  ASSERT_TRUE(f.set_running_or_notify_cancel());
  f.set_exception(std::make_exception_ptr(std::out_of_range("no such row")));
  EXPECT_TRUE(f.done());
  try {
    (void)f.result();
    ADD_FAILURE() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "no such row");
  }
  EXPECT_NE(f.exception(), nullptr);
  EXPECT_THROW(f.set_exception(nullptr), mp::ValueError);
}

TEST(HandMadeFuture, SettingTwiceRaisesInvalidStateError) {
  auto f = mp::Future<int>::create();
  f.set_result(1);
  EXPECT_THROW(f.set_result(2), mp::InvalidStateError);
  EXPECT_THROW(f.set_exception(std::make_exception_ptr(std::runtime_error("x"))), mp::InvalidStateError);
  EXPECT_THROW((void)f.set_running_or_notify_cancel(), mp::InvalidStateError);
  EXPECT_EQ(f.result(), 1) << "the first value stays";
}

TEST(HandMadeFuture, ACancelledFutureTellsTheRunnerNotToRun) {
  auto f = mp::Future<int>::create();
  ASSERT_TRUE(f.cancel());
  EXPECT_TRUE(f.cancelled());
  EXPECT_FALSE(f.set_running_or_notify_cancel()) << "cancelled: the work must not run";
  try {
    f.set_result(3);
    ADD_FAILURE() << "no exception";
  } catch (const mp::InvalidStateError& e) {
    EXPECT_NE(std::string(e.what()).find("cancelled"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)f.result(), mp::CancelledError);
}

TEST(HandMadeFuture, RunningTwiceRaisesInvalidStateError) {
  auto f = mp::Future<void>::create();
  ASSERT_TRUE(f.set_running_or_notify_cancel());
  EXPECT_THROW((void)f.set_running_or_notify_cancel(), mp::InvalidStateError);
  f.set_result();
  EXPECT_NO_THROW(f.result());
}

TEST(HandMadeFuture, OneOfManyConcurrentSettersWins) {
  for (int round = 0; round < 50; ++round) {
    auto f = mp::Future<int>::create();
    constexpr int setters = 4;
    std::latch go(setters);
    std::atomic<int> won{0};
    std::atomic<int> refused{0};
    std::vector<std::jthread> threads;
    for (int i = 0; i < setters; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        try {
          f.set_result(i);
          won.fetch_add(1);
        } catch (const mp::InvalidStateError&) {
          refused.fetch_add(1);
        }
      });
    }
    threads.clear();  // joins
    ASSERT_EQ(won.load(), 1) << "round " << round;
    ASSERT_EQ(refused.load(), setters - 1);
    EXPECT_GE(f.result(0ms), 0);
  }
}

TEST(HandMadeFuture, CallbacksRunOnceInTheSettingThreadOrAtOnce) {
  auto f = mp::Future<int>::create();
  std::atomic<int> calls{0};
  std::thread::id ran_in;
  f.add_done_callback([&](const mp::Future<int>& g) {
    calls.fetch_add(1);
    ran_in = std::this_thread::get_id();
    EXPECT_EQ(g.result(0ms), 5);
  });
  EXPECT_EQ(calls.load(), 0);
  std::thread::id setter;
  std::jthread t([&] {
    setter = std::this_thread::get_id();
    f.set_result(5);
  });
  t.join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(ran_in, setter);
  // Added after it is done: runs now, in this thread.
  int late_calls = 0;
  std::thread::id late_in;
  f.add_done_callback([&](const mp::Future<int>&) {
    ++late_calls;
    late_in = std::this_thread::get_id();
  });
  EXPECT_EQ(late_calls, 1);
  EXPECT_EQ(late_in, std::this_thread::get_id());
  EXPECT_EQ(calls.load(), 1);
}

TEST(HandMadeFuture, WaitAndAsCompletedSeeHandMadeFutures) {
  std::vector<mp::Future<int>> fs{mp::Future<int>::create(), mp::Future<int>::create(),
                                  mp::Future<int>::create()};
  auto none = mp::wait(fs, 10ms, mp::FIRST_COMPLETED);
  EXPECT_TRUE(none.done.empty());
  EXPECT_EQ(none.not_done.size(), 3U);

  std::jthread setter([second = fs[1]]() mutable { second.set_result(2); });
  auto one = mp::wait(fs, scaled(10s), mp::FIRST_COMPLETED);
  ASSERT_EQ(one.done.size(), 1U);
  EXPECT_TRUE(one.done[0] == fs[1]);

  fs[2].set_exception(std::make_exception_ptr(std::runtime_error("boom")));
  auto failed = mp::wait(fs, scaled(10s), mp::FIRST_EXCEPTION);
  EXPECT_EQ(failed.done.size(), 2U);

  fs[0].set_result(0);
  int sum = 0;
  int errors = 0;
  for (mp::Future<int>& f : mp::as_completed(fs, scaled(10s))) {
    try {
      sum += f.result();
    } catch (const std::runtime_error&) {
      ++errors;
    }
  }
  EXPECT_EQ(sum, 2);
  EXPECT_EQ(errors, 1);
}

int raise_invalid_state(int /*unused*/) { throw mp::InvalidStateError("from a worker"); }

TEST(HandMadeFuture, InvalidStateErrorComesBackFromAWorkerProcessAsItself) {
  mp::ProcessPoolExecutor ex(1);
  auto f = ex.submit(raise_invalid_state, 0);
  try {
    (void)f.result(scaled(30s));
    ADD_FAILURE() << "no exception";
  } catch (const mp::InvalidStateError& e) {
    EXPECT_EQ(typeid(e), typeid(mp::InvalidStateError));
    EXPECT_STREQ(e.what(), "from a worker");
  }
}

}  // namespace
