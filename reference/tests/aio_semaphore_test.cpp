// Tests of mp::aio's semaphores and barriers (mp/aio/semaphore.hpp): the behaviours asyncio's own tests check
// (FIFO wake-ups, fairness, cancellation losing nothing). Orders come from the
// loop's FIFO rounds (`co_await aio::sleep(0s)` yields one round), never from
// wall-clock sleeps; every test body runs under a watchdog that cancels it
// if it hangs (aio_test_support.hpp).
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aio_test_support.hpp"
#include "mp/aio/lock.hpp"
#include "mp/aio/queue.hpp"
#include "mp/aio/semaphore.hpp"

namespace {

using namespace mp::testing::aio_support;

// ================================================================ Semaphore

TEST(AioSyncSemaphore, CountsUnitsAndRejectsANegativeValue) {
  EXPECT_THROW(aio::Semaphore(-1), mp::ValueError);
  aio::Semaphore sem(2);
  const auto main = [&]() -> aio::Task<void> {
    co_await sem.acquire();
    EXPECT_FALSE(sem.locked());
    co_await sem.acquire();
    EXPECT_TRUE(sem.locked());
    EXPECT_EQ(sem.value(), 0U);
    sem.release();
    EXPECT_FALSE(sem.locked());
    sem.release();
    sem.release();  // a plain Semaphore may go past its initial value
    EXPECT_EQ(sem.value(), 3U);
    {
      auto guard = co_await sem.scoped();
      EXPECT_EQ(sem.value(), 2U);
    }
    EXPECT_EQ(sem.value(), 3U);
  };
  run_test(main());
}

TEST(AioSyncSemaphore, WaitersAcquireInArrivalOrder) {
  aio::Semaphore sem(0);
  std::vector<int> order;
  const auto worker = [&](int i) -> aio::Task<void> {
    co_await rounds(5 - i);
    co_await sem.acquire();
    order.push_back(i);
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto tasks = spawn(5, worker);
    co_await rounds(7);
    for (int i = 0; i < 5; ++i) sem.release();
    EXPECT_EQ(sem.value(), 0U);  // each unit handed to a waiter at once
    co_await await_all(tasks);
  };
  run_test(main());
  EXPECT_EQ(order, (std::vector<int>{4, 3, 2, 1, 0}));
}

TEST(AioSyncSemaphore, ANewAcquirerDoesNotTakeAUnitHandedToAWaiter) {
  aio::Semaphore sem(0);
  Log log;
  const auto waiter = [&]() -> aio::Task<void> {
    co_await sem.acquire();
    log.emplace_back("waiter");
    sem.release();
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto w = aio::create_task(waiter());
    co_await aio::sleep(0s);
    sem.release();
    EXPECT_TRUE(sem.locked());
    co_await sem.acquire();
    log.emplace_back("main");
    co_await w;
  };
  run_test(main());
  EXPECT_EQ(log, (Log{"waiter", "main"}));
}

// asyncio's test_acquire_cancel_before_awoken.
TEST(AioSyncSemaphore, CancelledWaitersDoNotSwallowARelease) {
  aio::Semaphore sem(0);
  const auto acquirer = [&]() -> aio::Task<void> { co_await sem.acquire(); };
  const auto main = [&]() -> aio::Task<void> {
    const auto t = spawn(4, acquirer);
    co_await aio::sleep(0s);
    t[0].cancel();
    t[1].cancel();
    sem.release();
    co_await rounds(2);
    EXPECT_TRUE(t[2].done());
    EXPECT_FALSE(t[2].cancelled());
    EXPECT_FALSE(t[3].done());
    t[3].cancel();
    for (auto& f : t) (void)co_await ends_cancelled(f);
    EXPECT_EQ(sem.value(), 0U);
  };
  run_test(main());
}

// asyncio's test_acquire_no_hang: the unit handed to a waiter cancelled at
// the same moment goes back to the counter.
TEST(AioSyncSemaphore, AUnitHandedToAWaiterCancelledAtOnceIsNotLost) {
  aio::Semaphore sem(1);
  bool c2_acquired = false;
  auto t2 = std::make_shared<aio::Future<void>>();
  const auto c1 = [&]() -> aio::Task<void> {
    {
      auto guard = co_await sem.scoped();
      co_await aio::sleep(0s);
    }              // hands the unit to c2 ...
    t2->cancel();  // ... and cancels it before it runs
  };
  const auto c2 = [&]() -> aio::Task<void> {
    auto guard = co_await sem.scoped();
    c2_acquired = true;
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto t1 = aio::create_task(c1());
    *t2 = aio::create_task(c2());
    co_await t1;
    EXPECT_TRUE(co_await ends_cancelled(*t2));
    EXPECT_EQ(sem.value(), 1U);
    co_await sem.acquire();  // does not hang
  };
  run_test(main());
  EXPECT_FALSE(c2_acquired);
}

TEST(AioSyncSemaphore, AWokenWaiterCancelledPassesTheUnitToTheNext) {
  aio::Semaphore sem(0);
  Log log;
  const auto waiter = [&](std::string name) -> aio::Task<void> {
    co_await sem.acquire();
    log.push_back(std::move(name));
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto a = aio::create_task(waiter("a"));
    const auto b = aio::create_task(waiter("b"));
    const auto c = aio::create_task(waiter("c"));
    co_await aio::sleep(0s);
    sem.release();  // handed to a ...
    a.cancel();     // ... cancelled before it runs: b gets it
    EXPECT_TRUE(co_await ends_cancelled(a));
    co_await b;
    co_await rounds(2);
    EXPECT_FALSE(c.done());
    EXPECT_EQ(sem.value(), 0U);
    sem.release();
    co_await c;
  };
  run_test(main());
  EXPECT_EQ(log, (Log{"b", "c"}));
}

TEST(AioSyncSemaphore, BoundedSemaphoreRefusesAReleasePastItsInitialValue) {
  EXPECT_THROW(aio::BoundedSemaphore(-1), mp::ValueError);
  aio::BoundedSemaphore sem(2);
  const auto main = [&]() -> aio::Task<void> {
    EXPECT_THROW(sem.release(), mp::ValueError);
    co_await sem.acquire();
    sem.release();
    EXPECT_THROW(sem.release(), mp::ValueError);
    EXPECT_EQ(sem.value(), 2U);
  };
  run_test(main());
}

// ================================================================ Barrier

TEST(AioSyncBarrier, PartiesPassTogetherWithArrivalIndices) {
  EXPECT_THROW(aio::Barrier(0), mp::ValueError);
  aio::Barrier barrier(3);
  Log log;
  const auto party = [&](std::string name) -> aio::Task<std::size_t> {
    log.push_back(name + " arrives");
    const std::size_t index = co_await barrier.wait();
    log.push_back(name + " passes");
    co_return index;
  };
  const auto main = [&]() -> aio::Task<void> {
    EXPECT_EQ(barrier.parties(), 3U);
    for (int round = 0; round < 2; ++round) {  // it refills after each round
      log.clear();
      const auto a = aio::create_task(party("a"));
      const auto b = aio::create_task(party("b"));
      co_await rounds(3);
      EXPECT_EQ(barrier.n_waiting(), 2U);
      EXPECT_EQ(log, (Log{"a arrives", "b arrives"}));
      const auto c = aio::create_task(party("c"));
      EXPECT_EQ(co_await a, 0U);
      EXPECT_EQ(co_await b, 1U);
      EXPECT_EQ(co_await c, 2U);
      EXPECT_EQ(log.size(), 6U);
      EXPECT_EQ(log[2], "c arrives");
      EXPECT_EQ(barrier.n_waiting(), 0U);
      EXPECT_FALSE(barrier.broken());
    }
  };
  run_test(main());
}

TEST(AioSyncBarrier, AbortBreaksWaitersAndLaterWaitsUntilReset) {
  aio::Barrier barrier(3);
  int broken = 0;
  const auto party = [&]() -> aio::Task<void> {
    try {
      (void)co_await barrier.wait();
    } catch (const mp::BrokenBarrierError&) {
      ++broken;
    }
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto a = aio::create_task(party());
    const auto b = aio::create_task(party());
    co_await rounds(3);
    co_await barrier.abort();
    co_await a;
    co_await b;
    EXPECT_EQ(broken, 2);
    EXPECT_TRUE(barrier.broken());
    EXPECT_THROW((void)co_await barrier.wait(), mp::BrokenBarrierError);
    co_await barrier.reset();
    EXPECT_FALSE(barrier.broken());
    const auto waiter = [&]() -> aio::Task<std::size_t> { co_return co_await barrier.wait(); };
    const auto all = spawn(3, waiter);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(co_await all[i], i);
  };
  run_test(main());
}

TEST(AioSyncBarrier, ResetBreaksTheCurrentWaitersOnly) {
  aio::Barrier barrier(3);
  int broken = 0;
  const auto party = [&]() -> aio::Task<void> {
    try {
      (void)co_await barrier.wait();
    } catch (const mp::BrokenBarrierError&) {
      ++broken;
    }
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto a = aio::create_task(party());
    const auto b = aio::create_task(party());
    co_await rounds(3);
    co_await barrier.reset();
    co_await a;
    co_await b;
    EXPECT_EQ(broken, 2);
    EXPECT_FALSE(barrier.broken());
    EXPECT_EQ(barrier.n_waiting(), 0U);
    const auto all = spawn(3, party);
    co_await await_all(all);
    EXPECT_EQ(broken, 2);
  };
  run_test(main());
}

// asyncio 3.11's Barrier: a cancelled waiter leaves; the barrier is not broken.
TEST(AioSyncBarrier, ACancelledWaiterLeavesWithoutBreakingIt) {
  aio::Barrier barrier(2);
  const auto waiter = [&]() -> aio::Task<std::size_t> { co_return co_await barrier.wait(); };
  const auto main = [&]() -> aio::Task<void> {
    const auto a = aio::create_task(waiter());
    co_await rounds(3);
    EXPECT_EQ(barrier.n_waiting(), 1U);
    a.cancel();
    bool cancelled = false;
    try {
      (void)co_await a;
    } catch (const aio::CancelledError&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    EXPECT_EQ(barrier.n_waiting(), 0U);
    EXPECT_FALSE(barrier.broken());
    const auto b = aio::create_task(waiter());
    const auto c = aio::create_task(waiter());
    EXPECT_EQ(co_await b, 0U);
    EXPECT_EQ(co_await c, 1U);
  };
  run_test(main());
}

}  // namespace
