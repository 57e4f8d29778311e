// Tests of the process-shared synchronisation primitives: Lock, RLock,
// Semaphore, BoundedSemaphore, Event, Condition, Barrier.
//
// Children report through their exit codes (mp::exit(code) on a failed check);
// shared data lives in make_shared_object mappings. Every wait has a deadline,
// so a broken primitive fails a test instead of hanging it.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "mp/barrier.hpp"
#include "mp/condition.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/error.hpp"
#include "mp/event.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/semaphore.hpp"
#include "test_support.hpp"

// Some tests release locks they do not hold on purpose (the runtime must turn
// that into mp::ValueError / mp::Error). ThreadSanitizer reports each such
// pthread_mutex_unlock as misuse, and a report makes every later forked child
// exit with code 66; this keeps those deliberate ones quiet in this binary only.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MP_SYNC_TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) && !defined(MP_SYNC_TEST_TSAN)
#define MP_SYNC_TEST_TSAN 1
#endif
#ifdef MP_SYNC_TEST_TSAN
extern "C" const char* __tsan_default_suppressions() {
  return "mutex:mp::BasicLock::release\nmutex:mp::detail::RobustMutex::unlock\n";
}
#endif

using namespace std::chrono_literals;
using mp::testing::exit_zero_if_throws;
using mp::testing::require;
using mp::testing::scaled;
using mp::testing::throws_with;
using Clock = std::chrono::steady_clock;

namespace {

std::chrono::milliseconds long_wait() { return scaled(5s); }

// Starts every process, joins every one within the deadline, and expects exit code 0.
void run_all(std::vector<mp::Process>& procs) {
  for (auto& p : procs) p.start();
  for (auto& p : procs) {
    ASSERT_TRUE(p.join(scaled(10s))) << p.name() << " did not finish";
    EXPECT_EQ(p.exitcode(), 0) << p.name();
  }
}

// Milliseconds a call took.
template <class F>
std::chrono::milliseconds timed(F&& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
}

// ---------------------------------------------------------------------------
// Lock
// ---------------------------------------------------------------------------

// Python's example: processes print under a Lock and lines never interleave.
// Each child writes its line in four write(2) calls to a file opened with
// O_APPEND; without mutual exclusion the pieces of different lines could mix.
class LockPrintTest : public ::testing::TestWithParam<bool> {};

TEST_P(LockPrintTest, TenProcessesWriteWholeLines) {
  const bool use_guard = GetParam();
  char path[] = "/tmp/mp_sync_test_XXXXXX";
  const int created = ::mkstemp(path);
  ASSERT_GE(created, 0);
  ::close(created);
  const int fd = ::open(path, O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);

  mp::Lock lock;
  auto write_line = [&](int i) {
    const std::string parts[] = {"hello", " world", " " + std::to_string(i), "\n"};
    for (const auto& part : parts)
      require(::write(fd, part.data(), part.size()) == static_cast<ssize_t>(part.size()), 2);
  };
  std::vector<mp::Process> procs;
  for (int i = 0; i < 10; ++i)
    procs.emplace_back([&, i] {
      if (use_guard) {
        std::lock_guard guard(lock);
        write_line(i);
      } else {
        lock.acquire();
        write_line(i);
        lock.release();
      }
    });
  run_all(procs);
  ::close(fd);

  std::FILE* in = std::fopen(path, "r");
  ASSERT_NE(in, nullptr);
  std::string text;
  for (int c; (c = std::fgetc(in)) != EOF;) text += static_cast<char>(c);
  std::fclose(in);
  ::unlink(path);

  std::istringstream lines(text);
  std::multiset<int> seen;
  for (std::string line; std::getline(lines, line);) {
    ASSERT_EQ(line.rfind("hello world ", 0), 0u) << "interleaved line: '" << line << "'";
    seen.insert(std::stoi(line.substr(12)));
    EXPECT_EQ(line, "hello world " + line.substr(12));
  }
  EXPECT_EQ(seen, (std::multiset<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

INSTANTIATE_TEST_SUITE_P(AcquireRelease, LockPrintTest, ::testing::Values(false));
INSTANTIATE_TEST_SUITE_P(LockGuard, LockPrintTest, ::testing::Values(true));

TEST(LockTest, FourProcessesIncrementExactly) {
  struct Counter {
    long value = 0;
  };
  auto counter = mp::detail::make_shared_object<Counter>();
  mp::Lock lock;
  constexpr int processes = 4;
  constexpr int increments = 10'000;
  std::vector<mp::Process> procs;
  for (int p = 0; p < processes; ++p)
    procs.emplace_back([&] {
      for (int i = 0; i < increments; ++i) {
        std::lock_guard guard(lock);
        const long v = counter->value;  // a read-modify-write that races without the lock
        counter->value = v + 1;
      }
    });
  run_all(procs);
  EXPECT_EQ(counter->value, long{processes} * increments);
}

// Joins `p` within the deadline and checks its exit code.
::testing::AssertionResult ends_with(mp::Process& p, int code) {
  if (!p.join(long_wait())) return ::testing::AssertionFailure() << p.name() << " did not end";
  const auto got = p.exitcode();
  if (got == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << p.name() << " ended with exit code " << (got ? std::to_string(*got) : "none") << ", not " << code;
}

// A child that takes the lock (`depth` times), says so, then holds it until
// let_go() or until kill(). Not copyable: the child uses the events in it.
class HeldByChild {
public:
  template <class AnyLock>
  explicit HeldByChild(AnyLock& lock, int depth = 1)
      : child_([&lock, this, depth] {
          for (int i = 0; i < depth; ++i) require(lock.acquire(true, long_wait()), 2);
          holding_.set();
          require(release_.wait(scaled(10s)), 3);
          for (int i = 0; i < depth; ++i) lock.release();
        }) {}
  HeldByChild(const HeldByChild&) = delete;
  HeldByChild& operator=(const HeldByChild&) = delete;

  // Starts the child; success once it holds the lock.
  ::testing::AssertionResult start() {
    child_.start();
    if (holding_.wait(long_wait())) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "the child did not take the lock in time";
  }
  // SIGKILLs the child while it holds the lock, and reaps it.
  ::testing::AssertionResult kill() {
    child_.kill();
    return ends_with(child_, -9);
  }
  // Lets the child release the lock and end normally.
  ::testing::AssertionResult let_go() {
    release_.set();
    return ends_with(child_, 0);
  }

private:
  mp::Event holding_;
  mp::Event release_;
  mp::Process child_;
};

// Takes `lock` (bounded) and releases it: success when owner_died() said
// `owner_died` in between.
template <class AnyLock>
::testing::AssertionResult acquire_release(AnyLock& lock, bool owner_died) {
  if (!lock.acquire(true, long_wait())) return ::testing::AssertionFailure() << "not acquired in time";
  const bool died = lock.owner_died();
  lock.release();
  if (died == owner_died) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "owner_died() was " << died;
}

template <class AnyLock>
class OwnerDeathTest : public ::testing::Test {};
using LockTypes = ::testing::Types<mp::Lock, mp::RLock>;
TYPED_TEST_SUITE(OwnerDeathTest, LockTypes);

TYPED_TEST(OwnerDeathTest, ChildKilledWhileHoldingDoesNotBlockOthers) {
  TypeParam lock;
  HeldByChild holder(lock, std::is_same_v<TypeParam, mp::RLock> ? 2 : 1);  // an RLock held twice
  ASSERT_TRUE(holder.start());
  EXPECT_FALSE(lock.try_lock());  // really held by the child

  // A second child already queued for the lock (or about to be): whatever the
  // order, it must get the lock after the holder's death and learn about it.
  mp::Process waiter([&] {
    require(lock.acquire(true, long_wait()), 2);
    require(lock.owner_died(), 3);
    lock.release();
  });
  waiter.start();
  ASSERT_TRUE(holder.kill());
  ASSERT_TRUE(ends_with(waiter, 0));

  // The waiter released normally: the next acquisition is a normal one.
  ASSERT_TRUE(acquire_release(lock, false));
}

TYPED_TEST(OwnerDeathTest, ParentAcquiresAfterHolderKilled) {
  TypeParam lock;
  HeldByChild holder(lock);
  ASSERT_TRUE(holder.start());
  ASSERT_TRUE(holder.kill());

  ASSERT_TRUE(acquire_release(lock, true));
  ASSERT_TRUE(acquire_release(lock, false)) << "owner_died() must clear after a normal acquisition";
}

TEST(LockTest, HeldElsewhereNonBlockingAndTimedAcquireFail) {
  mp::Lock lock;
  HeldByChild holder(lock);
  ASSERT_TRUE(holder.start());

  bool got = true;
  EXPECT_LT(timed([&] { got = lock.acquire(false); }), scaled(100ms));
  EXPECT_FALSE(got);
  EXPECT_FALSE(lock.try_lock());
  const auto waited = timed([&] { got = lock.acquire(true, 100ms); });
  EXPECT_FALSE(got);
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, scaled(1s));

  // Only the holder may release: the parent cannot (Python's Lock would let it).
  EXPECT_THROW(lock.release(), mp::ValueError);

  ASSERT_TRUE(holder.let_go());
  ASSERT_TRUE(acquire_release(lock, false));
}

TEST(LockTest, RelockInSameThreadRaisesInsteadOfDeadlocking) {
  mp::Lock lock;
  lock.lock();
  EXPECT_THROW(lock.lock(), mp::Error);
  EXPECT_THROW((void)lock.acquire(true, 50ms), mp::Error);
  EXPECT_FALSE(lock.acquire(false));  // Python's acquire(False) just answers no
  EXPECT_FALSE(lock.try_lock());
  lock.unlock();  // still held exactly once
  EXPECT_THROW(lock.unlock(), mp::ValueError);
}

TEST(LockTest, ReleaseOfUnheldLockRaisesValueError) {
  mp::Lock lock;
  EXPECT_THROW(lock.release(), mp::ValueError);
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { lock.release(); }, "release unlocked lock"));
  // Still usable afterwards.
  EXPECT_TRUE(lock.try_lock());
  lock.release();
}

TEST(LockTest, CopiesShareOneLockAndWorkWithScopedLock) {
  mp::Lock a;
  mp::Lock b = a;  // same lock
  mp::Lock other;
  {
    std::scoped_lock both(a, other);
    mp::Process p([&] { mp::exit(b.try_lock() || other.try_lock() ? 1 : 0); });
    p.start();
    ASSERT_TRUE(p.join(long_wait()));
    EXPECT_EQ(p.exitcode(), 0);
  }
  EXPECT_TRUE(b.try_lock());
  b.unlock();
}

// ---------------------------------------------------------------------------
// RLock
// ---------------------------------------------------------------------------

TEST(RLockTest, OwnerMayReacquireAndMustReleaseAsOften) {
  mp::RLock rlock;
  auto other_process_gets_it = [&] {
    mp::Process p([&] {
      const bool got = rlock.acquire(false);
      if (got) rlock.release();
      mp::exit(got ? 1 : 0);
    });
    p.start();
    EXPECT_TRUE(p.join(long_wait()));
    return p.exitcode() == 1;
  };

  ASSERT_TRUE(rlock.acquire());
  ASSERT_TRUE(rlock.acquire(true, 10ms));
  ASSERT_TRUE(rlock.try_lock());
  EXPECT_FALSE(other_process_gets_it());
  rlock.release();
  rlock.release();
  EXPECT_FALSE(other_process_gets_it());  // still held once
  rlock.release();
  EXPECT_TRUE(other_process_gets_it());
  EXPECT_THROW(rlock.release(), mp::ValueError);
  {
    std::lock_guard outer(rlock);
    std::lock_guard inner(rlock);
  }
  EXPECT_TRUE(other_process_gets_it());
}

// ---------------------------------------------------------------------------
// Semaphore, BoundedSemaphore
// ---------------------------------------------------------------------------

TEST(SemaphoreTest, CountsDownAndTimesOutAtZero) {
  mp::Semaphore sem(3);
  EXPECT_EQ(sem.get_value(), 3);
  EXPECT_TRUE(sem.acquire());
  EXPECT_TRUE(sem.acquire(true, 10ms));
  EXPECT_TRUE(sem.acquire(false));
  EXPECT_EQ(sem.get_value(), 0);
  EXPECT_FALSE(sem.acquire(false));
  EXPECT_FALSE(sem.try_lock());
  bool got = true;
  const auto waited = timed([&] { got = sem.acquire(true, 100ms); });
  EXPECT_FALSE(got);
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, scaled(1s));
  sem.release(2);
  EXPECT_EQ(sem.get_value(), 2);
  sem.release(5);  // an unbounded semaphore may go above its initial value
  EXPECT_EQ(sem.get_value(), 7);
}

TEST(SemaphoreTest, ReleaseInChildWakesWaitingParent) {
  mp::Semaphore sem(0);
  mp::Process p([&] { sem.release(); });
  p.start();
  EXPECT_TRUE(sem.acquire(true, long_wait()));
  ASSERT_TRUE(p.join(long_wait()));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(sem.get_value(), 0);
}

TEST(SemaphoreTest, AdmitsAtMostItsValueAtOnce) {
  struct Stats {
    std::atomic<int> inside{0};
    std::atomic<int> max_inside{0};
    std::atomic<int> entries{0};
  };
  auto stats = mp::detail::make_shared_object<Stats>();
  mp::Semaphore slots(2);
  std::vector<mp::Process> procs;
  for (int p = 0; p < 6; ++p)
    procs.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        require(slots.acquire(true, long_wait()), 2);
        const int now = stats->inside.fetch_add(1) + 1;
        int seen = stats->max_inside.load();
        while (now > seen && !stats->max_inside.compare_exchange_weak(seen, now)) {
        }
        stats->entries.fetch_add(1);
        stats->inside.fetch_sub(1);
        slots.release();
      }
    });
  run_all(procs);
  EXPECT_EQ(stats->entries.load(), 6 * 200);
  EXPECT_LE(stats->max_inside.load(), 2);
  EXPECT_GE(stats->max_inside.load(), 1);
  EXPECT_EQ(slots.get_value(), 2);
}

TEST(SemaphoreTest, MisuseRaisesValueError) {
  EXPECT_THROW(mp::Semaphore(-1), mp::ValueError);
  mp::Semaphore sem(1);
  EXPECT_THROW(sem.release(0), mp::ValueError);
  EXPECT_EQ(sem.get_value(), 1);
}

TEST(BoundedSemaphoreTest, ReleasePastInitialValueRaises) {
  mp::BoundedSemaphore sem(2);
  EXPECT_THROW(sem.release(), mp::ValueError);
  EXPECT_EQ(sem.get_value(), 2);
  ASSERT_TRUE(sem.acquire(false));
  ASSERT_TRUE(sem.acquire(false));
  EXPECT_THROW(sem.release(3), mp::ValueError);
  EXPECT_EQ(sem.get_value(), 0) << "a refused release(n) must release nothing";
  sem.release(2);
  EXPECT_EQ(sem.get_value(), 2);
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { sem.release(); }, "released too many times"));
  // The bound is in the shared state: it holds through a Semaphore& and in a child.
  mp::Semaphore& base = sem;
  EXPECT_THROW(base.release(), mp::ValueError);
  mp::Process p([&] { exit_zero_if_throws<mp::ValueError>([&] { sem.release(); }); });
  p.start();
  ASSERT_TRUE(p.join(long_wait()));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_THROW(mp::BoundedSemaphore(0).release(), mp::ValueError);
}

TEST(BoundedSemaphoreTest, ConcurrentReleasesNeverPassTheBound) {
  // 4 children each try 50 releases on a full BoundedSemaphore(3) that the
  // parent drained: exactly 3 releases may succeed in total.
  struct Counts {
    std::atomic<int> ok{0};
    std::atomic<int> refused{0};
  };
  auto counts = mp::detail::make_shared_object<Counts>();
  mp::BoundedSemaphore sem(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sem.acquire(false));
  std::vector<mp::Process> procs;
  for (int p = 0; p < 4; ++p)
    procs.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        try {
          sem.release();
          counts->ok.fetch_add(1);
        } catch (const mp::ValueError&) {
          counts->refused.fetch_add(1);
        }
      }
    });
  run_all(procs);
  EXPECT_EQ(counts->ok.load(), 3);
  EXPECT_EQ(counts->refused.load(), 4 * 50 - 3);
  EXPECT_EQ(sem.get_value(), 3);
}

// ---------------------------------------------------------------------------
// Event
// ---------------------------------------------------------------------------

TEST(EventTest, SetInChildWakesWaitingParent) {
  mp::Event event;
  EXPECT_FALSE(event.is_set());
  mp::Process p([&] { event.set(); });
  p.start();
  EXPECT_TRUE(event.wait(long_wait()));
  EXPECT_TRUE(event.is_set());
  ASSERT_TRUE(p.join(long_wait()));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_TRUE(event.wait(0ms)) << "a set event answers at once";
  event.clear();
  EXPECT_FALSE(event.is_set());
}

TEST(EventTest, WaitTimesOutWithFalse) {
  mp::Event event;
  bool got = true;
  const auto waited = timed([&] { got = event.wait(100ms); });
  EXPECT_FALSE(got);
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, scaled(1s));
  EXPECT_FALSE(event.wait(0ms));
}

TEST(EventTest, SetWakesEveryWaitingChild) {
  mp::Event go;
  std::vector<mp::Process> procs;
  for (int p = 0; p < 5; ++p) procs.emplace_back([&] { require(go.wait(long_wait()), 2); });
  for (auto& p : procs) p.start();
  go.set();
  for (auto& p : procs) {
    ASSERT_TRUE(p.join(scaled(10s)));
    EXPECT_EQ(p.exitcode(), 0);
  }
  // Set and cleared again before anyone waits: later waiters do not see it.
  go.clear();
  EXPECT_FALSE(go.wait(10ms));
}

// ---------------------------------------------------------------------------
// Condition
// ---------------------------------------------------------------------------

TEST(ConditionTest, ProducerConsumerAcrossProcessesWithWaitFor) {
  // A one-slot buffer guarded by one Lock, with two Conditions over it.
  struct Slot {
    bool full = false;
    int value = 0;
    long consumed_sum = 0;
    int consumed = 0;
  };
  auto slot = mp::detail::make_shared_object<Slot>();
  mp::Lock lock;
  mp::Condition not_empty(lock);
  mp::Condition not_full(lock);
  constexpr int consumers = 3;
  constexpr int per_consumer = 200;
  constexpr int items = consumers * per_consumer;

  std::vector<mp::Process> procs;
  for (int c = 0; c < consumers; ++c)
    procs.emplace_back([&] {
      for (int k = 0; k < per_consumer; ++k) {
        std::lock_guard guard(not_empty);
        require(not_empty.wait_for([&] { return slot->full; }, long_wait()), 2);
        slot->consumed_sum += slot->value;
        ++slot->consumed;
        slot->full = false;
        not_full.notify();
      }
    });
  for (auto& p : procs) p.start();
  for (int v = 1; v <= items; ++v) {
    std::lock_guard guard(not_full);
    ASSERT_TRUE(not_full.wait_for([&] { return !slot->full; }, long_wait())) << "item " << v;
    slot->value = v;
    slot->full = true;
    not_empty.notify();
  }
  for (auto& p : procs) {
    ASSERT_TRUE(p.join(scaled(10s)));
    EXPECT_EQ(p.exitcode(), 0);
  }
  EXPECT_EQ(slot->consumed, items);
  EXPECT_EQ(slot->consumed_sum, long{items} * (items + 1) / 2);
  EXPECT_FALSE(slot->full);
}

TEST(ConditionTest, NotifyAllWakesEveryWaitingChild) {
  struct Shared {
    int waiting = 0;
    bool go = false;
  };
  auto shared = mp::detail::make_shared_object<Shared>();
  mp::Condition cond;
  constexpr int children = 5;
  std::vector<mp::Process> procs;
  for (int c = 0; c < children; ++c)
    procs.emplace_back([&] {
      std::lock_guard guard(cond);
      ++shared->waiting;
      cond.notify_all();  // tell the parent; we keep the lock until we wait
      require(cond.wait_for([&] { return shared->go; }, long_wait()), 2);
    });
  for (auto& p : procs) p.start();
  {
    std::lock_guard guard(cond);
    // Each child counts itself and goes to wait without dropping the lock in
    // between, so when we see them all, all of them are waiting.
    ASSERT_TRUE(cond.wait_for([&] { return shared->waiting == children; }, long_wait()));
    shared->go = true;
    cond.notify_all();
  }
  for (auto& p : procs) {
    ASSERT_TRUE(p.join(scaled(10s)));
    EXPECT_EQ(p.exitcode(), 0) << "a waiting child was not woken by notify_all";
  }
}

TEST(ConditionTest, WaitTimesOutWithFalseAndHoldsTheLockAgain) {
  mp::Condition cond;
  cond.acquire();
  bool notified = true;
  const auto waited = timed([&] { notified = cond.wait(100ms); });
  EXPECT_FALSE(notified);
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, scaled(1s));
  EXPECT_NO_THROW(cond.release());  // we held it again
}

TEST(ConditionTest, WaitForReturnsThePredicatesLastValue) {
  mp::Condition cond;
  std::lock_guard guard(cond);
  int calls = 0;
  EXPECT_EQ(cond.wait_for([&] { return ++calls; }, 0ms), 1) << "already true: no wait";
  EXPECT_EQ(calls, 1);
  bool result = true;
  const auto waited = timed([&] { result = cond.wait_for([] { return false; }, 100ms); });
  EXPECT_FALSE(result);
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, scaled(1s));
  EXPECT_EQ(cond.wait_for([] { return 0; }, 0ms), 0);
}

TEST(ConditionTest, WaitOrNotifyWithoutTheLockRaises) {
  mp::Condition cond;
  EXPECT_THROW(cond.wait(10ms), mp::Error);
  EXPECT_THROW((void)cond.wait_for([] { return false; }, 10ms), mp::Error);
  EXPECT_THROW(cond.notify(), mp::Error);
  EXPECT_THROW(cond.notify_all(), mp::Error);
  EXPECT_TRUE(cond.try_lock()) << "a refused notify must leave the lock free";
  EXPECT_NO_THROW(cond.notify(0));
  EXPECT_THROW(cond.notify(-1), mp::ValueError);
  cond.release();

  // Held by another process is not held by us either.
  mp::Lock lock;
  mp::Condition shared(lock);
  HeldByChild holder(lock);
  ASSERT_TRUE(holder.start());
  EXPECT_THROW(shared.notify(), mp::Error);
  ASSERT_TRUE(holder.let_go());
}

// A waiter killed in wait() must not disturb later waits and notifies (with
// glibc's pthread_cond_t in shared memory, it does: the next waiter hangs).
TEST(ConditionTest, WaiterKilledInWaitLeavesConditionUsable) {
  struct Shared {
    int waiting = 0;
    int round = 0;
    int acked = 0;
  };
  auto shared = mp::detail::make_shared_object<Shared>();
  mp::Condition cond;
  mp::Process doomed([&] {
    std::lock_guard guard(cond);
    ++shared->waiting;
    cond.notify_all();
    (void)cond.wait_for([] { return false; }, scaled(10s));
  });
  doomed.start();
  {
    std::lock_guard guard(cond);
    ASSERT_TRUE(cond.wait_for([&] { return shared->waiting == 1; }, long_wait()));
  }  // the doomed child is now sleeping in wait()
  doomed.kill();
  ASSERT_TRUE(doomed.join(long_wait()));

  constexpr int rounds = 5;
  mp::Process partner([&] {
    for (int r = 1; r <= rounds; ++r) {
      std::lock_guard guard(cond);
      require(cond.wait_for([&] { return shared->round == r; }, long_wait()), 2);
      shared->acked = r;
      cond.notify();
    }
  });
  partner.start();
  for (int r = 1; r <= rounds; ++r) {
    std::lock_guard guard(cond);
    shared->round = r;
    cond.notify();
    ASSERT_TRUE(cond.wait_for([&] { return shared->acked == r; }, long_wait())) << "round " << r;
  }
  ASSERT_TRUE(partner.join(long_wait()));
  EXPECT_EQ(partner.exitcode(), 0);
}

TEST(ConditionTest, HolderKilledIsReportedThroughOwnerDied) {
  mp::Lock lock;
  mp::Condition cond(lock);
  HeldByChild holder(lock);
  ASSERT_TRUE(holder.start());
  ASSERT_TRUE(holder.kill());
  ASSERT_TRUE(cond.acquire(true, long_wait()));
  EXPECT_TRUE(cond.owner_died());
  EXPECT_FALSE(cond.wait(1ms));
  EXPECT_FALSE(cond.owner_died()) << "re-acquired normally at the end of wait()";
  cond.release();
}

// ---------------------------------------------------------------------------
// Barrier
// ---------------------------------------------------------------------------

TEST(BarrierTest, FourProcessesThreeGenerations) {
  constexpr int parties = 4;
  constexpr int rounds = 3;
  struct Record {
    std::atomic<int> arrived[rounds];
    std::atomic<int> actions{0};
    int index[rounds][parties];
  };
  auto rec = mp::detail::make_shared_object<Record>();
  for (auto& a : rec->arrived) a.store(0);
  mp::Barrier barrier(parties, [&] { rec->actions.fetch_add(1); });
  EXPECT_EQ(barrier.parties(), parties);

  std::vector<mp::Process> procs;
  for (int w = 0; w < parties; ++w)
    procs.emplace_back([&, w] {
      for (int r = 0; r < rounds; ++r) {
        rec->arrived[r].fetch_add(1);
        rec->index[r][w] = barrier.wait(long_wait());
        // Nobody leaves round r before everyone has arrived in it.
        require(rec->arrived[r].load() == parties, 2);
        require(rec->actions.load() == r + 1, 3);
      }
    });
  run_all(procs);
  for (int r = 0; r < rounds; ++r) {
    std::vector<int> got(rec->index[r], rec->index[r] + parties);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3})) << "round " << r;
  }
  EXPECT_EQ(rec->actions.load(), rounds);
  EXPECT_FALSE(barrier.broken());
  EXPECT_EQ(barrier.n_waiting(), 0);
}

TEST(BarrierTest, TimeoutBreaksItForEveryWaiter) {
  mp::Barrier barrier(3);
  mp::Process other(
      [&] { exit_zero_if_throws<mp::BrokenBarrierError>([&] { (void)barrier.wait(long_wait()); }); });
  other.start();
  // Two of three parties arrive: the parent's short timeout breaks the barrier
  // and the child, waiting or arriving later, raises too.
  const auto waited = timed([&] { EXPECT_THROW((void)barrier.wait(100ms), mp::BrokenBarrierError); });
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, scaled(1s));
  ASSERT_TRUE(other.join(long_wait()));
  EXPECT_EQ(other.exitcode(), 0);
  EXPECT_TRUE(barrier.broken());
  EXPECT_THROW((void)barrier.wait(long_wait()), mp::BrokenBarrierError);

  // reset() makes it usable again.
  barrier.reset();
  EXPECT_FALSE(barrier.broken());
  std::vector<mp::Process> procs;
  for (int i = 0; i < 2; ++i) procs.emplace_back([&] { (void)barrier.wait(long_wait()); });
  for (auto& p : procs) p.start();
  const int index = barrier.wait(long_wait());
  EXPECT_GE(index, 0);
  EXPECT_LT(index, 3);
  for (auto& p : procs) {
    ASSERT_TRUE(p.join(long_wait()));
    EXPECT_EQ(p.exitcode(), 0);
  }
}

TEST(BarrierTest, AbortBreaksWaitersAndLaterWaits) {
  mp::Barrier barrier(2);
  mp::Event started;
  mp::Process waiter([&] {
    started.set();
    exit_zero_if_throws<mp::BrokenBarrierError>([&] { (void)barrier.wait(long_wait()); });
  });
  waiter.start();
  ASSERT_TRUE(started.wait(long_wait()));
  barrier.abort();
  ASSERT_TRUE(waiter.join(long_wait()));
  EXPECT_EQ(waiter.exitcode(), 0);
  EXPECT_TRUE(barrier.broken());
  EXPECT_LT(timed([&] { EXPECT_THROW((void)barrier.wait(), mp::BrokenBarrierError); }), scaled(1s));
  barrier.reset();
  EXPECT_FALSE(barrier.broken());
}

TEST(BarrierTest, DefaultTimeoutAndSingleParty) {
  EXPECT_THROW(mp::Barrier(0), mp::ValueError);
  mp::Barrier alone(1);
  EXPECT_EQ(alone.wait(), 0);
  EXPECT_EQ(alone.wait(), 0);

  mp::Barrier with_default(2, nullptr, 100ms);
  const auto waited = timed([&] { EXPECT_THROW((void)with_default.wait(), mp::BrokenBarrierError); });
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, scaled(1s));
}

TEST(BarrierTest, ThrowingActionBreaksTheBarrier) {
  mp::Barrier barrier(1, [] { throw std::runtime_error("action failed"); });
  EXPECT_THROW((void)barrier.wait(), std::runtime_error);
  EXPECT_TRUE(barrier.broken());
  EXPECT_THROW((void)barrier.wait(), mp::BrokenBarrierError);
}

}  // namespace
