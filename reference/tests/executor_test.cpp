// Tests of mp::ThreadPoolExecutor, mp::ProcessPoolExecutor, mp::Future,
// mp::as_completed and mp::wait (component `pool`, suite `executor`).
// Completion order is controlled with gates (promises for threads, mp::Event
// made before the fork for processes); every wait has a deadline.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mp/event.hpp"
#include "mp/executor.hpp"
#include "mp/value.hpp"
#include "pool_test_support.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using namespace mp::testing;  // scaled, seconds_since, throws_with, the shared tasks
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- task functions (processes)

int fail_if_negative(int x) {
  if (x < 0) throw std::invalid_argument("negative: " + std::to_string(x));
  return x;
}
// Made before the executor forks: the gates its tasks wait at.
mp::Event* g_gate = nullptr;
mp::Event* g_kill_gate = nullptr;
int wait_gate(int x) {
  if (!g_gate->wait(scaled(10s))) throw std::runtime_error("gate not opened in time");
  return x;
}
mp::Value<int>* g_runs = nullptr;  // tasks of count_run that ran, in any worker
int count_run(int x) {
  std::lock_guard lock(*g_runs);
  ++g_runs->get_obj();
  return x;
}
int die_at_gate(int /*unused*/) {
  if (!g_kill_gate->wait(scaled(10s))) throw std::runtime_error("kill gate not opened in time");
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::kill(::getpid(), SIGKILL);
  return 0;
}

// A gate for thread tasks: a shared_future that the test opens.
struct Gate {
  std::promise<void> promise;
  std::shared_future<void> future = promise.get_future().share();
  void open() { promise.set_value(); }
  void wait() const { (void)future.wait_for(std::chrono::seconds(30)); }
};

// What a map iterator yields up to its end, going on past places that raise E.
struct Drained {
  std::vector<int> values;
  std::size_t raised = 0;
};
template <class E, class It>
Drained drain(It& it) {
  Drained d;
  for (;;) {
    try {
      auto v = it.next(scaled(5s));
      if (!v) return d;
      d.values.push_back(*v);
    } catch (const E&) {
      ++d.raised;
    }
  }
}

// ---------------------------------------------------------------- ThreadPoolExecutor

TEST(ThreadPoolExecutor, SubmitResultAndExceptions) {
  mp::ThreadPoolExecutor ex(2);
  EXPECT_EQ(ex.max_workers(), 2);
  const std::string suffix = "!";
  mp::Future<std::string> f = ex.submit([suffix](const std::string& s) { return s + suffix; }, "hi");
  EXPECT_EQ(f.result(scaled(5s)), "hi!");
  EXPECT_TRUE(f.done());
  EXPECT_FALSE(f.cancelled());
  EXPECT_EQ(f.exception(), nullptr);
  auto bad = ex.submit(fail_if_negative, -3);
  EXPECT_THROW((void)bad.result(scaled(5s)), std::invalid_argument);
  EXPECT_THROW(std::rethrow_exception(bad.exception()), std::invalid_argument);
  mp::Future<void> v = ex.submit([] {});
  EXPECT_NO_THROW(v.result(scaled(5s)));
}

TEST(ThreadPoolExecutor, ResultTimesOut) {
  Gate gate;  // declared first: it must outlive the executor's threads
  mp::ThreadPoolExecutor ex(1);
  auto f = ex.submit([&gate] {
    gate.wait();
    return 1;
  });
  const auto t0 = Clock::now();
  EXPECT_THROW((void)f.result(100ms), mp::TimeoutError);
  EXPECT_GE(seconds_since(t0), 0.1);
  EXPECT_THROW((void)f.exception(10ms), mp::TimeoutError);
  gate.open();
  EXPECT_EQ(f.result(scaled(5s)), 1);
}

TEST(ThreadPoolExecutor, MapInOrderWithOverallTimeout) {
  Gate gate;  // declared first: it must outlive the executor's threads
  mp::ThreadPoolExecutor ex(3);
  std::vector<int> in{5, 1, 4, 2, 3};
  std::vector<int> got;
  for (int v : ex.map(square, in)) got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{25, 1, 16, 4, 9}));
  auto it = ex.map(
      [&gate](int x) {
        gate.wait();
        return x;
      },
      std::vector<int>{1}, 100ms);
  EXPECT_THROW((void)it.next(), mp::TimeoutError);  // the map's own timeout applies to next()
  gate.open();
}

TEST(ThreadPoolExecutor, CancelPendingFuture) {
  Gate gate;  // declared first: they must outlive the executor's threads
  std::promise<void> started;
  mp::ThreadPoolExecutor ex(1);
  auto running = ex.submit([&gate, &started] {
    started.set_value();
    gate.wait();
    return 1;
  });
  auto pending = ex.submit(square, 3);
  ASSERT_EQ(started.get_future().wait_for(scaled(5s)), std::future_status::ready);
  EXPECT_TRUE(running.running());
  EXPECT_FALSE(running.cancel());  // it runs
  EXPECT_FALSE(pending.running());
  std::atomic<int> callbacks{0};
  pending.add_done_callback([&](const mp::Future<int>& f) { callbacks += f.cancelled() ? 1 : 100; });
  EXPECT_TRUE(pending.cancel());
  EXPECT_EQ(callbacks.load(), 1);  // run by cancel(), in this thread
  EXPECT_TRUE(pending.cancel());   // cancelling again: still true
  EXPECT_TRUE(pending.cancelled());
  EXPECT_TRUE(pending.done());
  EXPECT_THROW((void)pending.result(), mp::CancelledError);
  EXPECT_THROW((void)pending.exception(), mp::CancelledError);
  gate.open();
  EXPECT_EQ(running.result(scaled(5s)), 1);
  EXPECT_FALSE(running.cancel());  // finished
}

TEST(ThreadPoolExecutor, DoneCallbacks) {
  std::promise<int> from_callback;  // declared first: it must outlive the executor's threads
  mp::ThreadPoolExecutor ex(2);
  auto f = ex.submit(square, 4);
  ASSERT_EQ(f.result(scaled(5s)), 16);
  int seen = 0;
  f.add_done_callback([&](const mp::Future<int>& g) { seen = g.result(); });  // already done: runs now
  EXPECT_EQ(seen, 16);
  auto g = ex.submit(square, 5);
  g.add_done_callback([&](const mp::Future<int>& h) { from_callback.set_value(h.result()); });
  auto fut = from_callback.get_future();
  ASSERT_EQ(fut.wait_for(scaled(5s)), std::future_status::ready);
  EXPECT_EQ(fut.get(), 25);
}

TEST(ThreadPoolExecutor, ShutdownCancelsPendingAndRefusesNewWork) {
  Gate gate;
  std::promise<void> started;
  auto ex = std::make_unique<mp::ThreadPoolExecutor>(1);
  auto running = ex->submit([&gate, &started] {
    started.set_value();
    gate.wait();
    return 1;
  });
  std::vector<mp::Future<int>> pending;
  for (int i = 0; i < 5; ++i) pending.push_back(ex->submit(square, i));
  ASSERT_EQ(started.get_future().wait_for(scaled(5s)), std::future_status::ready);
  ex->shutdown(false, true);  // no wait, cancel pending
  for (auto& f : pending) EXPECT_TRUE(f.cancelled());
  EXPECT_THROW((void)ex->submit(square, 1), mp::ValueError);
  gate.open();
  ex.reset();  // the destructor waits for the running task
  EXPECT_TRUE(running.done());
  EXPECT_EQ(running.result(), 1);
}

TEST(ThreadPoolExecutor, AbandonedMapAndShutdownCancelPendingMapItems) {
  std::atomic<int> runs{0};  // declared first: they must outlive the executor's threads
  Gate gate;
  std::promise<void> started;
  mp::ThreadPoolExecutor ex(1);
  auto blocker = ex.submit([&gate, &started] {
    started.set_value();
    gate.wait();
    return 0;
  });
  ASSERT_EQ(started.get_future().wait_for(scaled(5s)), std::future_status::ready);
  const auto counted = [&runs](int x) {
    ++runs;
    return x;
  };
  {
    auto abandoned = ex.map(counted, std::vector<int>{1, 2, 3, 4, 5});
    (void)abandoned;
  }  // Python: closing the map's generator cancels the futures not yet running
  auto it = ex.map(counted, std::vector<int>{6, 7, 8});
  ex.shutdown(false, true);  // cancel_futures: the map's pending items too
  gate.open();
  EXPECT_EQ(blocker.result(scaled(5s)), 0);
  const Drained d = drain<mp::CancelledError>(it);
  EXPECT_TRUE(d.values.empty());
  EXPECT_EQ(d.raised, 3U);
  ex.shutdown(true);
  EXPECT_EQ(runs.load(), 0) << "cancelled map items ran";
}

TEST(ThreadPoolExecutor, StartsThreadsOnDemandAndReusesIdleOnes) {
  std::atomic<int> started{0};  // declared first: it must outlive the executors' threads
  {
    mp::ThreadPoolExecutor unused(4, [&] { ++started; });
  }
  EXPECT_EQ(started.load(), 0) << "Python starts no thread before the first submit";
  {
    mp::ThreadPoolExecutor ex(4, [&] { ++started; });
    for (int i = 0; i < 20; ++i) EXPECT_EQ(ex.submit(square, i).result(scaled(5s)), i * i);
    ex.shutdown(true);
    EXPECT_EQ(started.load(), 1) << "one task at a time: the idle thread is reused";
  }
  started = 0;
  Gate gate;
  std::mutex m;
  std::condition_variable cv;
  int running = 0;
  mp::ThreadPoolExecutor ex(3, [&] { ++started; });
  std::vector<mp::Future<int>> fs;
  for (int i = 0; i < 5; ++i) {
    fs.push_back(ex.submit([&, i] {
      {
        std::lock_guard lk(m);
        ++running;
      }
      cv.notify_all();
      gate.wait();
      return i;
    }));
  }
  {
    std::unique_lock lk(m);
    ASSERT_TRUE(cv.wait_for(lk, scaled(5s), [&] { return running == 3; }));
  }
  EXPECT_EQ(started.load(), 3) << "at most max_workers threads";
  gate.open();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(fs[static_cast<std::size_t>(i)].result(scaled(5s)), i);
  ex.shutdown(true);
  EXPECT_EQ(started.load(), 3);
}

TEST(ThreadPoolExecutor, InitializerFailureBreaksIt) {
  mp::ThreadPoolExecutor ex(2, [] { throw std::runtime_error("no config"); });
  EXPECT_TRUE(
      throws_with<mp::BrokenPool>([&] { (void)ex.submit(square, 2).result(scaled(5s)); }, "no config"));
}

// ---------------------------------------------------------------- as_completed / wait

TEST(AsCompleted, YieldsInCompletionOrder) {
  Gate gates[3];  // declared first: they must outlive the executor's threads
  mp::ThreadPoolExecutor ex(4);
  std::vector<mp::Future<int>> fs;
  for (int i = 0; i < 3; ++i) {
    fs.push_back(ex.submit([&gates, i] {
      gates[i].wait();
      return i;
    }));
  }
  auto done_now = ex.submit(square, 7);
  ASSERT_EQ(done_now.result(scaled(5s)), 49);
  fs.push_back(done_now);
  fs.push_back(done_now);  // duplicates are yielded once, as Python's set
  std::vector<int> order;
  auto completed = mp::as_completed(fs, scaled(10s));
  auto next = completed.next();  // the one already done comes first
  ASSERT_TRUE(next);
  order.push_back(next->result());
  gates[2].open();
  next = completed.next();
  ASSERT_TRUE(next);
  order.push_back(next->result());
  gates[0].open();
  next = completed.next();
  ASSERT_TRUE(next);
  order.push_back(next->result());
  gates[1].open();
  for (auto& f : completed) order.push_back(f.result());  // the rest, range-for
  EXPECT_EQ(order, (std::vector<int>{49, 2, 0, 1}));
}

TEST(AsCompleted, RaisesTimeoutWhenSomeAreUnfinished) {
  Gate gate;  // declared first: it must outlive the executor's threads
  mp::ThreadPoolExecutor ex(2);
  std::vector<mp::Future<int>> fs{ex.submit(square, 2), ex.submit([&gate] {
                                    gate.wait();
                                    return 0;
                                  })};
  int yielded = 0;
  const auto t0 = Clock::now();
  EXPECT_TRUE(throws_with<mp::TimeoutError>(
      [&] {
        for (auto& f : mp::as_completed(fs, 200ms)) {
          EXPECT_EQ(f.result(), 4);
          ++yielded;
        }
      },
      "1 (of 2) futures unfinished"));
  EXPECT_EQ(yielded, 1);
  EXPECT_GE(seconds_since(t0), 0.2);
  gate.open();
}

TEST(Wait, FirstCompletedFirstExceptionAllCompleted) {
  Gate slow;  // declared first: they must outlive the executor's threads
  Gate fail_gate;
  mp::ThreadPoolExecutor ex(4);
  auto quick = ex.submit(square, 3);
  auto blocked = ex.submit([&slow] {
    slow.wait();
    return 1;
  });
  auto failing = ex.submit([&fail_gate]() -> int {
    fail_gate.wait();
    throw std::runtime_error("boom");
  });
  const std::vector<mp::Future<int>> fs{quick, blocked, failing};

  auto r1 = mp::wait(fs, scaled(5s), mp::FIRST_COMPLETED);
  ASSERT_EQ(r1.done.size(), 1U);
  EXPECT_TRUE(r1.done[0] == quick);
  EXPECT_EQ(r1.not_done.size(), 2U);

  const auto t0 = Clock::now();
  auto r2 = mp::wait(fs, 100ms, mp::ALL_COMPLETED);  // times out: no exception, just the split
  EXPECT_GE(seconds_since(t0), 0.1);
  EXPECT_EQ(r2.done.size(), 1U);
  EXPECT_EQ(r2.not_done.size(), 2U);

  fail_gate.open();
  auto r3 = mp::wait(fs, scaled(5s), mp::FIRST_EXCEPTION);
  EXPECT_EQ(r3.done.size(), 2U);
  ASSERT_EQ(r3.not_done.size(), 1U);
  EXPECT_TRUE(r3.not_done[0] == blocked);

  slow.open();
  auto r4 = mp::wait(fs, scaled(5s));  // ALL_COMPLETED by default
  EXPECT_EQ(r4.done.size(), 3U);
  EXPECT_TRUE(r4.not_done.empty());
}

// ---------------------------------------------------------------- ProcessPoolExecutor

TEST(ProcessPoolExecutor, SubmitMapAndAsCompleted) {
  mp::ProcessPoolExecutor ex(2);
  EXPECT_EQ(ex.max_workers(), 2);
  std::vector<mp::Future<int>> fs;
  for (int i = 0; i < 10; ++i) fs.push_back(ex.submit(square, i));
  std::multiset<int> got;
  for (auto& f : mp::as_completed(fs, scaled(10s))) got.insert(f.result());
  EXPECT_EQ(got, (std::multiset<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
  std::vector<int> in{3, 1, 2};
  std::vector<int> mapped;
  for (int v : ex.map(square, in, scaled(10s), 2)) mapped.push_back(v);
  EXPECT_EQ(mapped, (std::vector<int>{9, 1, 4}));
  EXPECT_THROW((void)ex.submit(fail_if_negative, -1).result(scaled(5s)), std::invalid_argument);
  auto r = mp::wait(fs, scaled(5s), mp::ALL_COMPLETED);
  EXPECT_EQ(r.done.size(), 10U);
}

TEST(ProcessPoolExecutor, CancelPendingFuture) {
  mp::Event gate;
  g_gate = &gate;  // before the fork
  mp::ProcessPoolExecutor ex(1);
  auto first = ex.submit(wait_gate, 1);
  auto second = ex.submit(wait_gate, 2);  // handed over too: max_workers + 1 are "running"
  auto third = ex.submit(wait_gate, 3);   // pending
  std::vector<mp::Future<int>> later;
  for (int i = 4; i < 8; ++i) later.push_back(ex.submit(wait_gate, i));
  EXPECT_TRUE(first.running());
  EXPECT_TRUE(second.running());
  EXPECT_FALSE(second.cancel());
  EXPECT_TRUE(third.cancel());
  EXPECT_TRUE(third.cancelled());
  EXPECT_THROW((void)third.result(), mp::CancelledError);
  gate.set();
  EXPECT_EQ(first.result(scaled(10s)), 1);
  EXPECT_EQ(second.result(scaled(10s)), 2);
  for (std::size_t i = 0; i < later.size(); ++i)
    EXPECT_EQ(later[i].result(scaled(10s)), static_cast<int>(i) + 4);
  g_gate = nullptr;
}

TEST(ProcessPoolExecutor, DeadWorkerBreaksTheExecutor) {
  mp::Event gate;
  mp::Event kill_gate;
  g_gate = &gate;
  g_kill_gate = &kill_gate;
  mp::ProcessPoolExecutor ex(2);
  std::vector<mp::Future<int>> waiting{ex.submit(wait_gate, 0)};           // one worker waits at the gate
  auto killer = ex.submit(die_at_gate, 0);                                 // the other will die
  for (int i = 1; i < 5; ++i) waiting.push_back(ex.submit(wait_gate, i));  // handed over, or pending
  const auto t0 = Clock::now();
  kill_gate.set();
  EXPECT_THROW((void)killer.result(scaled(10s)), mp::BrokenProcessPool);
  for (auto& f : waiting) EXPECT_THROW((void)f.result(scaled(5s)), mp::BrokenProcessPool);
  EXPECT_LT(seconds_since(t0), scaled(2s).count() / 1000.0);
  EXPECT_THROW((void)ex.submit(square, 1), mp::BrokenProcessPool);
  EXPECT_THROW((void)ex.submit(square, 1), mp::BrokenPool);  // a BrokenPool too
  gate.set();
  g_gate = nullptr;
  g_kill_gate = nullptr;
}

TEST(ProcessPoolExecutor, AbandonedMapAndShutdownCancelPendingMapItems) {
  mp::Event gate;
  mp::Value<int> runs(0);
  g_gate = &gate;  // before the fork
  g_runs = &runs;
  mp::ProcessPoolExecutor ex(1);  // max_workers + 1 = 2 tasks are handed over at a time
  auto blocker = ex.submit(wait_gate, 0);
  {
    auto abandoned = ex.map(count_run, std::vector<int>{1, 2, 3, 4, 5});  // item 1 is handed over
    (void)abandoned;
  }  // Python: closing the map's generator cancels the futures not yet running
  auto it = ex.map(count_run, std::vector<int>{6, 7, 8});  // all pending
  ex.shutdown(false, true);                                // cancel_futures: the map's pending items too
  gate.set();
  EXPECT_EQ(blocker.result(scaled(10s)), 0);
  const Drained d = drain<mp::CancelledError>(it);
  EXPECT_TRUE(d.values.empty());
  EXPECT_EQ(d.raised, 3U);
  ex.shutdown(true);
  EXPECT_EQ(runs.value(), 1) << "only the map item already handed over may run";
  g_gate = nullptr;
  g_runs = nullptr;
}

TEST(ProcessPoolExecutor, WorkerPidsIncludeAReplacementThatRanATask) {
  mp::ProcessPoolExecutor ex(1, nullptr, 2);
  for (int round = 0; round < 20; ++round) {
    const pid_t first = ex.submit(worker_pid, 0).result(scaled(5s));  // a fresh worker's first task
    const std::vector<pid_t> pids = ex.worker_pids();
    EXPECT_NE(std::find(pids.begin(), pids.end(), first), pids.end())
        << "round " << round << ": worker " << first << " ran a task but is not in worker_pids()";
    EXPECT_EQ(ex.submit(worker_pid, 0).result(scaled(5s)), first);
  }
}

TEST(ProcessPoolExecutor, InitializerFailureBreaksIt) {
  mp::ProcessPoolExecutor ex(2, [] { throw std::runtime_error("bad env"); });
  EXPECT_TRUE(
      throws_with<mp::BrokenProcessPool>([&] { (void)ex.submit(square, 2).result(scaled(5s)); }, "bad env"));
}

TEST(ProcessPoolExecutor, MaxTasksPerChildAndShutdown) {
  auto ex = std::make_unique<mp::ProcessPoolExecutor>(1, nullptr, 1);
  std::set<pid_t> pids;
  for (int i = 0; i < 3; ++i) pids.insert(ex->submit(worker_pid, i).result(scaled(5s)));
  EXPECT_EQ(pids.size(), 3U);  // a fresh worker per task
  std::vector<mp::Future<int>> fs;
  for (int i = 0; i < 20; ++i) fs.push_back(ex->submit(square, i));
  ex->shutdown(true);  // waits for all of them
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(fs[static_cast<std::size_t>(i)].done());
    EXPECT_EQ(fs[static_cast<std::size_t>(i)].result(), i * i);
  }
  EXPECT_THROW((void)ex->submit(square, 1), mp::ValueError);
  EXPECT_TRUE(ex->worker_pids().empty());
}

TEST(ProcessPoolExecutor, DoneCallbackRunsOnce) {
  std::atomic<int> calls{0};  // declared first: they must outlive the executor's threads
  std::promise<int> seen;
  mp::ProcessPoolExecutor ex(2);
  auto f = ex.submit(square, 6);
  f.add_done_callback([&](const mp::Future<int>& g) {
    if (++calls == 1) seen.set_value(g.result());
  });
  EXPECT_EQ(f.result(scaled(5s)), 36);
  auto fut = seen.get_future();
  ASSERT_EQ(fut.wait_for(scaled(5s)), std::future_status::ready);
  EXPECT_EQ(fut.get(), 36);
  ex.shutdown(true);
  EXPECT_EQ(calls.load(), 1);
}

}  // namespace
