#pragma once
// Helpers of the mp::aio test suites (aio_lock_test.cpp, aio_semaphore_test.cpp,
// aio_queue_test.cpp): a watchdog that turns a hung test into a failure, loop
// rounds, and starting and awaiting tasks.
#include <chrono>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mp/aio.hpp"
#include "test_support.hpp"

namespace mp::testing::aio_support {

using namespace std::chrono_literals;
namespace aio = mp::aio;
using Log = std::vector<std::string>;

inline aio::Task<void> watchdog(aio::Future<void> body, std::chrono::milliseconds limit) {
  co_await aio::sleep(limit);
  body.cancel("watchdog: the test hung");
}

inline aio::Task<void> guarded(aio::Task<void> body, std::chrono::milliseconds limit) {
  const aio::Future<void> f = aio::create_task(std::move(body));
  const aio::Future<void> dog = aio::create_task(watchdog(f, limit));
  try {
    co_await f;
  } catch (...) {
    dog.cancel();
    throw;
  }
  dog.cancel();
}

// Runs `body` as aio::run does, failing the test if it takes over 10 s (scaled).
inline void run_test(aio::Task<void> body) {
  try {
    aio::run(guarded(std::move(body), mp::testing::scaled(10s)));
  } catch (const aio::CancelledError& e) {
    ADD_FAILURE() << e.what();
  }
}

// Lets the other ready tasks run `n` rounds.
inline aio::Task<void> rounds(int n) {
  for (int i = 0; i < n; ++i) co_await aio::sleep(0s);
}

// Starts `fn(0)` .. `fn(n - 1)` (or `fn()` n times) as tasks, in that order.
template <class Fn>
auto spawn(int n, const Fn& fn) {
  const auto make = [&](int i) {
    if constexpr (std::is_invocable_v<const Fn&, int>) {
      return aio::create_task(fn(i));
    } else {
      return aio::create_task(fn());
    }
  };
  std::vector<decltype(make(0))> tasks;
  tasks.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) tasks.push_back(make(i));
  return tasks;
}

// Awaits every task of `tasks`, in order.
inline aio::Task<void> await_all(const std::vector<aio::Future<void>>& tasks) {
  for (const auto& t : tasks) co_await t;
}

// Awaits `f`; whether it ended cancelled.
inline aio::Task<bool> ends_cancelled(aio::Future<void> f) {
  try {
    co_await f;
  } catch (const aio::CancelledError&) {
    co_return true;
  }
  co_return false;
}

}  // namespace mp::testing::aio_support
