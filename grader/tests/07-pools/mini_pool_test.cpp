// Lesson 07, exercise 2: MiniPool (contract: exercises/07-pools/mini_pool.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): the pool lives in a child
// that loaded the student's code and returns what it saw (results, exception types,
// times); the checks run here. The tasks are this file's functions: the pool's
// workers are forked from that child, so their addresses are valid there. What a
// task must share with the test (a barrier, pids) lives in shared memory made
// before the pool.
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp/barrier.hpp>
#include <mp/error.hpp>
#include <mp/shared_object.hpp>

#include "mini_pool.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson07::MiniPool;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;

constexpr const char* reread_death = "reread lessons/07-pools/README.md, \"A worker that dies\"";

std::int64_t square(std::int64_t x) { return x * x; }
std::int64_t own_pid(std::int64_t /*x*/) { return ::getpid(); }
std::int64_t sleep_ms(std::int64_t ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));  // the workload itself
  return ms;
}
std::int64_t throw_on_odd(std::int64_t x) {
  if (x % 2 != 0) throw std::runtime_error("odd argument " + std::to_string(x));
  return x;
}
std::int64_t kill_self(std::int64_t /*x*/) {
  ::kill(::getpid(), SIGKILL);
  return 0;
}

// Shared with the workers: made in the test's child before the pool forks.
struct Shared {
  std::array<std::atomic<std::int64_t>, 8> pids{};
};
Shared* g_shared = nullptr;
mp::Barrier* g_barrier = nullptr;

std::int64_t meet(std::int64_t /*x*/) {  // both tasks must run at once: two workers
  return g_barrier->wait(scaled(5s)) >= 0 ? 1 : 0;
}
std::int64_t record_pid_then_sleep(std::int64_t slot) {
  (*g_shared).pids[static_cast<std::size_t>(slot)] = ::getpid();
  std::this_thread::sleep_for(30s);  // until it is killed
  return slot;
}

double ms_since(Clock::time_point t0) { return mp::testing::seconds_since(t0) * 1000; }

bool no_children_left() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
}

// ---------------------------------------------------------------- results

TEST(MiniPool, ApplyAsyncThenGet) {
  const auto got = in_student([] {
    MiniPool pool(2);
    const std::uint64_t t = pool.apply_async(square, 20);
    return std::vector<std::int64_t>{static_cast<std::int64_t>(t), pool.get(t, scaled(5s)),
                                     pool.get(t, scaled(5s))};
  });
  EXPECT_EQ(got, (std::vector<std::int64_t>{1, 400, 400}))
      << "the first ticket is 1, get returns fn(arg), and may be called again";
}

TEST(MiniPool, ManyTasksAllComeBack) {
  const auto got = in_student([] {
    MiniPool pool(3);
    std::vector<std::uint64_t> tickets;
    for (std::int64_t i = 0; i < 300; ++i) tickets.push_back(pool.apply_async(square, i - 150));
    std::vector<std::int64_t> out;
    for (auto t : tickets) out.push_back(pool.get(t, scaled(10s)));
    return out;
  });
  ASSERT_EQ(got.size(), 300U);
  for (std::int64_t i = 0; i < 300; ++i)
    EXPECT_EQ(got[static_cast<std::size_t>(i)], (i - 150) * (i - 150)) << "task " << i + 1 << "'s result";
}

TEST(MiniPool, TasksRunInTheWorkers) {
  const Observations o = in_student([] {
    Observations obs;
    MiniPool pool(2);
    const auto pids = pool.worker_pids();
    obs["workers"] = static_cast<std::int64_t>(pids.size());
    const std::int64_t ran_in = pool.get(pool.apply_async(own_pid, 0), scaled(5s));
    obs["ran in the caller"] = ran_in == ::getpid();
    obs["ran in a worker"] = (pids.size() == 2 && (ran_in == pids[0] || ran_in == pids[1]));
    return obs;
  });
  EXPECT_EQ(o.at("workers"), 2) << "worker_pids() of MiniPool(2)";
  EXPECT_EQ(o.at("ran in the caller"), 0) << "the task ran in the caller's process: send it to a worker";
  EXPECT_EQ(o.at("ran in a worker"), 1) << "the task did not run in one of worker_pids()";
}

TEST(MiniPool, WorkersRunTasksAtTheSameTime) {
  const auto got = in_student([] {
    mp::Barrier barrier(2);
    g_barrier = &barrier;
    MiniPool pool(2);
    const auto a = pool.apply_async(meet, 0), b = pool.apply_async(meet, 0);
    return pool.get(a, scaled(10s)) + pool.get(b, scaled(10s));
  });
  EXPECT_EQ(got, 2) << "two tasks on two workers must run at once: hand a task to every idle worker when it "
                       "is submitted, not one at a time";
}

TEST(MiniPool, ATaskThatThrowsRaisesRemoteError) {
  const Observations o = in_student([] {
    Observations obs;
    MiniPool pool(1);
    const auto bad = pool.apply_async(throw_on_odd, 7);
    try {
      (void)pool.get(bad, scaled(5s));
    } catch (const mp::RemoteError& e) {
      obs["remote error"] = 1;
      obs["message kept"] = std::string(e.what()).find("odd argument 7") != std::string::npos;
    }
    obs["worker lives on"] = pool.get(pool.apply_async(throw_on_odd, 8), scaled(5s)) == 8;
    return obs;
  });
  EXPECT_EQ(o.count("remote error"), 1U) << "get() of a task that threw must throw mp::RemoteError";
  EXPECT_EQ(o.count("message kept") ? o.at("message kept") : 0, 1)
      << "the RemoteError carries the task's what()";
  EXPECT_EQ(o.at("worker lives on"), 1);
}

TEST(MiniPool, RejectsBadArguments) {
  EXPECT_EQ(mp::testing::raised_by([] { MiniPool pool(0); }), "mp::ValueError") << "MiniPool(0)";
  EXPECT_EQ(mp::testing::raised_by([] { MiniPool pool(-1); }), "mp::ValueError") << "MiniPool(-1)";
  EXPECT_EQ(mp::testing::raised_by([] {
              MiniPool pool(1);
              (void)pool.get(42, scaled(1s));
            }),
            "mp::ValueError")
      << "get() of a ticket never given";
}

// ---------------------------------------------------------------- timeouts, deaths, terminate

TEST(MiniPool, GetTimesOutAndTheTaskGoesOn) {
  const Observations o = in_student([] {
    Observations obs;
    MiniPool pool(1);
    const auto t = pool.apply_async(sleep_ms, 400);
    const auto t0 = Clock::now();
    obs["timed out"] = mp::testing::threw<mp::TimeoutError>([&] { (void)pool.get(t, 50ms); });
    obs["ms"] = static_cast<std::int64_t>(ms_since(t0));
    obs["later"] = pool.get(t, scaled(5s));
    return obs;
  });
  EXPECT_EQ(o.at("timed out"), 1) << "get(ticket, 50ms) of a 400 ms task must throw mp::TimeoutError";
  EXPECT_GE(o.at("ms"), 45) << "get returned before its timeout";
  EXPECT_LT(o.at("ms"), 350) << "get waited past its timeout";
  EXPECT_EQ(o.at("later"), 400) << "after a timeout the task goes on: a later get returns its result";
}

TEST(MiniPool, ATaskThatKillsItsWorkerRaisesWorkerLost) {
  const Observations o = in_student([] {
    Observations obs;
    MiniPool pool(2);
    std::vector<std::uint64_t> others;
    for (int i = 0; i < 10; ++i) others.push_back(pool.apply_async(square, i));
    const auto doomed = pool.apply_async(kill_self, 0);
    for (int i = 10; i < 20; ++i) others.push_back(pool.apply_async(square, i));
    const auto t0 = Clock::now();
    try {
      (void)pool.get(doomed, scaled(10s));
    } catch (const mp::WorkerLost& e) {
      obs["worker lost"] = 1;
      obs["exit code"] = e.exitcode();
    } catch (const mp::TimeoutError&) {
      obs["timed out"] = 1;
    }
    obs["ms"] = static_cast<std::int64_t>(ms_since(t0));
    std::int64_t sum = 0;
    for (auto t : others) sum += pool.get(t, scaled(10s));
    obs["sum of the others"] = sum;
    obs["workers after"] = static_cast<std::int64_t>(pool.worker_pids().size());
    obs["new task"] = pool.get(pool.apply_async(square, 9), scaled(5s));
    return obs;
  });
  ASSERT_EQ(o.count("timed out"), 0U)
      << "get() waited until its timeout for a task whose worker was dead: "
         "wait on the workers' processes too (mp::wait), not only their pipes; "
      << reread_death;
  EXPECT_EQ(o.count("worker lost"), 1U)
      << "a task whose worker died must raise mp::WorkerLost; " << reread_death;
  EXPECT_EQ(o.count("exit code") ? o.at("exit code") : 0, -SIGKILL)
      << "WorkerLost's exit code: -9 for SIGKILL";
  EXPECT_LT(o.at("ms"), 2000) << "the death must be noticed within milliseconds";
  std::int64_t expected = 0;
  for (std::int64_t i = 0; i < 20; ++i) expected += i * i;
  EXPECT_EQ(o.at("sum of the others"), expected) << "the other tasks must all complete";
  EXPECT_EQ(o.at("workers after"), 2) << "a dead worker is replaced";
  EXPECT_EQ(o.at("new task"), 81);
}

TEST(MiniPool, DeathsInARow) {
  const Observations o = in_student([] {
    Observations obs;
    MiniPool pool(2);
    for (int i = 0; i < 5; ++i) {
      const auto t = pool.apply_async(kill_self, 0);
      obs["lost"] += mp::testing::threw<mp::WorkerLost>([&] { (void)pool.get(t, scaled(5s)); });
    }
    obs["then"] = pool.get(pool.apply_async(square, 5), scaled(5s));
    return obs;
  });
  EXPECT_EQ(o.at("lost"), 5) << "five tasks that kill their workers: five mp::WorkerLost";
  EXPECT_EQ(o.at("then"), 25);
}

// The first worker forked is killed from outside (the OOM killer, kill -9) while it
// and the others run long tasks: its task, and only its, fails at once.
TEST(MiniPool, AWorkerKilledFromOutside) {
  const Observations o = in_student([] {
    Observations obs;
    const auto shared = mp::make_shared_object<Shared>();
    g_shared = shared.get();
    MiniPool pool(3);
    const auto first = pool.worker_pids().at(0);
    std::vector<std::uint64_t> tickets;
    for (std::int64_t slot = 0; slot < 3; ++slot)
      tickets.push_back(pool.apply_async(record_pid_then_sleep, slot));
    const auto until = Clock::now() + scaled(5s);
    auto all_started = [&] {
      for (int k = 0; k < 3; ++k)
        if (shared->pids[static_cast<std::size_t>(k)] == 0) return false;
      return true;
    };
    while (!all_started() && Clock::now() < until) std::this_thread::sleep_for(1ms);
    obs["all started"] = all_started();
    std::size_t victim = 0;
    for (std::size_t k = 0; k < 3; ++k)
      if (shared->pids[k] == first) victim = k;
    ::kill(first, SIGKILL);
    const auto t0 = Clock::now();
    try {
      (void)pool.get(tickets[victim], scaled(5s));
    } catch (const mp::WorkerLost& e) {
      obs["worker lost"] = 1;
      obs["pid"] = e.pid() == first;
    } catch (const mp::TimeoutError&) {
      obs["timed out"] = 1;
    }
    obs["ms"] = static_cast<std::int64_t>(ms_since(t0));
    const auto now = pool.worker_pids();
    obs["replaced"] = now.size() == 3 && now[0] != first;
    return obs;  // the pool's destructor kills the two sleepers
  });
  ASSERT_EQ(o.at("all started"), 1) << "three tasks on three workers must all start";
  ASSERT_EQ(o.count("timed out"), 0U) << "the killed worker's task waited until get's timeout: a worker's "
                                         "death shows as EOF on its pipe, or as "
                                         "its process ending (mp::wait takes both); "
                                      << reread_death;
  EXPECT_EQ(o.count("worker lost"), 1U) << "its task must raise mp::WorkerLost; " << reread_death;
  EXPECT_EQ(o.count("pid") ? o.at("pid") : 0, 1) << "WorkerLost::pid() names the dead worker";
  EXPECT_LT(o.at("ms"), 2000);
  EXPECT_EQ(o.at("replaced"), 1) << "worker_pids(): the dead first worker replaced in its place";
}

TEST(MiniPool, AnIdleWorkerKilledIsReplacedAndNoTaskIsLost) {
  const auto got = in_student([] {
    MiniPool pool(1);
    const pid_t idle = pool.worker_pids().at(0);
    ::kill(idle, SIGKILL);
    siginfo_t info{};
    ::waitid(P_PID, static_cast<id_t>(idle), &info,
             WEXITED | WNOWAIT);  // dead (not reaped: the pool's to do)
    return pool.get(pool.apply_async(square, 12), scaled(5s));
  });
  EXPECT_EQ(got, 144) << "a worker that died while idle is replaced before it gets a task; the task must run";
}

TEST(MiniPool, TerminateIsPromptAndFailsTheRest) {
  const Observations o = in_student([] {
    Observations obs;
    const auto t0 = Clock::now();
    {
      MiniPool pool(2);
      const auto a = pool.apply_async(sleep_ms, 20'000);
      const auto b = pool.apply_async(sleep_ms, 20'000);
      const auto queued = pool.apply_async(square, 3);
      const auto quick = pool.apply_async(square, 4);
      (void)a;
      pool.terminate();
      obs["running task"] = mp::testing::threw<mp::BrokenPool>([&] { (void)pool.get(b, scaled(1s)); });
      obs["queued task"] = mp::testing::threw<mp::BrokenPool>([&] { (void)pool.get(queued, scaled(1s)); });
      obs["quick"] = mp::testing::threw<mp::BrokenPool>([&] { (void)pool.get(quick, scaled(1s)); });
      obs["submit after"] = mp::testing::threw<mp::ValueError>([&] { (void)pool.apply_async(square, 1); });
      obs["pids after"] = static_cast<std::int64_t>(pool.worker_pids().size());
      obs["children right after terminate"] = !no_children_left();
    }
    obs["ms"] = static_cast<std::int64_t>(ms_since(t0));
    return obs;
  });
  EXPECT_EQ(o.at("running task"), 1) << "a task running at terminate(): get raises mp::BrokenPool";
  EXPECT_EQ(o.at("queued task"), 1) << "a task still queued at terminate(): get raises mp::BrokenPool";
  EXPECT_EQ(o.at("quick"), 1);
  EXPECT_EQ(o.at("submit after"), 1) << "apply_async after terminate(): mp::ValueError";
  EXPECT_EQ(o.at("pids after"), 0);
  EXPECT_EQ(o.at("children right after terminate"), 0) << "terminate() kills AND reaps every worker";
  EXPECT_LT(o.at("ms"), 3000) << "terminate() must kill the workers, not wait for their 20 s tasks";
}

TEST(MiniPool, TheDestructorLeavesNoWorker) {
  const auto left = in_student([] {
    {
      MiniPool pool(3);
      (void)pool.apply_async(sleep_ms, 20'000);
    }
    return !no_children_left();
  });
  EXPECT_FALSE(left) << "~MiniPool() must kill and reap every worker";
}

}  // namespace
