// Tests of mp::aio's locks, events and conditions (mp/aio/lock.hpp): the behaviours asyncio's own tests check
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

// ================================================================ Lock

TEST(AioSyncLock, AcquireReleaseAndReleaseOfAnUnlockedLockThrows) {
  aio::Lock lock;
  const auto main = [&]() -> aio::Task<void> {
    EXPECT_FALSE(lock.locked());
    co_await lock.acquire();
    EXPECT_TRUE(lock.locked());
    lock.release();
    EXPECT_FALSE(lock.locked());
    EXPECT_THROW(lock.release(), aio::RuntimeError);
  };
  run_test(main());
}

TEST(AioSyncLock, WaitersAcquireInArrivalOrder) {
  aio::Lock lock;
  std::vector<int> order;
  const auto worker = [&](int i) -> aio::Task<void> {
    co_await rounds(5 - i);  // arrive in the order 4, 3, 2, 1, 0
    co_await lock.acquire();
    order.push_back(i);
    co_await aio::sleep(0s);
    lock.release();
  };
  const auto main = [&]() -> aio::Task<void> {
    co_await lock.acquire();
    const auto tasks = spawn(5, worker);
    co_await rounds(7);
    EXPECT_TRUE(order.empty());
    lock.release();
    co_await await_all(tasks);
  };
  run_test(main());
  EXPECT_EQ(order, (std::vector<int>{4, 3, 2, 1, 0}));
}

TEST(AioSyncLock, ANewAcquirerDoesNotOvertakeAWokenWaiter) {
  aio::Lock lock;
  Log log;
  const auto waiter = [&]() -> aio::Task<void> {
    co_await lock.acquire();
    log.emplace_back("waiter");
    lock.release();
  };
  const auto main = [&]() -> aio::Task<void> {
    co_await lock.acquire();
    const auto w = aio::create_task(waiter());
    co_await aio::sleep(0s);  // w waits
    lock.release();           // w is woken; it has not run yet
    EXPECT_FALSE(lock.locked());
    co_await lock.acquire();  // free, but w goes first (asyncio >= 3.11)
    log.emplace_back("main");
    lock.release();
    co_await w;
  };
  run_test(main());
  EXPECT_EQ(log, (Log{"waiter", "main"}));
}

// A waiter that records its acquisition or its cancellation.
struct LockWaiters {
  aio::Lock lock;
  Log log;
  aio::Task<void> waiter(std::string name) {
    try {
      co_await lock.acquire();
    } catch (const aio::CancelledError&) {
      log.push_back(name + " cancelled");
      throw;
    }
    log.push_back(std::move(name));
    co_await aio::sleep(0s);
    lock.release();
  }
};

TEST(AioSyncLock, ACancelledPendingWaiterDoesNotBlockTheOthers) {
  LockWaiters s;
  const auto main = [&]() -> aio::Task<void> {
    co_await s.lock.acquire();
    const auto a = aio::create_task(s.waiter("a"));
    const auto b = aio::create_task(s.waiter("b"));
    const auto c = aio::create_task(s.waiter("c"));
    co_await aio::sleep(0s);
    b.cancel();
    co_await aio::sleep(0s);
    s.lock.release();
    co_await a;
    EXPECT_TRUE(co_await ends_cancelled(b));
    co_await c;
    EXPECT_FALSE(s.lock.locked());
  };
  run_test(main());
  EXPECT_EQ(s.log, (Log{"b cancelled", "a", "c"}));
}

TEST(AioSyncLock, AWokenWaiterCancelledBeforeItRunsPassesTheLockOn) {
  LockWaiters s;
  const auto main = [&]() -> aio::Task<void> {
    co_await s.lock.acquire();
    const auto a = aio::create_task(s.waiter("a"));
    const auto b = aio::create_task(s.waiter("b"));
    const auto c = aio::create_task(s.waiter("c"));
    co_await aio::sleep(0s);
    s.lock.release();  // wakes a ...
    a.cancel();        // ... which is cancelled before it runs
    EXPECT_TRUE(co_await ends_cancelled(a));
    co_await b;
    co_await c;
    EXPECT_FALSE(s.lock.locked());
  };
  run_test(main());
  EXPECT_EQ(s.log, (Log{"a cancelled", "b", "c"}));
}

TEST(AioSyncLock, ACancelRequestedBeforeTheWaitIsDeliveredThere) {
  aio::Lock lock;
  auto self = std::make_shared<aio::Future<void>>();
  bool acquired = false;
  const auto task = [&]() -> aio::Task<void> {
    co_await aio::sleep(0s);
    self->cancel();           // a cancel() pending while it runs ...
    co_await lock.acquire();  // ... is delivered at its next wait
    acquired = true;
  };
  const auto main = [&]() -> aio::Task<void> {
    co_await lock.acquire();
    *self = aio::create_task(task());
    EXPECT_TRUE(co_await ends_cancelled(*self));
    lock.release();
    co_await lock.acquire();  // nothing left behind in the lock
    lock.release();
  };
  run_test(main());
  EXPECT_FALSE(acquired);
}

TEST(AioSyncLock, ScopedGuardReleasesAtScopeEndAndOnException) {
  aio::Lock lock;
  const auto main = [&]() -> aio::Task<void> {
    {
      auto guard = co_await lock.scoped();
      EXPECT_TRUE(lock.locked());
    }
    EXPECT_FALSE(lock.locked());
    try {
      auto guard = co_await lock.scoped();
      throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    EXPECT_FALSE(lock.locked());
    auto guard = co_await lock.scoped();
    guard.release();
    EXPECT_FALSE(lock.locked());
  };
  run_test(main());
}

// ================================================================ Event

TEST(AioSyncEvent, SetWakesEveryWaiterInArrivalOrder) {
  aio::Event ev;
  std::vector<int> order;
  const auto waiter = [&](int i) -> aio::Task<void> {
    co_await rounds(3 - i);
    co_await ev.wait();
    order.push_back(i);
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto tasks = spawn(3, waiter);
    co_await rounds(5);
    EXPECT_TRUE(order.empty());
    EXPECT_FALSE(ev.is_set());
    ev.set();
    ev.clear();  // cleared before they run: they return all the same (as Python's)
    co_await await_all(tasks);
    EXPECT_FALSE(ev.is_set());
    ev.set();
    co_await ev.wait();  // set: no wait
  };
  run_test(main());
  EXPECT_EQ(order, (std::vector<int>{2, 1, 0}));
}

TEST(AioSyncEvent, ACancelledWaiterIsRemovedAndTheOthersWake) {
  aio::Event ev;
  int woken = 0;
  const auto waiter = [&]() -> aio::Task<void> {
    co_await ev.wait();
    ++woken;
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto a = aio::create_task(waiter());
    const auto b = aio::create_task(waiter());
    co_await aio::sleep(0s);
    a.cancel();
    EXPECT_TRUE(co_await ends_cancelled(a));
    ev.set();
    co_await b;
  };
  run_test(main());
  EXPECT_EQ(woken, 1);
}

// ================================================================ Condition

TEST(AioSyncCondition, WaitAndNotifyWithoutTheLockThrowRuntimeError) {
  aio::Condition cond;
  const auto main = [&]() -> aio::Task<void> {
    EXPECT_THROW(co_await cond.wait(), aio::RuntimeError);
    EXPECT_THROW(cond.notify(), aio::RuntimeError);
    EXPECT_THROW(cond.notify_all(), aio::RuntimeError);
    auto guard = co_await cond.scoped();
    cond.notify_all();  // held: fine, nobody waits
  };
  run_test(main());
}

TEST(AioSyncCondition, NotifyWakesInArrivalOrderWithTheLockHeld) {
  aio::Lock lock;
  aio::Condition cond(lock);
  std::vector<int> order;
  const auto waiter = [&](int i) -> aio::Task<void> {
    co_await rounds(3 - i);
    auto guard = co_await cond.scoped();
    co_await cond.wait();
    EXPECT_TRUE(lock.locked());
    order.push_back(i);
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto tasks = spawn(3, waiter);
    co_await rounds(5);
    {
      auto guard = co_await cond.scoped();
      cond.notify(1);
    }
    co_await rounds(3);
    EXPECT_EQ(order, (std::vector<int>{2}));
    {
      auto guard = co_await cond.scoped();
      cond.notify(2);
    }
    co_await await_all(tasks);
  };
  run_test(main());
  EXPECT_EQ(order, (std::vector<int>{2, 1, 0}));
}

TEST(AioSyncCondition, WaitForReturnsThePredicatesValueOnceTrue) {
  aio::Condition cond;
  int value = 0;
  int checks = 0;
  const auto consumer = [&]() -> aio::Task<int> {
    auto guard = co_await cond.scoped();
    co_return co_await cond.wait_for([&] {
      ++checks;
      return value >= 3 ? value : 0;
    });
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto c = aio::create_task(consumer());
    for (int i = 0; i < 3; ++i) {
      co_await aio::sleep(0s);
      auto guard = co_await cond.scoped();
      ++value;
      cond.notify_all();
    }
    EXPECT_EQ(co_await c, 3);
  };
  run_test(main());
  EXPECT_EQ(checks, 4);  // once at first, once per notification
}

TEST(AioSyncCondition, AWaiterCancelledAfterItsNotifyReacquiresAndPassesItOn) {
  aio::Condition cond;
  Log log;
  const auto waiter = [&](std::string name) -> aio::Task<void> {
    auto guard = co_await cond.scoped();
    try {
      co_await cond.wait();
    } catch (const aio::CancelledError&) {
      log.push_back(name + (cond.locked() ? " cancelled, holding the lock" : " cancelled, unlocked"));
      throw;
    }
    log.push_back(std::move(name));
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto a = aio::create_task(waiter("a"));
    const auto b = aio::create_task(waiter("b"));
    co_await aio::sleep(0s);
    {
      auto guard = co_await cond.scoped();
      cond.notify(1);  // wakes a ...
      a.cancel();      // ... which is cancelled before it runs: b gets the notification
    }
    EXPECT_TRUE(co_await ends_cancelled(a));
    co_await b;
    EXPECT_FALSE(cond.locked());
  };
  run_test(main());
  EXPECT_EQ(log, (Log{"a cancelled, holding the lock", "b"}));
}

}  // namespace
