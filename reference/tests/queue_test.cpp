// Tests of mp::Queue, mp::SimpleQueue, mp::JoinableQueue (component `queue`).
// Children are mp::Process; they report failures through their exit code.
// Every wait has a deadline; nothing is ordered by sleeping.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <sys/types.h>

#include "mp/detail/shared_region.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::expect_joined_ok;
using mp::testing::require;
using mp::testing::scaled;
using mp::testing::start;
using mp::testing::wait_until_sleeping;
using Clock = std::chrono::steady_clock;

constexpr mp::QueueOptions ring_of(std::size_t bytes) { return mp::QueueOptions{bytes}; }

bool message_contains(const std::exception& e, const std::string& part) {
  return std::string(e.what()).find(part) != std::string::npos;
}

// ---------------------------------------------------------------- Python's examples

TEST(Queue, ChildPutsAVectorParentGetsIt) {
  mp::Queue<std::vector<int>> q;
  mp::Process p([&] { q.put({42, -1, 7}); });
  p.start();
  EXPECT_EQ(q.get(scaled(5s)), (std::vector<int>{42, -1, 7}));
  expect_joined_ok(p);
}

TEST(Queue, ChildPutsPythonsListParentGetsIt) {
  // Python: q.put([42, None, 'hello']); print(q.get())
  using Item = std::tuple<int, std::optional<int>, std::string>;
  mp::Queue<Item> q;
  mp::Process p([&] { q.put({42, std::nullopt, "hello"}); });
  p.start();
  EXPECT_EQ(q.get(scaled(5s)), (Item{42, std::nullopt, "hello"}));
  expect_joined_ok(p);
}

struct Order {
  std::string item;
  std::vector<int> quantities;
  std::map<std::string, double> prices;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(item, quantities, prices);
  }
  bool operator==(const Order&) const = default;
};

struct Point {  // trivially copyable: travels as its bytes
  double x, y;
  int tag;
  bool operator==(const Point&) const = default;
};

TEST(Queue, CarriesStructsBothWays) {
  mp::Queue<Order> orders;
  mp::Queue<Point> points;
  const Order order{"tea", {1, 2, 3}, {{"green", 2.5}, {"black", 1.25}}};
  mp::Process p([&] {
    const Order got = orders.get(scaled(5s));
    require(got == order, 2);
    points.put(Point{1.5, -2.0, 7});
  });
  p.start();
  orders.put(order);
  EXPECT_EQ(points.get(scaled(5s)), (Point{1.5, -2.0, 7}));
  expect_joined_ok(p);
}

// ---------------------------------------------------------------- basic semantics

TEST(Queue, FifoForOneProducerAcrossProcesses) {
  constexpr int n = 10'000;
  mp::Queue<int> q(0, ring_of(4096));  // small ring: the producer waits for room many times
  mp::Process p([&] {
    for (int i = 0; i < n; ++i) q.put(i);
  });
  p.start();
  for (int i = 0; i < n; ++i) ASSERT_EQ(q.get(scaled(5s)), i);
  expect_joined_ok(p);
  EXPECT_TRUE(q.empty());
}

TEST(Queue, RecordsThatWrapAroundTheRingArriveIntact) {
  // Sizes that are not multiples of 8 through a 4 KiB ring, so that many
  // records straddle its end, for strings (direct copy) and vectors (decoded).
  mp::Queue<std::string> strings(0, ring_of(4096));
  mp::Queue<std::vector<std::uint16_t>> vectors(0, ring_of(4096));
  for (int i = 0; i < 2000; ++i) {
    const std::string s(static_cast<std::size_t>(i * 37 % 301), static_cast<char>('A' + i % 26));
    std::vector<std::uint16_t> v(static_cast<std::size_t>(i * 13 % 97));
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<std::uint16_t>(i + k);
    strings.put(s);
    vectors.put(v);
    ASSERT_EQ(strings.get(), s) << i;
    ASSERT_EQ(vectors.get(), v) << i;
  }
}

TEST(Queue, GetNowaitOnEmptyRaisesEmpty) {
  mp::Queue<int> q;
  EXPECT_THROW((void)q.get_nowait(), mp::Empty);
  EXPECT_THROW(q.get(false), mp::Empty);
  q.put(5);
  EXPECT_EQ(q.get_nowait(), 5);
  EXPECT_THROW((void)q.get_nowait(), mp::Empty);
}

TEST(Queue, GetWithTimeoutOnEmptyRaisesEmptyAfterTheTimeout) {
  mp::Queue<int> q;
  const auto t0 = Clock::now();
  EXPECT_THROW(q.get(100ms), mp::Empty);
  const auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 100ms + scaled(1s));
}

TEST(Queue, PutNowaitOnFullRaisesFull) {
  mp::Queue<int> q(2);
  q.put_nowait(1);
  q.put_nowait(2);
  EXPECT_TRUE(q.full());
  EXPECT_THROW(q.put_nowait(3), mp::Full);
  EXPECT_THROW(q.put(3, false), mp::Full);
  EXPECT_EQ(q.get(), 1);
  q.put_nowait(3);  // room again
  EXPECT_EQ(q.get(), 2);
  EXPECT_EQ(q.get(), 3);
}

TEST(Queue, PutWithTimeoutOnFullRaisesFullAfterTheTimeout) {
  mp::Queue<int> q(1);
  q.put(1);
  const auto t0 = Clock::now();
  EXPECT_THROW(q.put(2, 100ms), mp::Full);
  const auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 100ms + scaled(1s));
  EXPECT_EQ(q.qsize(), 1U);
  EXPECT_EQ(q.get(), 1);
}

TEST(Queue, BlockedPutResumesWhenAConsumerMakesRoom) {
  constexpr int n = 2000;
  mp::Queue<int> q(2);  // the producer blocks on almost every put
  mp::Process p([&] {
    for (int i = 0; i < n; ++i) q.put(i, scaled(5s));
  });
  p.start();
  for (int i = 0; i < n; ++i) ASSERT_EQ(q.get(scaled(5s)), i);
  expect_joined_ok(p);
}

TEST(Queue, UnboundedQueueAppliesBackPressureWhenItsRingIsFull) {
  mp::Queue<std::string> q(0, ring_of(4096));
  const std::string item(100, 'x');  // 112 bytes per record
  int put = 0;
  try {
    for (; put < 1000; ++put) q.put_nowait(item);
  } catch (const mp::Full&) {
  }
  EXPECT_EQ(put, 4096 / 112);
  EXPECT_FALSE(q.full()) << "full() reports maxsize only";
  EXPECT_THROW(q.put(item, 50ms), mp::Full);
  EXPECT_EQ(q.get(), item);
  q.put_nowait(item);  // a get made room
  EXPECT_EQ(q.qsize(), static_cast<std::size_t>(put));
}

TEST(Queue, QsizeEmptyFull) {
  mp::Queue<std::string> q(3);
  EXPECT_EQ(q.maxsize(), 3U);
  EXPECT_EQ(q.qsize(), 0U);
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.full());
  q.put("a");
  q.put("b");
  EXPECT_EQ(q.qsize(), 2U);
  EXPECT_FALSE(q.empty());
  EXPECT_FALSE(q.full());
  q.put("c");
  EXPECT_TRUE(q.full());
  (void)q.get();
  EXPECT_EQ(q.qsize(), 2U);
  EXPECT_FALSE(q.full());

  // Seen from another process too.
  mp::Process p([&] { require(q.qsize() == 2 && q.get(scaled(5s)) == "b" && q.qsize() == 1, 2); });
  p.start();
  expect_joined_ok(p);
  EXPECT_EQ(q.qsize(), 1U);
}

TEST(Queue, CloseThenPutOrGetRaisesValueError) {
  mp::Queue<int> q;
  q.put(1);
  mp::Queue<int> copy = q;
  q.close();
  EXPECT_TRUE(q.is_closed());
  EXPECT_THROW(q.put(2), mp::ValueError);
  EXPECT_THROW(q.put_nowait(2), mp::ValueError);
  EXPECT_THROW(q.get(), mp::ValueError);
  EXPECT_THROW((void)q.get_nowait(), mp::ValueError);
  EXPECT_THROW(copy.put(2), mp::ValueError) << "an in-process copy is the same object, as in Python";
  EXPECT_TRUE(mp::testing::throws_with<mp::ValueError>([&] { (void)q.empty(); }, "closed")) << "as Python's";
  EXPECT_EQ(q.qsize(), 1U) << "items already put stay in the queue";
  EXPECT_FALSE(q.full());

  mp::SimpleQueue<int> simple;
  simple.close();
  EXPECT_THROW((void)simple.empty(), mp::ValueError);
}

TEST(Queue, CloseInAChildDoesNotCloseTheParentsHandle) {
  mp::Queue<int> q;
  mp::Process p([&] {
    q.put(7);
    q.close();
    try {
      q.put(8);
      mp::exit(2);
    } catch (const mp::ValueError&) {
    }
  });
  p.start();
  expect_joined_ok(p);
  EXPECT_FALSE(q.is_closed());
  EXPECT_EQ(q.get(scaled(5s)), 7);
  EXPECT_THROW((void)q.get_nowait(), mp::Empty);
}

TEST(Queue, CapacityIsRoundedAndBounded) {
  EXPECT_EQ(mp::Queue<int>(0, ring_of(1)).capacity_bytes(), 4096U);
  EXPECT_EQ(mp::Queue<int>(0, ring_of(5000)).capacity_bytes(), 8192U);
  EXPECT_EQ(mp::Queue<int>().capacity_bytes(), std::size_t{1} << 20);
  EXPECT_THROW(mp::Queue<int>(0, ring_of((std::size_t{1} << 30) + 1)), mp::ValueError);
}

// ---------------------------------------------------------------- blocking and waking

TEST(Queue, PingPongBetweenProcessesNeverLosesAWakeUp) {
  // Each side sleeps in almost every get: a lost wake-up fails a get's deadline.
  constexpr int rounds = 3000;
  mp::Queue<int> there;
  mp::Queue<int> back;
  mp::Process p([&] {
    for (int i = 0; i < rounds; ++i) back.put(there.get(scaled(5s)) + 1);
  });
  p.start();
  for (int i = 0; i < rounds; ++i) {
    there.put(i);
    ASSERT_EQ(back.get(scaled(5s)), i + 1);
  }
  expect_joined_ok(p);
}

TEST(Queue, GetWithTimeoutWhileAnotherConsumerWaitsRaisesEmptyInTime) {
  mp::Queue<int> q;
  mp::Process blocked([&] { require(q.get(scaled(10s)) == 1, 2); });  // holds the consumer side, asleep
  blocked.start();
  ASSERT_TRUE(wait_until_sleeping(*blocked.pid()));
  const auto t0 = Clock::now();
  EXPECT_THROW(q.get(100ms), mp::Empty);
  const auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 100ms + scaled(1s));
  EXPECT_THROW((void)q.get_nowait(), mp::Empty);
  q.put(1);
  expect_joined_ok(blocked);
}

TEST(Queue, ThreadsOfOneProcessShareAHandle) {
  constexpr int per_thread = 5000;
  mp::Queue<int> q(64, ring_of(4096));
  std::vector<int> got[2];
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&q, t] {
        for (int i = 0; i < per_thread; ++i) q.put(t * per_thread + i, scaled(10s));
      });
      threads.emplace_back([&q, &out = got[t]] {
        for (int i = 0; i < per_thread; ++i) out.push_back(q.get(scaled(10s)));
      });
    }
  }
  std::vector<int> all;
  for (auto& v : got) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 2U * per_thread);
  for (int i = 0; i < 2 * per_thread; ++i) ASSERT_EQ(all[static_cast<std::size_t>(i)], i);
}

// ---------------------------------------------------------------- many processes

// Item i of producer p: a string of 0..1000 bytes, and now and then one of
// 40 KB, which a 64 KiB ring streams in parts.
std::string payload(int producer, int seq) {
  std::size_t n = (static_cast<std::size_t>(seq) * 7919 + static_cast<std::size_t>(producer) * 104729) % 1001;
  if (seq % 997 == 3) n = 40'000;
  return std::string(n, static_cast<char>('a' + (producer * 31 + seq) % 26));
}

constexpr int max_producers = 4;
constexpr int items_per_producer = 20'000;

struct Tally {  // in shared memory: what the consumers received
  std::atomic<std::uint32_t> seen[max_producers][items_per_producer];
  std::atomic<std::uint32_t> bad_payload;
  std::atomic<std::uint32_t> out_of_order;
};

class ManyProcesses : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(ManyProcesses, EveryItemArrivesExactlyOnceInPerProducerOrder) {
  const auto [producers, consumers] = GetParam();
  using Item = std::tuple<int, int, std::string>;  // producer, sequence number, payload
  mp::Queue<Item> q(0, ring_of(64 * 1024));
  auto tally = mp::detail::make_shared_object<Tally>();

  std::vector<mp::Process> procs;
  for (int c = 0; c < consumers; ++c) {
    procs.emplace_back([&] {
      int last[max_producers];
      std::fill(std::begin(last), std::end(last), -1);
      for (;;) {
        const auto [p, seq, data] = q.get(scaled(20s));
        if (p < 0) return;  // sentinel
        tally->seen[p][seq].fetch_add(1, std::memory_order_relaxed);
        if (data != payload(p, seq)) tally->bad_payload.fetch_add(1, std::memory_order_relaxed);
        if (seq <= last[p]) tally->out_of_order.fetch_add(1, std::memory_order_relaxed);
        last[p] = seq;
      }
    });
  }
  for (int p = 0; p < producers; ++p) {
    procs.emplace_back([&, p] {
      for (int i = 0; i < items_per_producer; ++i) q.put(Item{p, i, payload(p, i)}, scaled(20s));
    });
  }
  for (auto& proc : procs) proc.start();
  for (std::size_t i = static_cast<std::size_t>(consumers); i < procs.size(); ++i)
    expect_joined_ok(procs[i], 30s);
  for (int c = 0; c < consumers; ++c) q.put(Item{-1, 0, ""});
  for (int c = 0; c < consumers; ++c) expect_joined_ok(procs[static_cast<std::size_t>(c)], 30s);

  int missing = 0;
  int duplicated = 0;
  for (int p = 0; p < producers; ++p) {
    for (int i = 0; i < items_per_producer; ++i) {
      const auto n = tally->seen[p][i].load();
      missing += n == 0 ? 1 : 0;
      duplicated += n > 1 ? 1 : 0;
    }
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(duplicated, 0);
  EXPECT_EQ(tally->bad_payload.load(), 0U);
  EXPECT_EQ(tally->out_of_order.load(), 0U);
  EXPECT_TRUE(q.empty());
  EXPECT_THROW((void)q.get_nowait(), mp::Empty);
}

std::string workers_name(const ::testing::TestParamInfo<std::tuple<int, int>>& param_info) {
  return std::to_string(std::get<0>(param_info.param)) + "producers_" +
         std::to_string(std::get<1>(param_info.param)) + "consumers";
}

INSTANTIATE_TEST_SUITE_P(Workers, ManyProcesses,
                         ::testing::Values(std::make_tuple(1, 1), std::make_tuple(2, 2),
                                           std::make_tuple(4, 3)),
                         workers_name);

// ---------------------------------------------------------------- items larger than the ring

TEST(Queue, ItemsLargerThanTheRingAreStreamedThroughIt) {
  mp::Queue<std::vector<std::uint32_t>> q(0, ring_of(64 * 1024));
  std::vector<std::uint32_t> big(5 * 1024 * 1024 / 4);  // 5 MiB
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint32_t>(i * 2654435761U);
  mp::Process p([&] {
    q.put({1, 2, 3});
    q.put(big);
    q.put({4});
    q.put(big);
  });
  p.start();
  EXPECT_EQ(q.get(scaled(10s)), (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_TRUE(q.get(scaled(10s)) == big);
  EXPECT_EQ(q.get(scaled(10s)), (std::vector<std::uint32_t>{4}));
  EXPECT_TRUE(q.get(scaled(10s)) == big);
  expect_joined_ok(p);
  EXPECT_TRUE(q.empty());
}

TEST(Queue, LargeStringFromParentToChild) {
  mp::Queue<std::string> q(0, ring_of(4096));
  std::string big(3'000'000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  mp::Process p([&] { require(q.get(scaled(10s)) == big, 2); });
  p.start();
  q.put(big);
  expect_joined_ok(p);
}

TEST(Queue, StreamedPutThatTimesOutLeavesNothingBehind) {
  mp::Queue<std::string> q(0, ring_of(64 * 1024));
  const std::string big(1 << 20, 'b');
  const auto t0 = Clock::now();
  EXPECT_THROW(q.put(big, 100ms), mp::Full);  // nobody drains the ring
  EXPECT_GE(Clock::now() - t0, 100ms);
  EXPECT_EQ(q.qsize(), 0U);
  // Its parts still fill the ring until a get skips them.
  EXPECT_THROW(q.get(50ms), mp::Empty);
  q.put("after");
  EXPECT_EQ(q.get(scaled(5s)), "after");
}

// ---------------------------------------------------------------- processes that die

TEST(Queue, ConsumerKilledWhileBlockedInGetDoesNotStopTheOthers) {
  mp::Queue<int> q;
  mp::Process victim([&] {
    (void)q.get(scaled(30s));
    mp::exit(3);  // must not get anything
  });
  victim.start();
  ASSERT_TRUE(wait_until_sleeping(*victim.pid()));  // asleep in get, holding the consumer side
  victim.kill();
  ASSERT_TRUE(victim.join(scaled(5s)));
  EXPECT_EQ(victim.exitcode(), -SIGKILL);

  mp::Process other([&] {
    for (int i = 0; i < 100; ++i) require(q.get(scaled(5s)) == i, 2);
  });
  other.start();
  for (int i = 0; i < 100; ++i) q.put(i);
  expect_joined_ok(other);
  q.put(100);
  EXPECT_EQ(q.get(scaled(5s)), 100);
  EXPECT_EQ(q.qsize(), 0U);
}

TEST(Queue, ConsumerKilledInTheMiddleOfAStreamedItemDoesNotStopTheOthers) {
  mp::Queue<std::string> q(0, ring_of(64 * 1024));
  const std::string big(1 << 20, 'z');
  mp::Process producer([&] {
    q.put(big);
    q.put("after");
  });
  producer.start();
  ASSERT_TRUE(wait_until_sleeping(*producer.pid()));  // the ring is full of the big item's parts
  ::kill(*producer.pid(), SIGSTOP);                   // hold the rest of the item back

  mp::Process victim([&] {
    (void)q.get();
    mp::exit(3);
  });
  victim.start();
  ASSERT_TRUE(wait_until_sleeping(*victim.pid()));  // drained the ring, waits for more parts
  victim.kill();
  ASSERT_TRUE(victim.join(scaled(5s)));
  ::kill(*producer.pid(), SIGCONT);

  // Nothing is lost silently: the next get says so, then the rest of the
  // dead consumer's item is skipped.
  EXPECT_TRUE(mp::testing::throws_with<mp::Error>([&] { (void)q.get(scaled(10s)); }, "a message was lost"));
  EXPECT_EQ(q.get(scaled(10s)), "after");
  expect_joined_ok(producer);
  EXPECT_EQ(q.qsize(), 0U);
}

TEST(Queue, ProducerKilledBetweenPutsLosesNothing) {
  mp::Queue<int> q;
  mp::Queue<int> ready;
  mp::Queue<int> never;
  mp::Process producer([&] {
    for (int i = 0; i < 100; ++i) q.put(i);
    ready.put(1);
    (void)never.get(scaled(30s));  // idle until killed
  });
  producer.start();
  ASSERT_EQ(ready.get(scaled(5s)), 1);
  producer.kill();
  ASSERT_TRUE(producer.join(scaled(5s)));
  EXPECT_EQ(q.qsize(), 100U);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(q.get(scaled(5s)), i);
  EXPECT_THROW((void)q.get_nowait(), mp::Empty);
}

TEST(Queue, ProducerKilledWhileBlockedInPutDoesNotStopTheOthers) {
  mp::JoinableQueue<int> q(1);
  mp::Process producer([&] {
    q.put(1);
    q.put(2);  // blocks: the queue is full
    mp::exit(3);
  });
  producer.start();
  ASSERT_TRUE(wait_until_sleeping(*producer.pid()));  // asleep in put, holding the producer side
  producer.kill();
  ASSERT_TRUE(producer.join(scaled(5s)));
  EXPECT_EQ(q.qsize(), 1U);
  EXPECT_EQ(q.unfinished_tasks(), 1U) << "the put that never finished counts no task";
  EXPECT_EQ(q.get(scaled(5s)), 1);
  q.put(3, scaled(5s));  // takes over the dead producer's side
  EXPECT_EQ(q.get(scaled(5s)), 3);
  q.task_done();
  q.task_done();
  EXPECT_TRUE(q.join(0ms));
}

TEST(Queue, ProducerKilledWhileStreamingAnItemMakesTheGetRaise) {
  mp::Queue<std::string> q(0, ring_of(64 * 1024));
  mp::Process producer([&] { q.put(std::string(1 << 20, 'p')); });
  producer.start();
  ASSERT_TRUE(wait_until_sleeping(*producer.pid()));  // ring full of parts; no consumer yet
  producer.kill();
  ASSERT_TRUE(producer.join(scaled(5s)));

  // The get runs in a child: a get that waited forever for the missing parts
  // fails the join's deadline instead of hanging the suite.
  mp::Process consumer([&] {
    try {
      (void)q.get(scaled(5s));
      mp::exit(2);  // returned a half-sent item
    } catch (const mp::Empty&) {
      mp::exit(3);  // the loss was reported as Empty
    } catch (const mp::Error& e) {
      require(message_contains(e, "lost"), 4);
    }
  });
  consumer.start();
  expect_joined_ok(consumer, 3s);
  EXPECT_EQ(q.qsize(), 0U);
  q.put("next");
  EXPECT_EQ(q.get(scaled(5s)), "next");
}

TEST(Queue, ProducerKilledWhileStreamingIsRepairedByTheNextProducer) {
  mp::Queue<std::string> q(0, ring_of(64 * 1024));
  mp::Process producer([&] { q.put(std::string(1 << 20, 'p')); });
  producer.start();
  ASSERT_TRUE(wait_until_sleeping(*producer.pid()));
  producer.kill();
  ASSERT_TRUE(producer.join(scaled(5s)));

  mp::Process next([&] { q.put("next"); });
  next.start();
  // Done, or asleep in put waiting for room behind the dead producer's parts:
  // either way it took over the dead producer's lock and repaired the queue.
  ASSERT_TRUE(wait_until_sleeping(*next.pid(), 5s, true));
  mp::Process consumer([&] {
    try {
      (void)q.get(scaled(5s));
      mp::exit(2);
    } catch (const mp::Empty&) {
      mp::exit(3);
    } catch (const mp::Error& e) {
      require(message_contains(e, "lost"), 4);
    }
    require(q.get(scaled(5s)) == "next", 5);
  });
  consumer.start();
  expect_joined_ok(consumer, 3s);
  expect_joined_ok(next);
}

// ---------------------------------------------------------------- JoinableQueue

TEST(JoinableQueue, JoinReturnsOnceEveryItemIsDone) {
  mp::JoinableQueue<int> q;
  EXPECT_TRUE(q.join(0ms)) << "nothing put: nothing to wait for";
  mp::Process worker([&] {
    for (;;) {
      const int job = q.get(scaled(5s));
      q.task_done();
      if (job < 0) return;
    }
  });
  worker.start();
  for (int i = 0; i < 100; ++i) q.put(i);
  q.put(-1);
  EXPECT_TRUE(q.join(scaled(5s)));
  EXPECT_EQ(q.unfinished_tasks(), 0U);
  expect_joined_ok(worker);
}

TEST(JoinableQueue, JoinWithoutTimeoutWakesUpWhenTheLastTaskIsDone) {
  mp::JoinableQueue<int> q;
  mp::JoinableQueue<int> go;
  for (int i = 0; i < 10; ++i) q.put(i);
  mp::Process joiner([&] {
    go.put(0);
    q.join();  // blocks (forever) until the parent has marked all 10 done
    require(q.unfinished_tasks() == 0, 2);
  });
  joiner.start();
  ASSERT_EQ(go.get(scaled(5s)), 0);
  ASSERT_TRUE(wait_until_sleeping(*joiner.pid()));
  EXPECT_TRUE(joiner.is_alive());
  for (int i = 0; i < 10; ++i) {
    (void)q.get(scaled(5s));
    q.task_done();
  }
  expect_joined_ok(joiner);
}

TEST(JoinableQueue, JoinWithTimeoutReturnsFalseWhileTasksRemain) {
  mp::JoinableQueue<std::string> q;
  q.put("a");
  q.put("b");
  (void)q.get();
  q.task_done();
  const auto t0 = Clock::now();
  EXPECT_FALSE(q.join(50ms));
  EXPECT_GE(Clock::now() - t0, 50ms);
  EXPECT_EQ(q.unfinished_tasks(), 1U);
  (void)q.get();
  q.task_done();
  EXPECT_TRUE(q.join(0ms));
}

TEST(JoinableQueue, TaskDoneTooManyTimesRaisesValueError) {
  mp::JoinableQueue<int> q;
  EXPECT_THROW(q.task_done(), mp::ValueError);
  q.put(1);
  q.task_done();
  EXPECT_THROW(q.task_done(), mp::ValueError);
  EXPECT_EQ(q.unfinished_tasks(), 0U);
}

// ---------------------------------------------------------------- SimpleQueue

TEST(SimpleQueue, CarriesItemsBetweenProcesses) {
  // SimpleQueue has no timeouts (as in Python): the blocking calls run in
  // children, which the parent joins with a deadline.
  mp::SimpleQueue<std::string> q(ring_of(4096));
  mp::SimpleQueue<std::string> replies;
  EXPECT_TRUE(q.empty());
  mp::Process echo([&] {
    for (int i = 0; i < 1000; ++i) replies.put(q.get() + "!");
  });
  mp::Process consumer([&] {
    for (int i = 0; i < 1000; ++i) require(replies.get() == std::to_string(i) + "!", 2);
  });
  mp::Process producer([&] {
    for (int i = 0; i < 1000; ++i) q.put(std::to_string(i));
  });
  echo.start();
  consumer.start();
  producer.start();
  expect_joined_ok(producer);
  expect_joined_ok(echo);
  expect_joined_ok(consumer);
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(replies.empty());
  replies.put("last");
  EXPECT_FALSE(replies.empty());
  EXPECT_EQ(replies.get(), "last");
  replies.close();
  EXPECT_THROW(replies.put("x"), mp::ValueError);
  EXPECT_THROW((void)replies.get(), mp::ValueError);
}

}  // namespace
