// Lesson 08, exercise 1: fetch_all (contract: exercises/08-coroutines/async_fetch.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): the servers run in a thread
// of this process (loopback_servers.hpp), which also counts the connections open at
// once; fetch_all runs in a child that loaded the student's code and connects to them.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <mp/error.hpp>

#include "async_fetch.hpp"
#include "loopback_servers.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson08::fetch_all;
using lesson08_testing::LoopbackServers;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

constexpr const char* reread =
    "reread lessons/08-coroutines/README.md, \"Cancellation and timeouts\" and \"Exercise 1: async_fetch\"";

std::vector<std::string> answers(const LoopbackServers& s, std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(s.answer(i));
  return out;
}

// ---------------------------------------------------------------- results

TEST(AsyncFetch, RepliesInTheOrderOfThePorts) {
  // The first servers answer last: the results must still be in the order of the ports.
  std::vector<ms> delays;
  for (int i = 0; i < 10; ++i) delays.push_back(ms((10 - i) * 5));
  const LoopbackServers servers(delays);
  const auto ports = servers.ports();
  const auto got = in_student([&] { return fetch_all(ports, 10, scaled(10s)); }, 20s);
  EXPECT_EQ(got, answers(servers, ports.size()))
      << "result i: the line the server on ports[i] answered to \"fetch i\", without its \"\\n\"";
  EXPECT_EQ(servers.accepted(), 10) << "one connection per port";
}

TEST(AsyncFetch, APortGivenSeveralTimes) {
  const LoopbackServers servers({ms(1), ms(2)});
  std::vector<int> ports;
  for (int i = 0; i < 9; ++i) ports.push_back(servers.ports()[static_cast<std::size_t>(i % 2)]);
  const auto got = in_student([&] { return fetch_all(ports, 4, scaled(10s)); }, 20s);
  EXPECT_EQ(got, answers(servers, ports.size())) << "one connection and one request line per entry of ports";
  EXPECT_EQ(servers.accepted(), 9);
}

TEST(AsyncFetch, NoPorts) {
  const auto got = in_student([] { return fetch_all({}, 3, scaled(5s)); });
  EXPECT_TRUE(got.empty());
}

TEST(AsyncFetch, RejectsZeroConcurrency) {
  EXPECT_EQ(mp::testing::raised_by([] { (void)fetch_all({1}, 0, 1s); }), "mp::ValueError");
}

// ---------------------------------------------------------------- concurrency and the deadline

TEST(AsyncFetch, AtMostMaxConcurrentConnectionsAtOnce) {
  const LoopbackServers servers(std::vector<ms>(12, ms(40)));
  const auto ports = servers.ports();
  const auto got = in_student([&] { return fetch_all(ports, 3, scaled(20s)); }, 30s);
  EXPECT_EQ(got, answers(servers, ports.size()));
  EXPECT_LE(servers.max_open(), 3) << "more than max_concurrent connections were open at once: hold a unit "
                                      "of an aio::Semaphore from the connect to the close";
  EXPECT_EQ(servers.max_open(), 3)
      << "with 12 slow servers and max_concurrent = 3, 3 connections must be open "
         "at once: start every fetch as a task before awaiting any";
}

TEST(AsyncFetch, EveryFetchAtOnceWhenAllowed) {
  const LoopbackServers servers(std::vector<ms>(8, ms(150)));
  const auto ports = servers.ports();
  const Observations o = in_student(
      [&] {
        Observations obs;
        const auto t0 = Clock::now();
        obs["lines"] = static_cast<std::int64_t>(fetch_all(ports, 8, scaled(20s)).size());
        obs["ms"] = static_cast<std::int64_t>(mp::testing::seconds_since(t0) * 1000);
        return obs;
      },
      30s);
  EXPECT_EQ(o.at("lines"), 8);
  EXPECT_EQ(servers.max_open(), 8) << "8 servers and max_concurrent = 8: all 8 connections at once";
  EXPECT_LT(o.at("ms"), scaled(150ms * 5).count()) << "8 answers of 150 ms each, at the same time, take "
                                                      "about 150 ms: the fetches ran one after the other";
}

TEST(AsyncFetch, TheDeadlineRaisesTimeoutError) {
  const LoopbackServers servers({ms(20), scaled(5s), scaled(5s)});
  const auto ports = servers.ports();
  const Observations o = in_student(
      [&] {
        Observations obs;
        const auto t0 = Clock::now();
        obs["TimeoutError"] = mp::testing::threw<mp::TimeoutError>([&] { (void)fetch_all(ports, 3, 300ms); });
        obs["ms"] = static_cast<std::int64_t>(mp::testing::seconds_since(t0) * 1000);
        return obs;
      },
      30s);
  EXPECT_EQ(o.at("TimeoutError"), 1) << "the deadline passed: fetch_all must throw mp::TimeoutError; "
                                     << reread;
  EXPECT_GE(o.at("ms"), 250) << "fetch_all gave up before its deadline";
  EXPECT_LT(o.at("ms"), scaled(300ms + 1200ms).count())
      << "fetch_all must throw at the deadline, not when the slow servers answer: cancel the fetches";
}

TEST(AsyncFetch, OneDeadlineForTheWholeCall) {
  // 12 fetches of 100 ms, one at a time: 1.2 s of work; 500 ms for the whole call.
  const LoopbackServers servers(std::vector<ms>(12, ms(100)));
  const auto ports = servers.ports();
  const Observations o = in_student(
      [&] {
        Observations obs;
        const auto t0 = Clock::now();
        obs["TimeoutError"] = mp::testing::threw<mp::TimeoutError>([&] { (void)fetch_all(ports, 1, 500ms); });
        obs["ms"] = static_cast<std::int64_t>(mp::testing::seconds_since(t0) * 1000);
        return obs;
      },
      30s);
  EXPECT_EQ(o.at("TimeoutError"), 1) << "one deadline for the whole call, not one per connection: " << reread;
  EXPECT_LT(o.at("ms"), scaled(500ms + 700ms).count()) << "fetch_all took far longer than its deadline";
  EXPECT_LE(servers.answered(), 6) << "fetches went on after the deadline";
}

}  // namespace
