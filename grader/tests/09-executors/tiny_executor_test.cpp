// Lesson 09, exercise 2: TinyFuture and TinyExecutor (contract:
// exercises/09-executors/tiny_executor.hpp). Trusted-parent style
// (grader/harness/student_code.hpp): the futures, executors and threads live in a
// child that loaded the student's code and returns what it saw (values, counts,
// exception types, times); the checks run here. Threads that race are started
// together (a gate they all wait at), every wait has a deadline, and each race is
// run many rounds in one test.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <mp/error.hpp>

#include "student_code.hpp"
#include "test_support.hpp"
#include "tiny_executor.hpp"

namespace {

using namespace std::chrono_literals;
using lesson09::TinyExecutor;
using lesson09::TinyFuture;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::scaled;
using mp::testing::threw;
using Clock = std::chrono::steady_clock;
using IntFuture = TinyFuture<std::int64_t>;

constexpr const char* reread_future = "reread lessons/09-executors/README.md, \"Exercise 2: tiny_executor\"";

// Waits (at most `deadline`) until `n` threads have arrived: start racers together.
bool arrive_and_wait(std::atomic<int>& arrived, int n, std::chrono::milliseconds deadline = scaled(5s)) {
  arrived.fetch_add(1);
  const auto until = Clock::now() + deadline;
  while (arrived.load() < n) {
    if (Clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

// Waits (at most `deadline`) until `flag` is set.
bool wait_for_flag(const std::atomic<bool>& flag, std::chrono::milliseconds deadline = scaled(5s)) {
  const auto until = Clock::now() + deadline;
  while (!flag.load()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(100us);
  }
  return true;
}

std::int64_t ms_since(Clock::time_point t0) {
  return static_cast<std::int64_t>(mp::testing::seconds_since(t0) * 1000);
}

// ---------------------------------------------------------------- the future

TEST(TinyExecutor, FutureSetResultThenResult) {
  const Observations o = in_student([] {
    Observations obs;
    IntFuture f;
    obs["done before"] = f.done();
    IntFuture copy = f;  // a handle: the same state
    f.set_result(42);
    obs["done after"] = f.done();
    obs["result"] = f.result();
    obs["again, through the copy"] = copy.result(scaled(1s));
    return obs;
  });
  EXPECT_EQ(o.at("done before"), 0) << "a new future is pending";
  EXPECT_EQ(o.at("done after"), 1) << "done() after set_result";
  EXPECT_EQ(o.at("result"), 42);
  EXPECT_EQ(o.at("again, through the copy"), 42)
      << "copies of a future share its state; result() may be called again";
}

TEST(TinyExecutor, FutureSetExceptionRethrowsIt) {
  const Observations o = in_student([] {
    Observations obs;
    IntFuture f;
    f.set_exception(std::make_exception_ptr(std::invalid_argument("no such thing")));
    obs["done"] = f.done();
    for (int i = 0; i < 2; ++i) {
      try {
        (void)f.result(scaled(1s));
      } catch (const std::invalid_argument& e) {
        obs["rethrown"] += std::string(e.what()) == "no such thing";
      }
    }
    return obs;
  });
  EXPECT_EQ(o.at("done"), 1);
  EXPECT_EQ(o.count("rethrown") ? o.at("rethrown") : 0, 2)
      << "result() rethrows the exception given to set_exception, each time it is called";
}

TEST(TinyExecutor, FutureOfAString) {
  const std::string got = in_student([] {
    TinyFuture<std::string> f;
    std::string seen;
    f.add_done_callback([&](const TinyFuture<std::string>& g) { seen = "callback saw " + g.result(); });
    f.set_result("a string");
    return f.result() + " / " + seen;
  });
  EXPECT_EQ(got, "a string / callback saw a string");
}

TEST(TinyExecutor, FutureSetTwiceRaisesInvalidStateError) {
  const Observations o = in_student([] {
    Observations obs;
    IntFuture f;
    f.set_result(1);
    obs["set_result again"] = threw<mp::InvalidStateError>([&] { f.set_result(2); });
    obs["set_exception after"] = threw<mp::InvalidStateError>(
        [&] { f.set_exception(std::make_exception_ptr(std::runtime_error("x"))); });
    obs["result kept"] = f.result();
    IntFuture g;
    g.set_exception(std::make_exception_ptr(std::runtime_error("first")));
    obs["set_result after an exception"] = threw<mp::InvalidStateError>([&] { g.set_result(3); });
    return obs;
  });
  EXPECT_EQ(o.at("set_result again"), 1)
      << "a future is set once: the second set_result raises mp::InvalidStateError";
  EXPECT_EQ(o.at("set_exception after"), 1)
      << "set_exception on a finished future raises mp::InvalidStateError";
  EXPECT_EQ(o.at("result kept"), 1) << "the first result stays";
  EXPECT_EQ(o.at("set_result after an exception"), 1);
}

TEST(TinyExecutor, FutureResultTimesOut) {
  const Observations o = in_student([] {
    Observations obs;
    IntFuture f;
    const auto t0 = Clock::now();
    obs["timeout"] = threw<mp::TimeoutError>([&] { (void)f.result(100ms); });
    obs["ms"] = ms_since(t0);
    obs["still pending"] = !f.done();
    obs["zero timeout"] = threw<mp::TimeoutError>([&] { (void)f.result(0ms); });
    f.set_result(5);
    obs["then the result"] = f.result(0ms);
    return obs;
  });
  EXPECT_EQ(o.at("timeout"), 1) << "result(100ms) of a pending future raises mp::TimeoutError";
  EXPECT_GE(o.at("ms"), 95) << "result(100ms) gave up early";
  EXPECT_LT(o.at("ms"), scaled(100ms + 2s).count()) << "result(100ms) waited far longer than its timeout";
  EXPECT_EQ(o.at("still pending"), 1);
  EXPECT_EQ(o.at("zero timeout"), 1);
  EXPECT_EQ(o.at("then the result"), 5) << "result(0ms) of a finished future returns its value";
}

TEST(TinyExecutor, FutureManyWaitersOneSetter) {
  constexpr int rounds = 100, waiters = 6;
  const Observations o = in_student([] {
    Observations obs;
    std::atomic<std::int64_t> got{0}, timeouts{0};
    for (int r = 0; r < rounds; ++r) {
      IntFuture f;
      std::atomic<int> arrived{0};
      std::vector<std::jthread> threads;
      for (int w = 0; w < waiters; ++w) {
        threads.emplace_back([&] {
          (void)arrive_and_wait(arrived, waiters + 1);
          try {
            got += f.result(scaled(10s));
          } catch (const mp::TimeoutError&) {
            ++timeouts;
          }
        });
      }
      (void)arrive_and_wait(arrived, waiters + 1);
      f.set_result(r);  // while the waiters are entering result() or waiting in it
    }
    obs["sum"] = got;
    obs["timeouts"] = timeouts;
    return obs;
  });
  EXPECT_EQ(o.at("timeouts"), 0)
      << "a waiter was never woken: set_result must wake EVERY waiter (notify_all), "
         "and a waiter must check `done` under the lock before it sleeps";
  EXPECT_EQ(o.at("sum"), static_cast<std::int64_t>(waiters) * rounds * (rounds - 1) / 2)
      << "each waiter must get the value set";
}

TEST(TinyExecutor, FutureCallbacksRunOnceInTheSettingThread) {
  const Observations o = in_student([] {
    Observations obs;
    IntFuture f;
    std::vector<std::int64_t> order;
    std::thread::id ran_in;
    int before_set = 0;
    for (std::int64_t k = 1; k <= 3; ++k) {
      f.add_done_callback([&, k](const IntFuture& g) {
        order.push_back(k * 100 + g.result(0ms));
        ran_in = std::this_thread::get_id();
      });
    }
    before_set = static_cast<int>(order.size());
    std::thread::id setter;
    std::jthread t([&] {
      setter = std::this_thread::get_id();
      f.set_result(7);
    });
    t.join();
    obs["ran before set"] = before_set;
    obs["in order"] = order == std::vector<std::int64_t>{107, 207, 307};
    obs["ran"] = static_cast<std::int64_t>(order.size());
    obs["in the setting thread"] = ran_in == setter;
    return obs;
  });
  EXPECT_EQ(o.at("ran before set"), 0) << "a callback added to a pending future waits for it to be set";
  EXPECT_EQ(o.at("ran"), 3) << "each callback runs exactly once";
  EXPECT_EQ(o.at("in order"), 1) << "the callbacks run in the order added, with the finished future";
  EXPECT_EQ(o.at("in the setting thread"), 1) << "the thread that sets the future runs its callbacks";
}

TEST(TinyExecutor, FutureCallbackAddedWhenDoneRunsAtOnce) {
  const Observations o = in_student([] {
    Observations obs;
    IntFuture f;
    f.set_result(3);
    int calls = 0;
    std::thread::id ran_in;
    f.add_done_callback([&](const IntFuture& g) {
      calls += static_cast<int>(g.result(0ms));
      ran_in = std::this_thread::get_id();
    });
    obs["calls when add returns"] = calls;
    obs["in the calling thread"] = ran_in == std::this_thread::get_id();
    return obs;
  });
  EXPECT_EQ(o.at("calls when add returns"), 3) << "a callback added to a finished future runs at once";
  EXPECT_EQ(o.at("in the calling thread"), 1);
}

TEST(TinyExecutor, FutureCallbackMayUseItsFuture) {
  const Observations o = in_student([] {
    Observations obs;
    IntFuture f;
    std::atomic<int> inner{0};
    f.add_done_callback([&](const IntFuture& g) {
      // with the future's lock held, these would deadlock: run callbacks without it
      IntFuture h = g;
      h.add_done_callback([&](const IntFuture& k) { inner += static_cast<int>(k.result(0ms)); });
      inner += static_cast<int>(h.done());
    });
    std::jthread t([&] { f.set_result(10); });
    t.join();
    obs["inner"] = inner;
    return obs;
  });
  EXPECT_EQ(o.at("inner"), 11) << "a callback that calls add_done_callback and done() on its own future: run "
                                  "callbacks after releasing the lock";
}

TEST(TinyExecutor, FutureCallbacksAddedWhileItIsSet) {
  // 4 threads add callbacks in a loop; a fifth sets the future once they are under way,
  // so that the set falls in the middle of their adds.
  constexpr int rounds = 1000, adders = 4, per_adder = 50;
  const Observations o = in_student([] {
    Observations obs;
    std::int64_t wrong_rounds = 0, total = 0, saw_pending = 0;
    for (int r = 0; r < rounds; ++r) {
      IntFuture f;
      std::atomic<int> arrived{0}, added{0}, calls{0}, pending_in_callback{0};
      {
        std::vector<std::jthread> threads;
        for (int a = 0; a < adders; ++a) {
          threads.emplace_back([&] {
            (void)arrive_and_wait(arrived, adders + 1);
            for (int k = 0; k < per_adder; ++k) {
              f.add_done_callback([&](const IntFuture& g) {
                if (!g.done()) ++pending_in_callback;
                ++calls;
              });
              ++added;
            }
          });
        }
        threads.emplace_back([&] {
          (void)arrive_and_wait(arrived, adders + 1);
          const auto until = Clock::now() + scaled(5s);
          while (added.load() < adders * per_adder / 4 && Clock::now() < until) std::this_thread::yield();
          f.set_result(r);
        });
      }  // joined
      total += calls;
      wrong_rounds += calls != adders * per_adder;
      saw_pending += pending_in_callback;
    }
    obs["rounds with a callback lost or run twice"] = wrong_rounds;
    obs["calls"] = total;
    obs["callback saw a pending future"] = saw_pending;
    return obs;
  });
  EXPECT_EQ(o.at("rounds with a callback lost or run twice"), 0)
      << "callbacks added while another thread sets the future: each must run exactly once. Decide under the "
         "lock whether the future is done (then run it yourself, after unlocking) or not (then keep it, in "
         "the "
         "same locked section, for the setter)";
  EXPECT_EQ(o.at("calls"), static_cast<std::int64_t>(rounds) * adders * per_adder);
  EXPECT_EQ(o.at("callback saw a pending future"), 0) << "a callback must see its future done";
}

// ---------------------------------------------------------------- the executor

TEST(TinyExecutor, SubmitReturnsTheTasksResult) {
  const Observations o = in_student([] {
    Observations obs;
    TinyExecutor ex(4);
    std::vector<IntFuture> fs;
    for (std::int64_t i = 0; i < 1000; ++i) fs.push_back(ex.submit([i] { return i * i; }));
    std::int64_t sum = 0;
    for (auto& f : fs) sum += f.result(scaled(10s));
    obs["sum"] = sum;
    obs["first"] = ex.submit([] { return std::int64_t{-5}; }).result(scaled(5s));
    return obs;
  });
  EXPECT_EQ(o.at("sum"), 332'833'500) << "the sum of i*i for i < 1000: each future gets its own task's value";
  EXPECT_EQ(o.at("first"), -5);
}

TEST(TinyExecutor, TasksRunInItsThreadsAtOnce) {
  const Observations o = in_student([] {
    Observations obs;
    std::mutex m;
    std::set<std::thread::id> ids;
    std::atomic<int> arrived{0};
    {
      TinyExecutor ex(3);
      std::vector<IntFuture> fs;
      for (int i = 0; i < 3; ++i) {
        fs.push_back(ex.submit([&]() -> std::int64_t {
          {
            std::lock_guard lock(m);
            ids.insert(std::this_thread::get_id());
          }
          return arrive_and_wait(arrived, 3) ? 1 : 0;
        }));
      }
      for (auto& f : fs) obs["met"] += f.result(scaled(10s));
      for (int i = 0; i < 300; ++i) {
        fs.push_back(ex.submit([&]() -> std::int64_t {
          std::lock_guard lock(m);
          ids.insert(std::this_thread::get_id());
          return 0;
        }));
      }
      for (auto& f : fs) (void)f.result(scaled(10s));
    }
    obs["threads"] = static_cast<std::int64_t>(ids.size());
    obs["ran in the caller"] = ids.count(std::this_thread::get_id());
    return obs;
  });
  EXPECT_EQ(o.at("met"), 3) << "3 workers must run 3 tasks at once: start the threads in the constructor";
  EXPECT_EQ(o.at("threads"), 3) << "TinyExecutor(3) runs its tasks on exactly 3 threads";
  EXPECT_EQ(o.at("ran in the caller"), 0) << "submit() must not run the task itself";
}

TEST(TinyExecutor, ATaskThatThrowsFailsItsFutureOnly) {
  const Observations o = in_student([] {
    Observations obs;
    TinyExecutor ex(1);
    IntFuture bad = ex.submit([]() -> std::int64_t { throw std::runtime_error("bad task"); });
    try {
      (void)bad.result(scaled(5s));
    } catch (const std::runtime_error& e) {
      obs["rethrown"] = std::string(e.what()) == "bad task";
    }
    obs["next task"] = ex.submit([] { return std::int64_t{9}; }).result(scaled(5s));
    return obs;
  });
  EXPECT_EQ(o.count("rethrown") ? o.at("rethrown") : 0, 1)
      << "a task's exception goes to its future (set_exception(std::current_exception()))";
  EXPECT_EQ(o.at("next task"), 9) << "the worker thread lives on after a task threw";
}

TEST(TinyExecutor, ResultTimesOutWhileTheTaskRuns) {
  const Observations o = in_student([] {
    Observations obs;
    std::atomic<bool> release{false};
    TinyExecutor ex(1);
    IntFuture f = ex.submit([&]() -> std::int64_t { return wait_for_flag(release) ? 8 : -1; });
    obs["timeout"] = threw<mp::TimeoutError>([&] { (void)f.result(50ms); });
    release = true;
    obs["then"] = f.result(scaled(5s));
    return obs;
  });
  EXPECT_EQ(o.at("timeout"), 1) << "result(50ms) of a running task raises mp::TimeoutError";
  EXPECT_EQ(o.at("then"), 8) << "the task goes on; a later result() returns its value";
}

TEST(TinyExecutor, ShutdownRunsTheQueuedTasks) {
  const Observations o = in_student([] {
    Observations obs;
    std::atomic<bool> release{false};
    std::atomic<int> ran{0};
    TinyExecutor ex(1);
    std::vector<IntFuture> fs;
    fs.push_back(ex.submit([&]() -> std::int64_t { return wait_for_flag(release) ? 1 : 0; }));
    for (int i = 0; i < 20; ++i) fs.push_back(ex.submit([&]() -> std::int64_t { return ++ran; }));
    const auto t0 = Clock::now();
    ex.shutdown(false);
    obs["shutdown(false) ms"] = ms_since(t0);
    obs["ran before release"] = ran;
    obs["submit after shutdown"] =
        threw<mp::ValueError>([&] { (void)ex.submit([] { return std::int64_t{0}; }); });
    release = true;
    ex.shutdown(true);
    obs["ran after shutdown(true)"] = ran;
    std::int64_t done = 0;
    for (auto& f : fs) done += f.done();
    obs["futures done"] = done;
    return obs;
  });
  EXPECT_LT(o.at("shutdown(false) ms"), scaled(1s).count()) << "shutdown(false) must not wait for the tasks";
  EXPECT_EQ(o.at("ran before release"), 0);
  EXPECT_EQ(o.at("submit after shutdown"), 1) << "submit() after shutdown raises mp::ValueError";
  EXPECT_EQ(o.at("ran after shutdown(true)"), 20)
      << "shutdown(true) returns once every QUEUED task has run too (as Python's shutdown(wait=True))";
  EXPECT_EQ(o.at("futures done"), 21);
}

TEST(TinyExecutor, TheDestructorWaitsForEveryTask) {
  const Observations o = in_student([] {
    Observations obs;
    std::atomic<int> ran{0};
    {
      TinyExecutor ex(2);
      for (int i = 0; i < 10; ++i) {
        (void)ex.submit([&]() -> std::int64_t {
          std::this_thread::sleep_for(5ms);  // the task's own work
          return ++ran;
        });
      }
    }
    obs["ran"] = ran;
    return obs;
  });
  EXPECT_EQ(o.at("ran"), 10) << "the destructor is shutdown(true): every submitted task runs first";
}

TEST(TinyExecutor, ManyThreadsSubmitAtOnce) {
  const Observations o = in_student([] {
    Observations obs;
    TinyExecutor ex(3);
    std::atomic<int> arrived{0};
    std::atomic<std::int64_t> sum{0};
    {
      std::vector<std::jthread> clients;
      for (std::int64_t c = 0; c < 4; ++c) {
        clients.emplace_back([&, c] {
          (void)arrive_and_wait(arrived, 4);
          std::vector<IntFuture> fs;
          for (std::int64_t i = 0; i < 250; ++i) fs.push_back(ex.submit([c, i] { return c * 1000 + i; }));
          for (auto& f : fs) sum += f.result(scaled(10s));
        });
      }
    }
    obs["sum"] = sum;
    return obs;
  });
  EXPECT_EQ(o.at("sum"), 6 * 250 * 1000 + 4 * (249 * 250 / 2)) << "tasks submitted from 4 threads at once";
}

TEST(TinyExecutor, RejectsFewerThanOneWorker) {
  EXPECT_EQ(mp::testing::raised_by([] { TinyExecutor ex(0); }), "mp::ValueError") << reread_future;
}

}  // namespace
