// Lesson 08, exercise 2: tiny_queue (contract: exercises/08-coroutines/tiny_queue.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): each test runs an event loop
// in a child that loaded the student's code, drives the queue there, and returns what
// it saw (Observations); this process checks it. The items are drawn here, so the
// student's code cannot know them in advance. Every await that could hang has a
// deadline (aio::wait_for), and the child's whole run one more.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <mp/aio.hpp>
#include <mp/error.hpp>

#include "student_code.hpp"
#include "test_support.hpp"
#include "tiny_queue.hpp"

namespace {

using namespace std::chrono_literals;
namespace aio = mp::aio;
using lesson08::TinyQueue;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::scaled;

constexpr const char* reread_cancel =
    "reread lessons/08-coroutines/README.md, \"Exercise 2: tiny_queue\" (the state table of tiny_queue.hpp)";

std::vector<std::int64_t> draw(std::size_t n) {
  std::mt19937_64 rng(std::random_device{}());
  std::vector<std::int64_t> v(n);
  for (auto& x : v) x = static_cast<std::int64_t>(rng() >> 2);
  return v;
}

// Lets every ready task run `rounds` times.
aio::Task<void> yield_rounds(int rounds) {
  for (int i = 0; i < rounds; ++i) co_await aio::sleep(0ms);
}

// ---------------------------------------------------------------- order and waiting

TEST(TinyQueue, FirstInFirstOut) {
  const auto items = draw(100);
  const Observations o = in_student([&] {
    const auto main = [&]() -> aio::Task<Observations> {
      Observations obs;
      TinyQueue q;
      obs["empty at first"] = q.empty();
      for (auto x : items) q.put_nowait(x);
      obs["qsize after 100 puts"] = static_cast<std::int64_t>(q.qsize());
      std::int64_t in_order = 0;
      for (std::size_t i = 0; i < 50; ++i) in_order += (co_await aio::wait_for(q.get(), 1s)) == items[i];
      for (std::size_t i = 50; i < 100; ++i) in_order += q.get_nowait() == items[i];
      obs["in order"] = in_order;
      obs["empty at the end"] = q.empty();
      obs["get_nowait on empty raises Empty"] = mp::testing::threw<mp::Empty>([&] { (void)q.get_nowait(); });
      co_return obs;
    };
    return aio::run(main());
  });
  EXPECT_EQ(o.at("empty at first"), 1);
  EXPECT_EQ(o.at("qsize after 100 puts"), 100);
  EXPECT_EQ(o.at("in order"), 100) << "get() and get_nowait() take the items in the order they were put";
  EXPECT_EQ(o.at("empty at the end"), 1);
  EXPECT_EQ(o.at("get_nowait on empty raises Empty"), 1) << "get_nowait() on an empty queue: mp::Empty";
}

TEST(TinyQueue, GetWaitsForAPut) {
  const auto item = draw(1)[0];
  const Observations o = in_student([&] {
    const auto main = [&]() -> aio::Task<Observations> {
      Observations obs;
      TinyQueue q;
      const auto getter = [&]() -> aio::Task<std::int64_t> { co_return co_await q.get(); };
      aio::Future<std::int64_t> g = aio::create_task(getter());
      co_await yield_rounds(5);
      obs["waiting while empty"] = !g.done();
      q.put_nowait(item);
      obs["got the item"] = (co_await aio::wait_for(g, 1s)) == item;
      obs["queue empty after"] = q.empty();
      co_return obs;
    };
    return aio::run(main());
  });
  EXPECT_EQ(o.at("waiting while empty"), 1) << "get() on an empty queue must wait (suspend), not return";
  EXPECT_EQ(o.at("got the item"), 1) << "a waiting get() must get the item of the next put_nowait()";
  EXPECT_EQ(o.at("queue empty after"), 1);
}

TEST(TinyQueue, GettersAreServedFirstComeFirstServed) {
  const auto items = draw(6);
  const Observations o = in_student([&] {
    const auto main = [&]() -> aio::Task<Observations> {
      Observations obs;
      TinyQueue q;
      const auto getter = [&]() -> aio::Task<std::int64_t> { co_return co_await q.get(); };
      std::vector<aio::Future<std::int64_t>> gs;
      for (int i = 0; i < 6; ++i) {
        gs.push_back(aio::create_task(getter()));
        co_await yield_rounds(1);  // getter i waits before getter i + 1
      }
      for (auto x : items) q.put_nowait(x);
      std::int64_t right = 0;
      for (std::size_t i = 0; i < gs.size(); ++i) right += (co_await aio::wait_for(gs[i], 1s)) == items[i];
      obs["getters served in order"] = right;
      co_return obs;
    };
    return aio::run(main());
  });
  EXPECT_EQ(o.at("getters served in order"), 6) << "the first getter to wait gets the first item put";
}

TEST(TinyQueue, ProducersAndConsumers) {
  const Observations o = in_student(
      [&] {
        const auto main = [&]() -> aio::Task<Observations> {
          Observations obs;
          TinyQueue q;
          std::int64_t sum = 0, count = 0;
          const auto producer = [&](std::int64_t base) -> aio::Task<void> {
            for (std::int64_t i = 1; i <= 500; ++i) {
              q.put_nowait(base + i);
              if (i % 7 == 0) co_await aio::sleep(0ms);
            }
          };
          const auto consumer = [&]() -> aio::Task<void> {
            for (;;) {
              const std::int64_t x = co_await q.get();
              if (x < 0) co_return;
              sum += x;
              ++count;
            }
          };
          std::vector<aio::Future<void>> cs, ps;
          for (int i = 0; i < 3; ++i) cs.push_back(aio::create_task(consumer()));
          for (std::int64_t p = 0; p < 4; ++p) ps.push_back(aio::create_task(producer(p * 1000)));
          for (auto& p : ps) co_await aio::wait_for(p, 5s);
          for (int i = 0; i < 3; ++i) q.put_nowait(-1);
          for (auto& c : cs) co_await aio::wait_for(c, 5s);
          obs["sum"] = sum;
          obs["count"] = count;
          obs["left"] = static_cast<std::int64_t>(q.qsize());
          co_return obs;
        };
        return aio::run(main());
      },
      20s);
  std::int64_t expected = 0;
  for (std::int64_t p = 0; p < 4; ++p)
    for (std::int64_t i = 1; i <= 500; ++i) expected += p * 1000 + i;
  EXPECT_EQ(o.at("count"), 2000) << "every item got exactly once";
  EXPECT_EQ(o.at("sum"), expected);
  EXPECT_EQ(o.at("left"), 0);
}

// ---------------------------------------------------------------- cancellation

TEST(TinyQueue, ACancelledGetTakesNoItem) {
  const auto items = draw(2);
  const Observations o = in_student([&] {
    const auto main = [&]() -> aio::Task<Observations> {
      Observations obs;
      TinyQueue q;
      const auto getter = [&]() -> aio::Task<std::int64_t> { co_return co_await q.get(); };
      aio::Future<std::int64_t> g = aio::create_task(getter());
      co_await yield_rounds(3);
      g.cancel();
      co_await yield_rounds(3);
      obs["cancelled"] = g.done() && g.cancelled();
      q.put_nowait(items[0]);
      obs["qsize after a put"] = static_cast<std::int64_t>(q.qsize());
      obs["the item is still there"] = q.get_nowait() == items[0];
      // A later getter is not held back by the cancelled one.
      aio::Future<std::int64_t> g2 = aio::create_task(getter());
      co_await yield_rounds(3);
      q.put_nowait(items[1]);
      obs["the next getter gets the next item"] = (co_await aio::wait_for(g2, 1s)) == items[1];
      co_return obs;
    };
    return aio::run(main());
  });
  EXPECT_EQ(o.at("cancelled"), 1) << "a get() cancelled while it waits must end (CancelledError goes on up)";
  EXPECT_EQ(o.at("qsize after a put"), 1) << "a put after a cancelled get(): the item stays in the queue";
  EXPECT_EQ(o.at("the item is still there"), 1);
  EXPECT_EQ(o.at("the next getter gets the next item"), 1)
      << "a cancelled getter's future must not take the next put's wake-up: " << reread_cancel;
}

TEST(TinyQueue, AGetterWokenThenCancelledPassesTheItemOn) {
  const auto items = draw(1);
  const Observations o = in_student([&] {
    const auto main = [&]() -> aio::Task<Observations> {
      Observations obs;
      TinyQueue q;
      const auto getter = [&]() -> aio::Task<std::int64_t> { co_return co_await q.get(); };
      aio::Future<std::int64_t> g1 = aio::create_task(getter());
      co_await yield_rounds(1);
      aio::Future<std::int64_t> g2 = aio::create_task(getter());
      co_await yield_rounds(3);
      q.put_nowait(items[0]);  // wakes g1 ...
      g1.cancel();             // ... which is cancelled before it runs
      std::int64_t got = -1;
      try {
        got = co_await aio::wait_for(g2, 1s);
      } catch (const mp::TimeoutError&) {
      }
      obs["the second getter got the item"] = got == items[0];
      obs["the first was cancelled"] = g1.done() && g1.cancelled();
      obs["queue empty"] = q.empty();
      co_return obs;
    };
    return aio::run(main());
  });
  EXPECT_EQ(o.at("the first was cancelled"), 1);
  EXPECT_EQ(o.at("the second getter got the item"), 1)
      << "a getter woken by a put and cancelled before it ran must wake the next getter: the item was left "
         "waiting while a getter waited; "
      << reread_cancel;
  EXPECT_EQ(o.at("queue empty"), 1);
}

TEST(TinyQueue, CancellationsNeverLoseAnItem) {
  const Observations o = in_student(
      [&] {
        const auto main = [&]() -> aio::Task<Observations> {
          Observations obs;
          std::mt19937 rng(12345);
          std::int64_t lost = 0, stuck = 0, wrong = 0;
          for (int round = 0; round < 300; ++round) {
            TinyQueue q;
            std::int64_t got = 0;
            const auto getter = [&]() -> aio::Task<void> { got += co_await q.get(); };
            const int getters = 1 + static_cast<int>(rng() % 5);
            std::vector<aio::Future<void>> gs;
            for (int i = 0; i < getters; ++i) gs.push_back(aio::create_task(getter()));
            co_await yield_rounds(1);
            const int puts = static_cast<int>(rng() % 6);
            std::int64_t put = 0;
            for (int i = 0; i < puts; ++i) {
              q.put_nowait(i + 1);
              put += i + 1;
              if (rng() % 3 == 0) gs[rng() % gs.size()].cancel();
            }
            for (auto& g : gs)
              if (rng() % 4 == 0) g.cancel();
            co_await yield_rounds(10);
            std::int64_t pending = 0;
            for (auto& g : gs) pending += g.done() ? 0 : 1;
            std::int64_t left = 0;
            while (!q.empty()) left += q.get_nowait();
            if (got + left != put) ++lost;
            if (pending > 0 && left > 0) ++stuck;  // an item waited while a getter waited
            for (auto& g : gs) {
              if (!g.done()) g.cancel();
            }
            co_await yield_rounds(2);
            for (auto& g : gs) wrong += g.done() ? 0 : 1;
          }
          obs["rounds that lost an item"] = lost;
          obs["rounds with an item and a getter both waiting"] = stuck;
          obs["getters not ended by cancel"] = wrong;
          co_return obs;
        };
        return aio::run(main());
      },
      20s);
  EXPECT_EQ(o.at("rounds that lost an item"), 0)
      << "items put = items got + items left, whatever is cancelled: " << reread_cancel;
  EXPECT_EQ(o.at("rounds with an item and a getter both waiting"), 0)
      << "a cancelled getter that had been woken must pass its wake-up on: " << reread_cancel;
  EXPECT_EQ(o.at("getters not ended by cancel"), 0);
}

}  // namespace
