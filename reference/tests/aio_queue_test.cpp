// Tests of mp::aio's queues (mp/aio/queue.hpp): the behaviours asyncio's own tests check
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

// ================================================================ Queue

TEST(AioQueue, NowaitCallsSizesAndErrors) {
  aio::Queue<int> q(2);
  EXPECT_EQ(q.maxsize(), 2U);
  EXPECT_TRUE(q.empty());
  EXPECT_THROW((void)q.get_nowait(), mp::Empty);
  q.put_nowait(1);
  q.put_nowait(2);
  EXPECT_TRUE(q.full());
  EXPECT_EQ(q.qsize(), 2U);
  EXPECT_THROW(q.put_nowait(3), mp::Full);
  EXPECT_EQ(q.get_nowait(), 1);
  EXPECT_EQ(q.get_nowait(), 2);
  aio::Queue<int> unbounded;
  for (int i = 0; i < 1000; ++i) unbounded.put_nowait(i);
  EXPECT_FALSE(unbounded.full());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(unbounded.get_nowait(), i);
}

TEST(AioQueue, GettersWaitAndAreServedInArrivalOrder) {
  aio::Queue<int> q;
  std::vector<std::pair<int, int>> got;  // (getter, item)
  const auto getter = [&](int i) -> aio::Task<void> {
    co_await rounds(3 - i);
    got.emplace_back(i, co_await q.get());
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto tasks = spawn(3, getter);
    co_await rounds(5);
    EXPECT_TRUE(got.empty());
    for (int item = 10; item < 13; ++item) co_await q.put(item);
    co_await await_all(tasks);
  };
  run_test(main());
  EXPECT_EQ(got, (std::vector<std::pair<int, int>>{{2, 10}, {1, 11}, {0, 12}}));
}

TEST(AioQueue, PuttersWaitWhileFullAndAreServedInArrivalOrder) {
  aio::Queue<int> q(1);
  const auto putter = [&](int i) -> aio::Task<void> {
    co_await rounds(3 - i);
    co_await q.put(i);
  };
  const auto main = [&]() -> aio::Task<void> {
    co_await q.put(-1);
    const auto tasks = spawn(3, putter);
    co_await rounds(5);
    EXPECT_EQ(q.qsize(), 1U);
    EXPECT_FALSE(tasks[0].done());
    for (const int expected : {-1, 2, 1, 0}) EXPECT_EQ(co_await q.get(), expected);
    co_await await_all(tasks);
  };
  run_test(main());
}

// asyncio's test_cancelled_getters_not_being_held_in_self_getters / test_get_cancelled_race.
TEST(AioQueue, AGetterWokenByAPutThenCancelledLosesNoItem) {
  aio::Queue<int> q;
  std::vector<int> got;
  const auto getter = [&]() -> aio::Task<void> { got.push_back(co_await q.get()); };
  const auto main = [&]() -> aio::Task<void> {
    const auto g1 = aio::create_task(getter());
    const auto g2 = aio::create_task(getter());
    co_await aio::sleep(0s);
    q.put_nowait(7);  // wakes g1 ...
    g1.cancel();      // ... which is cancelled before it runs: g2 gets the item
    EXPECT_TRUE(co_await ends_cancelled(g1));
    co_await g2;
    EXPECT_EQ(got, (std::vector<int>{7}));
    // Alone: the item stays in the queue.
    const auto g3 = aio::create_task(getter());
    co_await aio::sleep(0s);
    q.put_nowait(8);
    g3.cancel();
    EXPECT_TRUE(co_await ends_cancelled(g3));
    EXPECT_EQ(q.qsize(), 1U);
    EXPECT_EQ(q.get_nowait(), 8);
  };
  run_test(main());
  EXPECT_EQ(got, (std::vector<int>{7}));
}

TEST(AioQueue, APutterWokenByAGetThenCancelledPassesTheRoomOn) {
  aio::Queue<int> q(1);
  const auto putter = [&](int v) -> aio::Task<void> { co_await q.put(v); };
  const auto main = [&]() -> aio::Task<void> {
    q.put_nowait(0);
    const auto p1 = aio::create_task(putter(1));
    const auto p2 = aio::create_task(putter(2));
    co_await aio::sleep(0s);
    EXPECT_EQ(q.get_nowait(), 0);  // wakes p1 ...
    p1.cancel();                   // ... cancelled before it runs: p2 puts
    EXPECT_TRUE(co_await ends_cancelled(p1));
    co_await p2;
    EXPECT_EQ(q.qsize(), 1U);
    EXPECT_EQ(q.get_nowait(), 2);
  };
  run_test(main());
}

TEST(AioQueue, AWokenGetterWhoseItemWasTakenWaitsAgain) {
  aio::Queue<int> q;
  int got = 0;
  const auto getter = [&]() -> aio::Task<void> { got = co_await q.get(); };
  const auto main = [&]() -> aio::Task<void> {
    const auto g = aio::create_task(getter());
    co_await aio::sleep(0s);
    q.put_nowait(1);               // wakes g ...
    EXPECT_EQ(q.get_nowait(), 1);  // ... but main takes the item first
    co_await rounds(3);
    EXPECT_FALSE(g.done());
    q.put_nowait(2);
    co_await g;
  };
  run_test(main());
  EXPECT_EQ(got, 2);
}

TEST(AioQueue, JoinWaitsUntilTaskDoneForEveryItem) {
  aio::Queue<int> q;
  int processed = 0;
  const auto worker = [&]() -> aio::Task<void> {
    for (;;) {
      (void)co_await q.get();
      co_await aio::sleep(0s);
      ++processed;
      q.task_done();
    }
  };
  const auto main = [&]() -> aio::Task<void> {
    co_await q.join();  // nothing put: at once
    EXPECT_THROW(q.task_done(), mp::ValueError);
    const auto w = aio::create_task(worker());
    for (int i = 0; i < 3; ++i) co_await q.put(i);
    co_await q.join();
    EXPECT_EQ(processed, 3);
    EXPECT_THROW(q.task_done(), mp::ValueError);
    w.cancel();
    EXPECT_TRUE(co_await ends_cancelled(w));
  };
  run_test(main());
}

TEST(AioQueue, MoveOnlyItemsGoThroughBothPaths) {
  aio::Queue<std::unique_ptr<int>> q(1);
  const auto putter = [&]() -> aio::Task<void> { co_await q.put(std::make_unique<int>(2)); };
  const auto main = [&]() -> aio::Task<void> {
    co_await q.put(std::make_unique<int>(1));   // room: at once
    const auto p = aio::create_task(putter());  // full: waits
    co_await aio::sleep(0s);
    EXPECT_EQ(*co_await q.get(), 1);
    EXPECT_EQ(*co_await q.get(), 2);
    co_await p;
    auto item = std::make_unique<int>(3);
    q.put_nowait(std::move(item));
    auto other = std::make_unique<int>(4);
    EXPECT_THROW(q.put_nowait(std::move(other)), mp::Full);
    EXPECT_NE(other, nullptr);  // not moved from when it throws
  };
  run_test(main());
}

TEST(AioQueue, PriorityAndLifoOrders) {
  aio::PriorityQueue<std::pair<int, std::string>> pq;
  aio::LifoQueue<int> lq;
  const auto main = [&]() -> aio::Task<void> {
    for (const int p : {5, 1, 3}) co_await pq.put({p, "p" + std::to_string(p)});
    EXPECT_EQ((co_await pq.get()).second, "p1");
    EXPECT_EQ((co_await pq.get()).second, "p3");
    EXPECT_EQ((co_await pq.get()).second, "p5");
    for (int i = 1; i <= 3; ++i) co_await lq.put(i);
    EXPECT_EQ(co_await lq.get(), 3);
    EXPECT_EQ(co_await lq.get(), 2);
    EXPECT_EQ(co_await lq.get(), 1);
  };
  run_test(main());
}

TEST(AioQueue, ProducerAndConsumerHandOffThroughABoundedQueue) {
  aio::Queue<int> q(4);
  long sum = 0;
  const auto producer = [&]() -> aio::Task<void> {
    for (int i = 1; i <= 10000; ++i) co_await q.put(i);
    co_await q.put(0);
  };
  const auto consumer = [&]() -> aio::Task<void> {
    for (int v = co_await q.get(); v != 0; v = co_await q.get()) sum += v;
  };
  const auto main = [&]() -> aio::Task<void> {
    const auto c = aio::create_task(consumer());
    const auto p = aio::create_task(producer());
    co_await p;
    co_await c;
  };
  run_test(main());
  EXPECT_EQ(sum, 10000L * 10001 / 2);
}

}  // namespace
