// Lesson 02, exercise 2: BoundedQueue (contract: exercises/02-queues/bounded_queue.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): each test uses the
// queue in a child that loaded the student's code and names what it saw
// (Observations); the checks run here. The queue's own children are
// mp::Process and report through their exit codes; every wait has a deadline.
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
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson02::BoundedQueue;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::require;
using mp::testing::scaled;
using mp::testing::start;
using mp::testing::threw;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t max_i64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t min_i64 = std::numeric_limits<std::int64_t>::min();

// Waits (polling, with a deadline) until `flag` is set by another process.
bool wait_for(const std::atomic<bool>& flag, std::chrono::milliseconds deadline = 5s) {
  const auto until = Clock::now() + scaled(deadline);
  while (!flag.load()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(100us);
  }
  return true;
}

std::int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

// The exit code of `p` once joined within `deadline` (scaled); -1000 when it
// was still running then (it is killed).
std::int64_t joined(mp::Process& p, std::chrono::milliseconds deadline = 10s) {
  if (p.join(scaled(deadline))) return p.exitcode().value_or(-1000);
  p.kill();
  (void)p.join(scaled(5s));
  return -1000;
}

std::int64_t scaled_ms(std::chrono::milliseconds d) { return scaled(d).count(); }

TEST(BoundedQueue, RejectsABadCapacity) {
  auto obs = in_student([] {
    return Observations{
        {"capacity 0", threw<mp::ValueError>([] { BoundedQueue q(0); })},
        {"capacity 2^40", threw<mp::ValueError>([] { BoundedQueue q(std::size_t{1} << 40); })}};
  });
  EXPECT_EQ(obs["capacity 0"], 1) << "BoundedQueue(0) must throw mp::ValueError";
  EXPECT_EQ(obs["capacity 2^40"], 1) << "BoundedQueue(2^40) must throw mp::ValueError";
}

TEST(BoundedQueue, FirstInFirstOut) {
  auto got = in_student([] {
    BoundedQueue q(8);
    std::vector<std::int64_t> seen{static_cast<std::int64_t>(q.capacity()),
                                   static_cast<std::int64_t>(q.qsize())};
    for (std::int64_t i = 1; i <= 5; ++i) q.put(i * 10);
    seen.push_back(static_cast<std::int64_t>(q.qsize()));
    for (std::int64_t i = 1; i <= 5; ++i) seen.push_back(q.get());
    seen.push_back(static_cast<std::int64_t>(q.qsize()));
    return seen;
  });
  EXPECT_EQ(got, (std::vector<std::int64_t>{8, 0, 5, 10, 20, 30, 40, 50, 0}))
      << "capacity(), qsize() when new, qsize() after 5 puts, the 5 gets, qsize() at the end";
}

TEST(BoundedQueue, KeepsEvery64BitValue) {
  auto got = in_student([] {
    BoundedQueue q(3);
    q.put(min_i64);
    q.put(-1);
    q.put(max_i64);
    return std::vector<std::int64_t>{q.get(), q.get(), q.get()};
  });
  EXPECT_EQ(got, (std::vector<std::int64_t>{min_i64, -1, max_i64}));
}

TEST(BoundedQueue, WrapsAroundTheRing) {
  auto got = in_student([] {
    BoundedQueue q(3);
    std::vector<std::int64_t> seen;
    std::int64_t next_put = 0;
    for (int round = 0; round < 20; ++round) {
      q.put(next_put++);
      q.put(next_put++);
      seen.push_back(q.get());
      seen.push_back(q.get());
    }
    seen.push_back(static_cast<std::int64_t>(q.qsize()));
    return seen;
  });
  std::vector<std::int64_t> expected;
  for (std::int64_t i = 0; i < 40; ++i) expected.push_back(i);
  expected.push_back(0);  // qsize() at the end
  EXPECT_EQ(got, expected);
}

TEST(BoundedQueue, GetTimesOutOnAnEmptyQueue) {
  auto obs = in_student([] {
    BoundedQueue q(4);
    const auto t0 = Clock::now();
    const auto empty = threw<mp::Empty>([&] { (void)q.get(100ms); });
    return Observations{{"raised Empty", empty}, {"ms", ms_since(t0)}};
  });
  EXPECT_EQ(obs["raised Empty"], 1) << "get(100ms) on an empty queue must throw mp::Empty";
  EXPECT_GE(obs["ms"], 100) << "get(100ms) gave up before the timeout";
  EXPECT_LT(obs["ms"], scaled_ms(1s)) << "get(100ms) waited far longer than its timeout";
}

TEST(BoundedQueue, PutTimesOutOnAFullQueue) {
  auto obs = in_student([] {
    BoundedQueue q(2);
    q.put(1);
    q.put(2);
    Observations o;
    const auto t0 = Clock::now();
    o["raised Full"] = threw<mp::Full>([&] { q.put(3, 100ms); });
    o["ms"] = ms_since(t0);
    o["qsize"] = static_cast<std::int64_t>(q.qsize());
    o["get 1"] = q.get();
    o["get 2"] = q.get();
    o["then empty"] = threw<mp::Empty>([&] { (void)q.get_nowait(); });
    return o;
  });
  EXPECT_EQ(obs["raised Full"], 1) << "put(x, 100ms) on a full queue must throw mp::Full";
  EXPECT_GE(obs["ms"], 100) << "put(x, 100ms) gave up before the timeout";
  EXPECT_LT(obs["ms"], scaled_ms(1s)) << "put(x, 100ms) waited far longer than its timeout";
  EXPECT_EQ(obs["qsize"], 2) << "a put that timed out must store nothing";
  EXPECT_EQ(obs["get 1"], 1);
  EXPECT_EQ(obs["get 2"], 2);
  EXPECT_EQ(obs["then empty"], 1) << "a put that timed out must store nothing";
}

TEST(BoundedQueue, NowaitNeverWaits) {
  auto obs = in_student([] {
    BoundedQueue q(1);
    Observations o;
    const auto t0 = Clock::now();
    o["get_nowait on empty raised Empty"] = threw<mp::Empty>([&] { (void)q.get_nowait(); });
    q.put_nowait(5);
    o["put_nowait on full raised Full"] = threw<mp::Full>([&] { q.put_nowait(6); });
    o["get_nowait"] = q.get_nowait();
    o["get_nowait on empty again raised Empty"] = threw<mp::Empty>([&] { (void)q.get_nowait(); });
    o["ms"] = ms_since(t0);
    return o;
  });
  EXPECT_EQ(obs["get_nowait on empty raised Empty"], 1);
  EXPECT_EQ(obs["put_nowait on full raised Full"], 1);
  EXPECT_EQ(obs["get_nowait"], 5);
  EXPECT_EQ(obs["get_nowait on empty again raised Empty"], 1);
  EXPECT_LT(obs["ms"], scaled_ms(100ms)) << "a *_nowait call waited";
}

TEST(BoundedQueue, CopiesAreTheSameQueue) {
  auto obs = in_student([] {
    BoundedQueue q(4);
    BoundedQueue copy = q;  // NOLINT(performance-unnecessary-copy-initialization): the point of the test
    copy.put(7);
    Observations o;
    o["qsize of the original"] = static_cast<std::int64_t>(q.qsize());
    o["get from the original"] = q.get();
    return o;
  });
  EXPECT_EQ(obs["qsize of the original"], 1) << "a put on a copy must show in the original";
  EXPECT_EQ(obs["get from the original"], 7);
}

TEST(BoundedQueue, ChildToParentInOrder) {
  constexpr std::int64_t n = 20000;
  auto obs = in_student([] {
    BoundedQueue q(16);
    mp::Process producer = start([q]() mutable {
      for (std::int64_t i = 0; i < n; ++i) q.put(i);
    });
    Observations o{{"received in order", 0}};
    for (std::int64_t i = 0; i < n; ++i) {
      std::int64_t item = -1;
      if (threw<mp::Empty>([&] { item = q.get(scaled(5s)); }) != 0 || item != i) {
        o["first wrong item"] = i;
        o["received instead"] = item;  // -1: none within 5 s
        break;
      }
      ++o["received in order"];
    }
    o["producer exit code"] = joined(producer);
    o["qsize"] = static_cast<std::int64_t>(q.qsize());
    return o;
  });
  EXPECT_EQ(obs["received in order"], n) << "item " << obs["first wrong item"] << " came as "
                                         << obs["received instead"] << " (-1: did not arrive within 5 s)";
  EXPECT_EQ(obs["producer exit code"], 0);
  EXPECT_EQ(obs["qsize"], 0);
}

// A put that waits on a full queue stores its item as soon as a get frees a slot.
TEST(BoundedQueue, BlockedPutWakesUpWhenASlotFrees) {
  auto obs = in_student([] {
    BoundedQueue q(1);
    q.put(1);
    mp::Process producer = start([q]() mutable { q.put(2, scaled(10s)); });
    Observations o;
    o["first get"] = q.get(scaled(5s));
    o["second get"] = -1;
    (void)threw<mp::Empty>([&] { o["second get"] = q.get(scaled(5s)); });
    o["producer exit code"] = joined(producer);
    return o;
  });
  EXPECT_EQ(obs["first get"], 1);
  EXPECT_EQ(obs["second get"], 2) << "the waiting put was not woken when a slot became free";
  EXPECT_EQ(obs["producer exit code"], 0);
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
  auto obs = in_student([] {
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
    Observations o{{"failed processes", 0}, {"lost", 0}, {"duplicated", 0}};
    for (int p = consumers; p < consumers + producers; ++p)
      o["failed processes"] += joined(procs[static_cast<std::size_t>(p)], 20s) != 0 ? 1 : 0;
    for (int c = 0; c < consumers; ++c) q.put(-1, scaled(5s));
    for (int c = 0; c < consumers; ++c)
      o["failed processes"] += joined(procs[static_cast<std::size_t>(c)], 20s) != 0 ? 1 : 0;
    for (std::int64_t i = 0; i < total; ++i) {
      const int t = seen->times[i].load();
      o["lost"] += t == 0 ? 1 : 0;
      o["duplicated"] += t > 1 ? 1 : 0;
    }
    o["qsize"] = static_cast<std::int64_t>(q.qsize());
    return o;
  });
  EXPECT_EQ(obs["failed processes"], 0)
      << "producers or consumers that failed (an exception, or not done in time)";
  EXPECT_EQ(obs["lost"], 0) << "items lost";
  EXPECT_EQ(obs["duplicated"], 0) << "items received more than once";
  EXPECT_EQ(obs["qsize"], 0);
}

// A consumer killed while it waits in get() on an empty queue takes nothing
// with it: the next item goes to the next get.
TEST(BoundedQueue, KilledConsumerTakesNothingWithIt) {
  auto obs = in_student([] {
    BoundedQueue q(4);
    auto waiting = mp::detail::make_shared_object<std::atomic<bool>>(false);
    mp::Process consumer = start([q, waiting]() mutable {
      waiting->store(true);
      (void)q.get();  // waits forever: nobody puts while it lives
      mp::exit(9);
    });
    if (!wait_for(*waiting)) throw std::runtime_error("the consumer did not start within 5 s");
    consumer.kill();
    Observations o;
    o["consumer exit code"] = joined(consumer, 5s);
    q.put(42, scaled(1s));
    o["qsize after a put"] = static_cast<std::int64_t>(q.qsize());
    o["get"] = q.get(scaled(1s));
    q.put_nowait(1);
    o["get_nowait"] = q.get_nowait();
    return o;
  });
  EXPECT_EQ(obs["consumer exit code"], -SIGKILL);
  EXPECT_EQ(obs["qsize after a put"], 1) << "the killed consumer took an item, or the put was lost";
  EXPECT_EQ(obs["get"], 42);
  EXPECT_EQ(obs["get_nowait"], 1);
}

// A producer killed while it waits in put() on a full queue stores nothing;
// the items before it stay, in order, and the queue works on.
TEST(BoundedQueue, KilledProducerLeavesTheQueueUsable) {
  auto obs = in_student([] {
    BoundedQueue q(2);
    auto filled = mp::detail::make_shared_object<std::atomic<bool>>(false);
    mp::Process producer = start([q, filled]() mutable {
      q.put(1);
      q.put(2);
      filled->store(true);
      q.put(3);  // waits forever: the queue is full and nobody gets while it lives
      mp::exit(9);
    });
    if (!wait_for(*filled)) throw std::runtime_error("the producer did not fill the queue within 5 s");
    producer.kill();
    Observations o;
    o["producer exit code"] = joined(producer, 5s);
    o["qsize"] = static_cast<std::int64_t>(q.qsize());
    o["get 1"] = q.get(scaled(1s));
    o["get 2"] = q.get(scaled(1s));
    o["then empty"] = threw<mp::Empty>([&] { (void)q.get(50ms); });
    q.put(4, scaled(1s));
    q.put(5, scaled(1s));
    o["get 4"] = q.get(scaled(1s));
    o["get 5"] = q.get(scaled(1s));
    return o;
  });
  EXPECT_EQ(obs["producer exit code"], -SIGKILL);
  EXPECT_EQ(obs["qsize"], 2);
  EXPECT_EQ(obs["get 1"], 1);
  EXPECT_EQ(obs["get 2"], 2);
  EXPECT_EQ(obs["then empty"], 1) << "the killed producer's last put must store nothing";
  EXPECT_EQ(obs["get 4"], 4);
  EXPECT_EQ(obs["get 5"], 5);
}

}  // namespace
