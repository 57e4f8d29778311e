// Lesson 02, exercise 2: BoundedQueue (contract: exercises/02-queues/bounded_queue.hpp).
// Children are mp::Process and report through their exit codes (gtest
// assertions do not cross a fork); every wait has a deadline.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <mp/detail/shared_region.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>

#include "bounded_queue.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson02::BoundedQueue;
using mp::testing::expect_joined_ok;
using mp::testing::require;
using mp::testing::scaled;
using mp::testing::start;
using Clock = std::chrono::steady_clock;

// Waits (polling, with a deadline) until `flag` is set by another process.
bool wait_for(const std::atomic<bool>& flag, std::chrono::milliseconds deadline = 5s) {
  const auto until = Clock::now() + scaled(deadline);
  while (!flag.load()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(100us);
  }
  return true;
}

TEST(BoundedQueue, RejectsABadCapacity) {
  EXPECT_THROW(BoundedQueue(0), mp::ValueError);
  EXPECT_THROW(BoundedQueue(std::size_t{1} << 40), mp::ValueError);
}

TEST(BoundedQueue, FirstInFirstOut) {
  BoundedQueue q(8);
  EXPECT_EQ(q.capacity(), 8u);
  EXPECT_EQ(q.qsize(), 0u);
  for (std::int64_t i = 1; i <= 5; ++i) q.put(i * 10);
  EXPECT_EQ(q.qsize(), 5u);
  for (std::int64_t i = 1; i <= 5; ++i) EXPECT_EQ(q.get(), i * 10);
  EXPECT_EQ(q.qsize(), 0u);
}

TEST(BoundedQueue, KeepsEvery64BitValue) {
  BoundedQueue q(3);
  q.put(std::numeric_limits<std::int64_t>::min());
  q.put(-1);
  q.put(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(q.get(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(q.get(), -1);
  EXPECT_EQ(q.get(), std::numeric_limits<std::int64_t>::max());
}

TEST(BoundedQueue, WrapsAroundTheRing) {
  BoundedQueue q(3);
  std::int64_t next_put = 0;
  std::int64_t next_get = 0;
  for (int round = 0; round < 20; ++round) {
    q.put(next_put++);
    q.put(next_put++);
    EXPECT_EQ(q.get(), next_get++);
    EXPECT_EQ(q.get(), next_get++);
  }
  EXPECT_EQ(q.qsize(), 0u);
}

TEST(BoundedQueue, GetTimesOutOnAnEmptyQueue) {
  BoundedQueue q(4);
  const auto start = Clock::now();
  EXPECT_THROW((void)q.get(100ms), mp::Empty);
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 100ms) << "get(100ms) gave up before the timeout";
  EXPECT_LT(elapsed, scaled(1s)) << "get(100ms) waited far longer than its timeout";
}

TEST(BoundedQueue, PutTimesOutOnAFullQueue) {
  BoundedQueue q(2);
  q.put(1);
  q.put(2);
  const auto start = Clock::now();
  EXPECT_THROW(q.put(3, 100ms), mp::Full);
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 100ms) << "put(x, 100ms) gave up before the timeout";
  EXPECT_LT(elapsed, scaled(1s)) << "put(x, 100ms) waited far longer than its timeout";
  EXPECT_EQ(q.qsize(), 2u) << "a put that timed out must store nothing";
  EXPECT_EQ(q.get(), 1);
  EXPECT_EQ(q.get(), 2);
  EXPECT_THROW((void)q.get_nowait(), mp::Empty) << "a put that timed out must store nothing";
}

TEST(BoundedQueue, NowaitNeverWaits) {
  BoundedQueue q(1);
  const auto start = Clock::now();
  EXPECT_THROW((void)q.get_nowait(), mp::Empty);
  q.put_nowait(5);
  EXPECT_THROW(q.put_nowait(6), mp::Full);
  EXPECT_EQ(q.get_nowait(), 5);
  EXPECT_THROW((void)q.get_nowait(), mp::Empty);
  EXPECT_LT(Clock::now() - start, scaled(100ms)) << "a *_nowait call waited";
}

TEST(BoundedQueue, CopiesAreTheSameQueue) {
  BoundedQueue q(4);
  BoundedQueue copy = q;  // NOLINT(performance-unnecessary-copy-initialization): the point of the test
  copy.put(7);
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_EQ(q.get(), 7);
}

TEST(BoundedQueue, ChildToParentInOrder) {
  BoundedQueue q(16);
  constexpr std::int64_t n = 20000;
  mp::Process producer = start([q]() mutable {
    for (std::int64_t i = 0; i < n; ++i) q.put(i);
  });
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t item = -1;
    ASSERT_NO_THROW(item = q.get(scaled(5s))) << "item " << i << " did not arrive";
    ASSERT_EQ(item, i) << "out of order";
  }
  expect_joined_ok(producer);
  EXPECT_EQ(q.qsize(), 0u);
}

// A put that waits on a full queue stores its item as soon as a get frees a slot.
TEST(BoundedQueue, BlockedPutWakesUpWhenASlotFrees) {
  BoundedQueue q(1);
  q.put(1);
  mp::Process producer = start([q]() mutable { q.put(2, scaled(10s)); });
  EXPECT_EQ(q.get(scaled(5s)), 1);
  EXPECT_EQ(q.get(scaled(5s)), 2) << "the waiting put was not woken when a slot became free";
  expect_joined_ok(producer);
}

// Exact multiset: every item of 4 producers reaches exactly one of 3 consumers.
TEST(BoundedQueue, ManyProducersAndConsumers) {
  constexpr int producers = 4;
  constexpr int consumers = 3;
  constexpr std::int64_t per_producer = 5000;
  constexpr std::int64_t total = producers * per_producer;
  struct Seen {
    std::atomic<int> times[total];
  };
  auto seen = mp::detail::make_shared_object<Seen>();
  BoundedQueue q(8);
  std::vector<mp::Process> procs;
  for (int c = 0; c < consumers; ++c)
    procs.push_back(start([q, seen]() mutable {
      for (;;) {
        const std::int64_t item = q.get(scaled(3s));
        if (item < 0) return;  // the sentinel
        require(item < total, 2);
        seen->times[item].fetch_add(1);
      }
    }));
  for (int p = 0; p < producers; ++p)
    procs.push_back(start([q, p]() mutable {
      for (std::int64_t i = 0; i < per_producer; ++i) q.put(p * per_producer + i, scaled(10s));
    }));
  for (int p = consumers; p < consumers + producers; ++p)
    expect_joined_ok(procs[static_cast<std::size_t>(p)], 20s);
  for (int c = 0; c < consumers; ++c) q.put(-1, scaled(5s));
  for (int c = 0; c < consumers; ++c) expect_joined_ok(procs[static_cast<std::size_t>(c)], 20s);
  int lost = 0;
  int duplicated = 0;
  for (std::int64_t i = 0; i < total; ++i) {
    const int t = seen->times[i].load();
    lost += t == 0 ? 1 : 0;
    duplicated += t > 1 ? 1 : 0;
  }
  EXPECT_EQ(lost, 0) << "items lost";
  EXPECT_EQ(duplicated, 0) << "items received more than once";
  EXPECT_EQ(q.qsize(), 0u);
}

// A consumer killed while it waits in get() on an empty queue takes nothing
// with it: the next item goes to the next get.
TEST(BoundedQueue, KilledConsumerTakesNothingWithIt) {
  BoundedQueue q(4);
  auto waiting = mp::detail::make_shared_object<std::atomic<bool>>(false);
  mp::Process consumer = start([q, waiting]() mutable {
    waiting->store(true);
    (void)q.get();  // waits forever: nobody puts while it lives
    mp::exit(9);
  });
  ASSERT_TRUE(wait_for(*waiting));
  consumer.kill();
  ASSERT_TRUE(consumer.join(scaled(5s)));
  EXPECT_EQ(consumer.exitcode(), -SIGKILL);
  q.put(42, scaled(1s));
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_EQ(q.get(scaled(1s)), 42);
  q.put_nowait(1);
  EXPECT_EQ(q.get_nowait(), 1);
}

// A producer killed while it waits in put() on a full queue stores nothing;
// the items before it stay, in order, and the queue works on.
TEST(BoundedQueue, KilledProducerLeavesTheQueueUsable) {
  BoundedQueue q(2);
  auto filled = mp::detail::make_shared_object<std::atomic<bool>>(false);
  mp::Process producer = start([q, filled]() mutable {
    q.put(1);
    q.put(2);
    filled->store(true);
    q.put(3);  // waits forever: the queue is full and nobody gets while it lives
    mp::exit(9);
  });
  ASSERT_TRUE(wait_for(*filled));
  producer.kill();
  ASSERT_TRUE(producer.join(scaled(5s)));
  EXPECT_EQ(producer.exitcode(), -SIGKILL);
  EXPECT_EQ(q.qsize(), 2u);
  EXPECT_EQ(q.get(scaled(1s)), 1);
  EXPECT_EQ(q.get(scaled(1s)), 2);
  EXPECT_THROW((void)q.get(50ms), mp::Empty) << "the killed producer's last put must store nothing";
  q.put(4, scaled(1s));
  q.put(5, scaled(1s));
  EXPECT_EQ(q.get(scaled(1s)), 4);
  EXPECT_EQ(q.get(scaled(1s)), 5);
}

}  // namespace
