// Tests of mp::Pool and mp::ThreadPool (component `pool`).
// Tasks sent to worker processes are plain functions (the only thing that can
// be sent); state they need is passed as arguments or made before the pool
// forks (globals below). Every wait has a deadline; nothing is ordered by
// sleeping (the sleeping tasks are workloads, not synchronisation).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <future>
#include <iterator>
#include <list>
#include <map>
#include <numeric>
#include <optional>
#include <ranges>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include "mp/barrier.hpp"
#include "mp/pool.hpp"
#include "pool_test_support.hpp"
#include "test_support.hpp"

// A user-defined exception type: it comes back from a worker process as
// mp::RemoteError carrying this name.
namespace pooltest {
struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace pooltest

namespace {

using namespace std::chrono_literals;
using namespace mp::testing;  // scaled, seconds_since, throws_with, the shared tasks
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- task functions

bool is_even(int x) { return x % 2 == 0; }
long long square_ll(int x) { return static_cast<long long>(x) * x; }
int add(int a, int b) { return a + b; }
int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));  // the workload itself
  return ms;
}
std::size_t length(const std::string& s) { return s.size(); }
std::string make_string(std::size_t n) { return std::string(n, 'x'); }
std::string greet(const std::string& name, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += "hello " + name + ";";
  return out;
}
void no_result(int /*unused*/) {}

[[noreturn]] void die(int how) {
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);  // a crash test must not spend time writing a core file
  if (how == 0) ::kill(::getpid(), SIGKILL);
  if (how == 1) ::raise(SIGSEGV);
  ::_exit(how);
}
int die_with(int how) { die(how); }
int crash_on_3(int x) {
  if (x == 3) die(0);
  return x * 10;
}

int thrower(int kind) {
  switch (kind) {
    case 0: throw std::runtime_error("runtime");
    case 1: throw std::invalid_argument("invalid");
    case 2: throw std::out_of_range("range");
    case 3: throw std::logic_error("logic");
    case 4: throw std::system_error(ENOENT, std::generic_category(), "open config");
    case 5: throw mp::ValueError("value");
    case 6: throw pooltest::ParseError("bad token at 7");
    case 7: throw 42;  // not a std::exception
    case 8: mp::exit(3);
    default: return kind;
  }
}
int fail_on_5(int x) {
  if (x == 5) throw std::domain_error("five");
  return x;
}

// Made before the pool forks, so that every worker shares it.
mp::Barrier* g_barrier = nullptr;
pid_t pid_after_barrier(int /*unused*/) {
  g_barrier->wait(scaled(5s));  // both tasks must be running at once: two workers
  return ::getpid();
}

int g_initialized = 0;  // in each worker: how often the initializer ran there
int initialized_count(int /*unused*/) { return g_initialized; }

// A range that can be read only once and whose size is unknown.
struct Numbers {
  std::istringstream* in;
  [[nodiscard]] std::istream_iterator<int> begin() const { return std::istream_iterator<int>(*in); }
  [[nodiscard]] std::istream_iterator<int> end() const { return {}; }
};

// Polls until the pool has `n` live workers (a replacement is forked by the
// pool's handler thread shortly after a death); false at the deadline.
bool wait_for_workers(const mp::Pool& pool, std::size_t n, std::chrono::milliseconds deadline = 5s) {
  const auto until = Clock::now() + scaled(deadline);
  while (pool.worker_pids().size() != n) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);  // polling the pool's state, not ordering
  }
  return true;
}

// What an imap iterator yields up to its end, going on past places that raise E.
struct Drained {
  std::vector<int> values;
  std::vector<std::size_t> raised_after;  // for each place that raised: how many values came before it
};
template <class E, class It>
Drained drain(It&& it) {
  Drained d;
  for (;;) {
    try {
      auto v = it.next(scaled(5s));
      if (!v) return d;
      d.values.push_back(*v);
    } catch (const E&) {
      d.raised_after.push_back(d.values.size());
    }
  }
}

// ---------------------------------------------------------------- basics (Python's examples)

TEST(Pool, MapSquaresAsInPythonDocs) {
  mp::Pool pool(5);
  EXPECT_EQ(pool.processes(), 5);
  EXPECT_EQ(pool.map(square, {1, 2, 3}), (std::vector<int>{1, 4, 9}));
}

TEST(Pool, MapKeepsInputOrder) {
  mp::Pool pool(4);
  std::vector<int> in(10);
  std::iota(in.begin(), in.end(), 0);
  EXPECT_EQ(pool.map(square, in), (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
  EXPECT_EQ(pool.map(square, in, 1), pool.map(square, in, 3));
  EXPECT_EQ(pool.map(is_even, {1, 2, 4}),
            (std::vector<bool>{false, true, true}));  // std::vector<bool> results
  const std::list<int> list(in.begin(), in.end());    // any range
  EXPECT_EQ(pool.map(square, list), pool.map(square, in));
  std::istringstream text("3 1 2");
  EXPECT_EQ(pool.map(square, Numbers{&text}), (std::vector<int>{9, 1, 4}));  // not sized: read once
}

TEST(Pool, ImapUnorderedYieldsTheSameMultiset) {
  mp::Pool pool(3);
  std::vector<int> in(100);
  std::iota(in.begin(), in.end(), -50);
  std::multiset<int> expected;
  for (int x : in) expected.insert(x * x);
  std::multiset<int> got;
  for (int v : pool.imap_unordered(square, in)) got.insert(v);
  EXPECT_EQ(got, expected);
  got.clear();
  for (int v : pool.imap_unordered(square, in, 7)) got.insert(v);
  EXPECT_EQ(got, expected);
}

TEST(Pool, ImapYieldsInInputOrder) {
  mp::Pool pool(3);
  std::vector<int> in(50);
  std::iota(in.begin(), in.end(), 0);
  for (std::size_t chunksize : {std::size_t{1}, std::size_t{4}, std::size_t{100}}) {
    auto it = pool.imap(square, in, chunksize);
    std::vector<int> got;
    while (auto v = it.next(scaled(5s))) got.push_back(*v);
    ASSERT_EQ(got.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) EXPECT_EQ(got[i], square(in[i]));
    EXPECT_FALSE(it.next(scaled(1s)).has_value());  // stays at the end
  }
  EXPECT_THROW((void)pool.imap(square, in, 0), mp::ValueError);
}

// 0..9, but reading item k throws (Python: a generator that raises).
Counting throwing_input(int k) {
  return Counting(0, 10, [k](int x) {
    if (x == k) throw std::range_error("input item " + std::to_string(x));
  });
}

TEST(Pool, ImapYieldsTheResultsBeforeAnInputThatThrows) {
  mp::Pool pool(2);
  for (std::size_t chunksize : {std::size_t{1}, std::size_t{3}}) {
    // Python: the results of the first k items, then next() raises the input's exception, then the end.
    const Drained d = drain<std::range_error>(pool.imap(square, throwing_input(4), chunksize));
    EXPECT_EQ(d.values, (std::vector<int>{0, 1, 4, 9})) << "chunksize " << chunksize;
    EXPECT_EQ(d.raised_after, (std::vector<std::size_t>{4})) << "chunksize " << chunksize;
    Drained u = drain<std::range_error>(pool.imap_unordered(square, throwing_input(4), chunksize));
    std::sort(u.values.begin(), u.values.end());
    EXPECT_EQ(u.values, (std::vector<int>{0, 1, 4, 9})) << "chunksize " << chunksize;
    EXPECT_EQ(u.raised_after.size(), 1U) << "chunksize " << chunksize;
  }
  const Drained first = drain<std::range_error>(pool.imap(square, throwing_input(0)));
  EXPECT_TRUE(first.values.empty());
  EXPECT_EQ(first.raised_after, (std::vector<std::size_t>{0}));
}

TEST(Pool, ImapReadsItsInputAsTheIterationAdvances) {
  mp::Pool pool(2);
  int reads = 0;  // the input is read in this process, by the thread that iterates
  const Counting counted(0, 20'000, [&reads](int /*item*/) { ++reads; });
  auto it = pool.imap(square, counted);
  EXPECT_LT(reads, 5'000) << "imap read (and submitted) its whole input before returning";
  for (int i = 0; i < 10; ++i) EXPECT_EQ(it.next(scaled(5s)), std::optional<int>(i * i));
  EXPECT_LT(reads, 5'000);
  int n = 10;
  while (auto v = it.next(scaled(5s))) {
    ASSERT_EQ(*v, n * n);
    ++n;
  }
  EXPECT_EQ(n, 20'000);
  EXPECT_EQ(reads, 20'000);
}

TEST(Pool, ImapOverAnEndlessInput) {
  mp::Pool pool(2);
  std::vector<int> got;
  for (int v : pool.imap_unordered(square, Counting(0))) {  // Python: imap over itertools.count()
    got.push_back(v);
    if (got.size() == 50) break;  // the iterator is abandoned: the input is read no further
  }
  EXPECT_EQ(got.size(), 50U);
  std::vector<int> ordered;
  for (int v : pool.imap(square, Counting(0), 7)) {
    ordered.push_back(v);
    if (ordered.size() == 20) break;
  }
  EXPECT_EQ(ordered[19], 19 * 19);
}

TEST(Pool, CloseLetsAnImapFinishItsInput) {
  mp::Pool pool(2);
  auto it = pool.imap(square, Counting(0, 3'000));
  pool.close();  // Python: the tasks of a pending imap still run, then the workers exit
  int n = 0;
  while (auto v = it.next(scaled(5s))) {
    ASSERT_EQ(*v, n * n);
    ++n;
  }
  EXPECT_EQ(n, 3'000);
  pool.join();
}

TEST(Pool, WorkerPidsIncludeAReplacementThatRanATask) {
  mp::Pool pool(1, {}, 2);  // each worker runs two tasks, then a fresh one replaces it
  for (int round = 0; round < 20; ++round) {
    const pid_t first = pool.apply(worker_pid, 0);  // the first task of a worker
    const std::vector<pid_t> pids = pool.worker_pids();
    EXPECT_NE(std::find(pids.begin(), pids.end(), first), pids.end())
        << "round " << round << ": worker " << first << " ran a task but is not in worker_pids()";
    EXPECT_EQ(pool.apply(worker_pid, 0), first);  // its second and last task
  }
}

TEST(Pool, ApplyAsyncGet) {
  mp::Pool pool(2);
  mp::AsyncResult<int> r = pool.apply_async(square, 20);
  EXPECT_EQ(r.get(scaled(1s)), 400);
  EXPECT_TRUE(r.ready());
  EXPECT_TRUE(r.successful());
  EXPECT_EQ(r.get(), 400);  // again: get() copies
  EXPECT_EQ(pool.apply(add, 2, 3), 5);
  EXPECT_EQ(pool.apply(greet, "bob", 2), "hello bob;hello bob;");  // const char* -> std::string parameter
  pool.apply(no_result, 1);                                        // void tasks
  mp::AsyncResult<void> v = pool.apply_async(no_result, 2);
  EXPECT_NO_THROW(v.get(scaled(5s)));
}

TEST(Pool, CapturelessLambdasAreSent) {
  mp::Pool pool(2);
  EXPECT_EQ(pool.apply([](int x) { return x + 1; }, 41), 42);
  EXPECT_EQ(pool.map([](const std::string& s) { return s.size(); }, std::vector<std::string>{"a", "bcd"}),
            (std::vector<std::size_t>{1, 3}));
}

TEST(Pool, GetTimeoutRaisesAfterTheTimeoutAndTerminateIsPrompt) {
  mp::Pool pool(2);
  mp::AsyncResult<int> r = pool.apply_async(sleep_ms, 10'000);
  auto t0 = Clock::now();
  EXPECT_THROW((void)r.get(1s), mp::TimeoutError);
  const double waited = seconds_since(t0);
  EXPECT_GE(waited, 1.0);
  EXPECT_LT(waited, 1.0 + scaled(2s).count() / 1000.0);
  EXPECT_FALSE(r.ready());
  EXPECT_THROW((void)r.successful(), mp::ValueError);  // not ready yet
  EXPECT_FALSE(r.wait(100ms));
  t0 = Clock::now();
  pool.terminate();
  EXPECT_LT(seconds_since(t0), scaled(1s).count() / 1000.0);
  EXPECT_THROW((void)r.get(scaled(1s)), mp::BrokenPool);  // never finished: not a hang
}

TEST(Pool, ApplyAsyncResultsComeFromSeveralWorkers) {
  mp::Barrier barrier(2);
  g_barrier = &barrier;  // before the fork: the workers share it
  mp::Pool pool(2);
  auto a = pool.apply_async(pid_after_barrier, 0);
  auto b = pool.apply_async(pid_after_barrier, 1);
  const pid_t pa = a.get(scaled(10s));
  const pid_t pb = b.get(scaled(10s));
  EXPECT_NE(pa, pb);
  EXPECT_NE(pa, ::getpid());
  const auto pids = pool.worker_pids();
  EXPECT_NE(std::find(pids.begin(), pids.end(), pa), pids.end());
  EXPECT_NE(std::find(pids.begin(), pids.end(), pb), pids.end());
  g_barrier = nullptr;
}

TEST(Pool, StarmapUnpacksTuples) {
  mp::Pool pool(2);
  const std::vector<std::pair<int, int>> pairs{{1, 2}, {3, 4}, {5, 6}};
  EXPECT_EQ(pool.starmap(add, pairs), (std::vector<int>{3, 7, 11}));
  const std::vector<std::tuple<std::string, int>> args{{"a", 1}, {"b", 2}};
  EXPECT_EQ(pool.starmap_async(greet, args).get(scaled(5s)),
            (std::vector<std::string>{"hello a;", "hello b;hello b;"}));
}

TEST(Pool, Map100kItems) {
  mp::Pool pool(2);
  std::vector<int> in(100'000);
  std::iota(in.begin(), in.end(), 0);
  const std::vector<long long> out = pool.map(square_ll, in);
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); i += 997) EXPECT_EQ(out[i], square_ll(in[i]));
  EXPECT_EQ(out.back(), 99'999LL * 99'999LL);
  // chunksize 1: one task message per item, through a ring that holds them all
  std::vector<int> small(20'000);
  std::iota(small.begin(), small.end(), 0);
  const auto out1 = pool.map(square_ll, small, 1);
  EXPECT_EQ(std::accumulate(out1.begin(), out1.end(), 0LL), 2'666'466'670'000LL);
}

TEST(Pool, EmptyInputs) {
  mp::Pool pool(2);
  EXPECT_TRUE(pool.map(square, std::vector<int>{}).empty());
  bool called = false;
  auto r = pool.map_async(square, std::vector<int>{}, 0,
                          mp::callback([&](const std::vector<int>& v) { called = v.empty(); }));
  EXPECT_TRUE(r.get(scaled(1s)).empty());
  EXPECT_TRUE(called);
  EXPECT_FALSE(pool.imap(square, std::vector<int>{}).next(scaled(1s)).has_value());
}

TEST(Pool, LargeArgumentsAndResultsAreStreamed) {
  mp::Pool pool(2);
  const std::string big(5 << 20, 'a');  // larger than the 2 MiB task ring
  EXPECT_EQ(pool.apply(length, big), big.size());
  EXPECT_EQ(pool.apply(make_string, std::size_t{5} << 20).size(),
            std::size_t{5} << 20);                   // larger than the result ring
  const std::vector<std::size_t> sizes(6, 700'000);  // each result over a quarter of the ring
  const auto strings = pool.map(make_string, sizes, 1);
  ASSERT_EQ(strings.size(), sizes.size());
  for (const auto& s : strings) EXPECT_EQ(s.size(), 700'000U);
}

// ---------------------------------------------------------------- exceptions

TEST(Pool, ExceptionsComeBackAsTheirStandardType) {
  mp::Pool pool(2);
  EXPECT_THROW((void)pool.apply(thrower, 0), std::runtime_error);
  EXPECT_THROW((void)pool.apply(thrower, 1), std::invalid_argument);
  EXPECT_THROW((void)pool.apply(thrower, 2), std::out_of_range);
  EXPECT_THROW((void)pool.apply(thrower, 3), std::logic_error);
  EXPECT_THROW((void)pool.apply(thrower, 5), mp::ValueError);
  try {
    (void)pool.apply(thrower, 1);
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "invalid");
    EXPECT_EQ(typeid(e), typeid(std::invalid_argument));  // exactly, not a subclass
  }
  try {
    (void)pool.apply(thrower, 4);
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("open config"), std::string::npos);
  }
  EXPECT_EQ(pool.apply(thrower, 99), 99);  // the worker lives on
}

TEST(Pool, OtherExceptionsBecomeRemoteErrorWithTypeAndMessage) {
  mp::Pool pool(1);
  try {
    (void)pool.apply(thrower, 6);
    ADD_FAILURE() << "no exception";
  } catch (const mp::RemoteError& e) {
    EXPECT_EQ(e.type_name(), "pooltest::ParseError");
    EXPECT_EQ(e.message(), "bad token at 7");
    EXPECT_NE(std::string(e.what()).find("pooltest::ParseError: bad token at 7"), std::string::npos);
  }
  EXPECT_THROW((void)pool.apply(thrower, 7), mp::RemoteError);  // `throw 42`
  try {
    (void)pool.apply(thrower, 8);  // mp::exit in a task
    ADD_FAILURE() << "no exception";
  } catch (const mp::RemoteError& e) {
    EXPECT_EQ(e.type_name(), "mp::SystemExit");
  }
  EXPECT_EQ(pool.apply(square, 3), 9);
}

TEST(Pool, MapRaisesTheFailingChunksException) {
  mp::Pool pool(2);
  std::vector<int> in(10);
  std::iota(in.begin(), in.end(), 0);
  EXPECT_THROW((void)pool.map(fail_on_5, in), std::domain_error);
  auto r = pool.map_async(fail_on_5, in, 1);
  EXPECT_TRUE(r.wait(scaled(5s)));
  EXPECT_FALSE(r.successful());
  // imap raises at the failing place only, and goes on after it
  const Drained d = drain<std::domain_error>(pool.imap(fail_on_5, in));
  EXPECT_EQ(d.raised_after, std::vector<std::size_t>{5});
  EXPECT_EQ(d.values, (std::vector<int>{0, 1, 2, 3, 4, 6, 7, 8, 9}));
}

TEST(Pool, CallbacksRunBeforeGetReturns) {
  mp::Pool pool(2);
  std::atomic<int> value{0};
  std::string error;
  auto r = pool.apply_async(square, 5, mp::callback([&](int v) { value = v; }));
  EXPECT_EQ(r.get(scaled(5s)), 25);
  EXPECT_EQ(value.load(), 25);  // Python: the callback runs before the result is ready
  auto e = pool.apply_async(thrower, 1, mp::callback([&](int) { value = -1; }),
                            mp::error_callback([&](const std::exception& x) { error = x.what(); }));
  EXPECT_TRUE(e.wait(scaled(5s)));
  EXPECT_EQ(error, "invalid");
  EXPECT_EQ(value.load(), 25);
  std::exception_ptr ep;
  auto e2 = pool.apply_async(thrower, 0, mp::error_callback([&](std::exception_ptr p) { ep = p; }));
  EXPECT_TRUE(e2.wait(scaled(5s)));
  EXPECT_THROW(std::rethrow_exception(ep), std::runtime_error);
  std::vector<int> all;
  auto m = pool.map_async(square, std::vector<int>{1, 2, 3}, 1,
                          mp::callback([&](const std::vector<int>& v) { all = v; }));
  EXPECT_TRUE(m.wait(scaled(5s)));
  EXPECT_EQ(all, (std::vector<int>{1, 4, 9}));
}

// ---------------------------------------------------------------- workers that die

TEST(Pool, WorkerKilledDuringApplyAsyncFailsOnlyThatTask) {
  mp::Pool pool(2);
  std::vector<mp::AsyncResult<int>> others;
  for (int i = 0; i < 20; ++i) others.push_back(pool.apply_async(square, i));
  auto doomed = pool.apply_async(die_with, 0);  // SIGKILL
  for (int i = 20; i < 40; ++i) others.push_back(pool.apply_async(square, i));
  const auto t0 = Clock::now();
  try {
    (void)doomed.get(scaled(5s));
    ADD_FAILURE() << "no exception";
  } catch (const mp::WorkerLost& e) {
    EXPECT_EQ(e.exitcode(), -SIGKILL);
    EXPECT_GT(e.pid(), 0);
    EXPECT_NE(std::string(e.what()).find("SIGKILL"), std::string::npos) << e.what();
  }
  EXPECT_LT(seconds_since(t0), scaled(1s).count() / 1000.0);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(others[static_cast<std::size_t>(i)].get(scaled(5s)), i * i);
  EXPECT_EQ(pool.apply(square, 7), 49);
  EXPECT_TRUE(wait_for_workers(pool, 2));  // replaced
}

TEST(Pool, WorkerCrashesAndExitsAreReported) {
  mp::Pool pool(2);
  try {
    (void)pool.apply(die_with, 1);  // SIGSEGV
    ADD_FAILURE() << "no exception";
  } catch (const mp::WorkerLost& e) {
    EXPECT_EQ(e.exitcode(), -SIGSEGV);
  }
  try {
    (void)pool.apply(die_with, 7);  // _exit(7)
    ADD_FAILURE() << "no exception";
  } catch (const mp::WorkerLost& e) {
    EXPECT_EQ(e.exitcode(), 7);
  }
  EXPECT_THROW((void)pool.apply(die_with, 0), mp::BrokenPool);  // WorkerLost is a BrokenPool
  EXPECT_EQ(pool.map(square, {1, 2, 3}), (std::vector<int>{1, 4, 9}));
}

TEST(Pool, WorkerKilledDuringMap) {
  mp::Pool pool(2);
  std::vector<int> in(10);
  std::iota(in.begin(), in.end(), 0);
  EXPECT_THROW((void)pool.map(crash_on_3, in, 1), mp::WorkerLost);
  // Every other task still completes: imap shows each place
  const Drained d = drain<mp::WorkerLost>(pool.imap(crash_on_3, in));
  EXPECT_EQ(d.raised_after.size(), 1U);
  EXPECT_EQ(d.values, (std::vector<int>{0, 10, 20, 40, 50, 60, 70, 80, 90}));
  EXPECT_EQ(pool.map(square, in).back(), 81);
}

TEST(Pool, IdleWorkerKilledFromOutsideIsReplaced) {
  mp::Pool pool(2);
  const auto before = pool.worker_pids();
  ASSERT_EQ(before.size(), 2U);
  ASSERT_EQ(::kill(before[0], SIGKILL), 0);
  const auto until = Clock::now() + scaled(5s);
  std::vector<pid_t> now = pool.worker_pids();
  while ((std::find(now.begin(), now.end(), before[0]) != now.end() || now.size() != 2) &&
         Clock::now() < until) {
    std::this_thread::sleep_for(1ms);  // polling the pool's state, not ordering
    now = pool.worker_pids();
  }
  EXPECT_EQ(std::find(now.begin(), now.end(), before[0]), now.end()) << "the dead worker was not replaced";
  EXPECT_EQ(now.size(), 2U);
  std::vector<int> in(100);
  std::iota(in.begin(), in.end(), 0);
  EXPECT_EQ(pool.map(square, in, 1).back(), 99 * 99);
}

// ---------------------------------------------------------------- lifetime

TEST(Pool, MaxTasksPerChildRecyclesWorkers) {
  mp::Pool pool(1, {}, 2);
  std::vector<pid_t> pids;
  for (int i = 0; i < 6; ++i) pids.push_back(pool.apply(worker_pid, i));
  EXPECT_EQ(pids[0], pids[1]);
  EXPECT_EQ(pids[2], pids[3]);
  EXPECT_EQ(pids[4], pids[5]);
  EXPECT_NE(pids[0], pids[2]);
  EXPECT_NE(pids[2], pids[4]);
  EXPECT_NE(pids[0], pids[4]);
}

TEST(Pool, InitializerRunsOncePerWorkerWithItsCaptures) {
  {
    mp::Pool pool(2, [] { ++g_initialized; });
    std::vector<int> in(20, 0);
    for (int n : pool.map(initialized_count, in, 1)) EXPECT_EQ(n, 1);
  }
  {
    mp::Pool pool(
        1, [] { ++g_initialized; }, 1);  // a fresh worker per task: each initialized once
    for (int i = 0; i < 3; ++i) EXPECT_EQ(pool.apply(initialized_count, 0), 1);
  }
  EXPECT_EQ(g_initialized, 0);                         // it ran in the workers, not here
  int base = 42;                                       // not const: a real capture
  mp::Pool pool(1, [base] { g_initialized = base; });  // captures are fine: it runs after the fork
  EXPECT_EQ(pool.apply(initialized_count, 0), 42);
}

TEST(Pool, InitializerThatThrowsBreaksThePool) {
  mp::Pool pool(2, [] { throw std::runtime_error("no database"); });
  EXPECT_TRUE(
      throws_with<mp::BrokenPool>([&] { (void)pool.apply_async(square, 2).get(scaled(5s)); }, "no database"));
  EXPECT_THROW((void)pool.apply_async(square, 2), mp::BrokenPool);
}

TEST(Pool, CloseThenJoinFinishesQueuedWork) {
  mp::Pool pool(2);
  std::vector<mp::AsyncResult<int>> rs;
  for (int i = 0; i < 50; ++i) rs.push_back(pool.apply_async(square, i));
  auto slow = pool.apply_async(sleep_ms, 50);
  std::atomic<int> callbacks{0};
  auto m = pool.map_async(square, std::vector<int>{1, 2}, 1,
                          mp::callback([&](const std::vector<int>&) { ++callbacks; }));
  pool.close();
  pool.join();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(rs[static_cast<std::size_t>(i)].ready());
    EXPECT_EQ(rs[static_cast<std::size_t>(i)].get(), i * i);
  }
  EXPECT_EQ(slow.get(scaled(1s)), 50);
  EXPECT_TRUE(m.ready());
  EXPECT_EQ(callbacks.load(), 1);  // join waited for the callbacks too
  EXPECT_TRUE(pool.worker_pids().empty());
}

TEST(Pool, UseAfterCloseIsAClearError) {
  mp::Pool pool(2);
  EXPECT_THROW(pool.join(), mp::ValueError);  // still running
  pool.close();
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { (void)pool.apply_async(square, 1); }, "not running"));
  EXPECT_THROW((void)pool.map(square, {1, 2}), mp::ValueError);
  EXPECT_THROW((void)pool.imap(square, std::vector<int>{1}), mp::ValueError);
  EXPECT_NO_THROW(pool.close());  // idempotent
  pool.join();
  pool.terminate();  // after join: nothing left to do
}

TEST(Pool, MoveAssignTerminatesTheOldPoolAndTakesTheOther) {
  mp::Pool a(1);
  mp::Pool b(1);
  const pid_t old_worker = a.apply(worker_pid, 0);
  const pid_t new_worker = b.apply(worker_pid, 0);
  a = std::move(b);
  EXPECT_EQ(a.apply(worker_pid, 0), new_worker);  // b's worker, now a's
  EXPECT_EQ(a.apply(square, 7), 49);
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { (void)b.apply(square, 1); },
                                          "moved from"));  // NOLINT(bugprone-use-after-move)
  // a's old worker was terminated: it goes away (reaped, so not even a zombie is left).
  const auto t0 = std::chrono::steady_clock::now();
  while (::kill(old_worker, 0) == 0 && seconds_since(t0) < scaled(5s).count() / 1000.0) {
    std::this_thread::yield();
  }
  EXPECT_NE(::kill(old_worker, 0), 0) << "the replaced pool's worker " << old_worker << " still runs";
}

TEST(Pool, TerminateFailsUnfinishedCalls) {
  mp::Pool pool(2);
  auto a = pool.apply_async(sleep_ms, 10'000);
  auto b = pool.apply_async(sleep_ms, 10'000);
  auto queued = pool.map_async(square, std::vector<int>{1, 2, 3});
  auto it = pool.imap(sleep_ms, std::vector<int>{10'000});
  const auto t0 = Clock::now();
  pool.terminate();
  EXPECT_LT(seconds_since(t0), scaled(1s).count() / 1000.0);
  EXPECT_THROW((void)a.get(scaled(1s)), mp::BrokenPool);
  EXPECT_THROW((void)queued.get(scaled(1s)), mp::BrokenPool);
  EXPECT_THROW((void)it.next(scaled(1s)), mp::BrokenPool);
  EXPECT_THROW((void)pool.apply_async(square, 1), mp::ValueError);
  EXPECT_TRUE(b.ready());
}

TEST(Pool, DestructorTerminatesPromptly) {
  mp::AsyncResult<int> r;
  const auto t0 = Clock::now();
  {
    mp::Pool pool(2);
    r = pool.apply_async(sleep_ms, 10'000);
  }  // Python's `with Pool() as p:` exit: terminate
  EXPECT_LT(seconds_since(t0), scaled(2s).count() / 1000.0);
  EXPECT_THROW((void)r.get(scaled(1s)), mp::BrokenPool);  // the handle outlives the pool
}

TEST(Pool, ManyThreadsShareOnePool) {
  mp::Pool pool(2);  // forked before any thread of the test
  std::atomic<long long> sum{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const int x = t * 1000 + i;
        if (pool.apply_async(square, x).get(scaled(10s)) != x * x) ++wrong;
        sum += x;
      }
      std::vector<int> in(100, t);
      const auto out = pool.map(square, in, 3);
      if (out != std::vector<int>(100, t * t)) ++wrong;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  long long expected = 0;
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 300; ++i) expected += t * 1000 + i;
  }
  EXPECT_EQ(sum.load(), expected);
}

TEST(Pool, ImapNextTimesOut) {
  mp::Pool pool(1);
  auto it = pool.imap(sleep_ms, std::vector<int>{10'000});
  const auto t0 = Clock::now();
  EXPECT_THROW((void)it.next(100ms), mp::TimeoutError);
  EXPECT_GE(seconds_since(t0), 0.1);
}

// ---------------------------------------------------------------- what can be sent (compile time)

TEST(Pool, OnlyFunctionPointersAndCapturelessLambdasCanBeSent) {
  int captured = 1;
  auto capturing = [captured](int x) { return x + captured; };
  auto captureless = [](int x) { return x; };
  auto generic = [](auto x) { return x; };
  static_assert(mp::detail::Sendable<decltype(&square)>);
  static_assert(mp::detail::Sendable<decltype(captureless)>);
  static_assert(!mp::detail::Sendable<decltype(capturing)>);  // pool.map(capturing, ...) does not compile
  static_assert(!mp::detail::Sendable<decltype(generic)>);    // no single function pointer
  static_assert(!mp::detail::Sendable<std::function<int(int)>>);
  static_assert(mp::detail::param_ok_v<const std::string&>);
  static_assert(!mp::detail::param_ok_v<int&>);              // changes would not come back
  static_assert(!mp::detail::param_ok_v<const char*>);       // points into this process
  static_assert(!mp::detail::param_ok_v<std::string_view>);  // likewise
  EXPECT_EQ(capturing(1), 2);
  EXPECT_EQ(generic(1), 1);
}

// ---------------------------------------------------------------- ThreadPool

TEST(ThreadPool, SameApiWithAnyCallable) {
  mp::ThreadPool pool(3);
  EXPECT_EQ(pool.processes(), 3);
  int offset = 100;  // not const: a real capture
  EXPECT_EQ(pool.map([offset](int x) { return x + offset; }, {1, 2, 3}), (std::vector<int>{101, 102, 103}));
  std::function<int(int, int)> f = [](int a, int b) { return a * b; };
  EXPECT_EQ(pool.apply(f, 6, 7), 42);
  EXPECT_EQ(pool.apply_async(square, 9).get(scaled(5s)), 81);
  std::multiset<int> got;
  for (int v : pool.imap_unordered([](int x) { return -x; }, std::vector<int>{1, 2, 3})) got.insert(v);
  EXPECT_EQ(got, (std::multiset<int>{-1, -2, -3}));
  EXPECT_EQ(
      pool.starmap([](int a, int b) { return a - b; }, std::vector<std::pair<int, int>>{{5, 1}, {9, 3}}),
      (std::vector<int>{4, 6}));
  pool.close();
  pool.join();
}

TEST(ThreadPool, ImapIsLazyAndStopsAtAnInputThatThrows) {
  mp::ThreadPool pool(2);
  const Drained d = drain<std::range_error>(pool.imap([](int x) { return x * x; }, throwing_input(3), 2));
  EXPECT_EQ(d.values, (std::vector<int>{0, 1, 4}));
  EXPECT_EQ(d.raised_after, (std::vector<std::size_t>{3}));
  int reads = 0;
  const Counting counted(0, 20'000, [&reads](int /*item*/) { ++reads; });
  auto it = pool.imap_unordered([](int x) { return x; }, counted);
  EXPECT_LT(reads, 5'000) << "imap_unordered read its whole input before returning";
  long long sum = 0;
  while (auto v = it.next(scaled(5s))) sum += *v;
  EXPECT_EQ(sum, 19'999LL * 20'000 / 2);
  auto rest = pool.imap([](int x) { return x; }, Counting(0, 3'000));
  pool.close();
  int n = 0;
  while (auto v = rest.next(scaled(5s))) EXPECT_EQ(*v, n++);
  EXPECT_EQ(n, 3'000);
  pool.join();
}

TEST(ThreadPool, ExceptionsAreTheOriginalObjects) {
  mp::ThreadPool pool(2);
  EXPECT_THROW((void)pool.apply(thrower, 6), pooltest::ParseError);  // no RemoteError: no process boundary
  EXPECT_THROW((void)pool.map(fail_on_5, {1, 5, 7}), std::domain_error);
  int cb = 0;
  auto r = pool.apply_async(square, 4, mp::callback([&](int v) { cb = v; }));
  EXPECT_EQ(r.get(scaled(5s)), 16);
  EXPECT_EQ(cb, 16);
}

TEST(ThreadPool, TerminateDropsQueuedTasksAndWaitsForRunningOnes) {
  std::promise<void> release;  // declared first: they must outlive the pool's threads
  std::promise<void> started;
  mp::ThreadPool pool(1);
  std::shared_future<void> gate = release.get_future().share();
  auto running = pool.apply_async([gate, &started] {
    started.set_value();
    (void)gate.wait_for(std::chrono::seconds(30));
    return 1;
  });
  auto queued = pool.apply_async(square, 3);
  ASSERT_EQ(started.get_future().wait_for(scaled(5s)), std::future_status::ready);
  std::thread terminator([&] { pool.terminate(); });
  EXPECT_THROW((void)queued.get(scaled(5s)), mp::BrokenPool);  // dropped at once
  release.set_value();
  terminator.join();
  EXPECT_EQ(running.get(scaled(5s)), 1);  // threads cannot be killed: it finished
}

TEST(ThreadPool, InitializerRunsInEachThread) {
  std::atomic<int> inits{0};
  {
    mp::ThreadPool pool(3, [&] { ++inits; });
    EXPECT_EQ(pool.map(square, {1, 2, 3, 4}, 1).size(), 4U);
  }
  EXPECT_EQ(inits.load(), 3);
  mp::ThreadPool broken(2, [] { throw std::runtime_error("no gpu"); });
  EXPECT_THROW((void)broken.apply_async(square, 1).get(scaled(5s)), mp::BrokenPool);
}

}  // namespace
