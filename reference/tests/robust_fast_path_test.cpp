// The robust mutex's own fast path (mp/detail/robust_fast_path.hpp): it is on
// here, it interoperates with glibc's functions on the same mutex, and a
// holder killed at each instant inside it leaves a mutex that the others get
// (with owner_died where the dead one held it), never one they wait on forever.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <thread>

#include <gtest/gtest.h>
#include <linux/futex.h>

#include "mp/detail/robust_fast_path.hpp"
#include "mp/detail/robust_mutex.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "test_support.hpp"

#if defined(__SANITIZE_THREAD__)
#define MP_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MP_TEST_TSAN 1
#endif
#endif

// ThreadSanitizer must see every lock through its pthread interceptors: the
// fast path is off there (robust_fast_path.hpp), and these tests say nothing.
#ifdef MP_TEST_TSAN
#define SKIP_WITHOUT_FAST_PATH() GTEST_SKIP() << "the fast path is off under ThreadSanitizer"
#else
#define SKIP_WITHOUT_FAST_PATH() (void)0
#endif

namespace {

using namespace std::chrono_literals;
using mp::detail::Acquire;
using mp::detail::RobustMutex;
using mp::detail::robust::Fast;
using mp::detail::robust::Step;
using mp::testing::require;
using mp::testing::scaled;

TEST(RobustFastPath, IsOnInEveryThreadAndAfterFork) {
  SKIP_WITHOUT_FAST_PATH();
  // glibc's layout is checked once per process; a glibc where it differs
  // runs correctly on glibc's own functions, but this test says so.
  ASSERT_TRUE(mp::detail::robust::fast_path_active())
      << "the layout check failed: every Lock goes through glibc";
  bool in_thread = false;
  std::thread([&] { in_thread = mp::detail::robust::fast_path_active(); }).join();
  EXPECT_TRUE(in_thread);
  mp::Process child([] {
    // A forked child has a new thread id: the fast path must use it.
    auto m = mp::detail::make_shared_object<RobustMutex>();
    require(mp::detail::robust::try_lock(m->native()) == Fast::done, 2);
    require((m->native()->__data.__lock & FUTEX_TID_MASK) == ::gettid(), 3);
    require(mp::detail::robust::unlock(m->native()) == Fast::done, 4);
  });
  child.start();
  mp::testing::expect_joined_ok(child);
}

TEST(RobustFastPath, GlibcAndTheFastPathShareOneMutex) {
  SKIP_WITHOUT_FAST_PATH();
  auto m = mp::detail::make_shared_object<RobustMutex>();
  pthread_mutex_t* n = m->native();
  ASSERT_EQ(mp::detail::robust::try_lock(n), Fast::done);
  EXPECT_EQ(::pthread_mutex_trylock(n), EDEADLK) << "glibc must see it held by this thread";
  ASSERT_EQ(::pthread_mutex_unlock(n), 0);
  ASSERT_EQ(m->lock(), Acquire::acquired);
  EXPECT_EQ(mp::detail::robust::try_lock(n), Fast::fallback) << "a relock goes to glibc (EDEADLK)";
  EXPECT_EQ(mp::detail::robust::unlock(n), Fast::done);
  EXPECT_EQ(mp::detail::robust::unlock(n), Fast::fallback) << "not held: glibc says EPERM";
  EXPECT_EQ(::pthread_mutex_unlock(n), EPERM);
}

// Stops the calling process at one instant of the fast path: raises SIGSTOP
// there, after saying so in shared memory; the test then kills it.
struct StopAt {
  Step where;
  std::atomic<int>* reached;
  void operator()(Step s) const noexcept {
    if (s != where) return;
    reached->store(1, std::memory_order_release);
    ::raise(SIGSTOP);
  }
};

struct Shared {
  RobustMutex mutex;
  std::atomic<int> reached{0};
};

bool holds_word(Step s) {
  return s != Step::lock_pending && s != Step::unlock_released;  // the word holds the victim's tid
}

class KilledInsideTheFastPath : public ::testing::TestWithParam<Step> {};

TEST_P(KilledInsideTheFastPath, TheWaiterGetsTheMutex) {
  SKIP_WITHOUT_FAST_PATH();
  const Step step = GetParam();
  auto shared = mp::detail::make_shared_object<Shared>();
  pthread_mutex_t* n = shared->mutex.native();
  const StopAt stop{step, &shared->reached};

  mp::Process victim([&] {
    const bool unlocking = step >= Step::unlock_pending;
    if (unlocking) require(mp::detail::robust::try_lock(n) == Fast::done, 2);
    if (unlocking)
      (void)mp::detail::robust::unlock(n, stop);
    else
      (void)mp::detail::robust::try_lock(n, stop);
    mp::exit(9);  // never reached the step
  });
  victim.start();
  ASSERT_TRUE(mp::testing::wait_until_stopped(*victim.pid())) << "the victim never reached its step";
  ASSERT_EQ(shared->reached.load(), 1);

  // Two waiters asleep on the mutex when the victim dies (where it holds the
  // word): one in glibc's lock, one in the fast path's own sleeping lock.
  // Exit codes: 10 a normal acquisition, 11 with owner_died.
  mp::Process by_glibc([&] {
    const Acquire got = shared->mutex.lock(mp::Deadline(mp::Timeout(scaled(10s))));
    require(got != Acquire::timed_out, 2);
    shared->mutex.unlock();
    mp::exit(got == Acquire::owner_died ? 11 : 10);
  });
  mp::Process by_fast_path([&] {
    Fast got = mp::detail::robust::try_lock(n);
    if (got == Fast::busy) got = mp::detail::robust::lock_contended(n, 50'000'000);
    Acquire how = Acquire::acquired;
    if (got == Fast::fallback)
      how = shared->mutex.lock(mp::Deadline(mp::Timeout(scaled(10s))));  // owner died
    require(how != Acquire::timed_out, 2);
    shared->mutex.unlock();
    mp::exit(how == Acquire::owner_died ? 11 : 10);
  });
  by_glibc.start();
  by_fast_path.start();
  if (holds_word(step)) {
    ASSERT_TRUE(mp::testing::wait_until_in_futex(*by_glibc.pid())) << "the glibc waiter never slept";
    ASSERT_TRUE(mp::testing::wait_until_in_futex(*by_fast_path.pid())) << "the fast-path waiter never slept";
  }
  victim.kill();
  ASSERT_TRUE(victim.join(scaled(5s)));
  ASSERT_TRUE(by_glibc.join(scaled(10s))) << "the glibc waiter was not woken after the holder's death";
  ASSERT_TRUE(by_fast_path.join(scaled(10s)))
      << "the fast-path waiter was not woken after the holder's death";
  const int died = (by_glibc.exitcode() == 11 ? 1 : 0) + (by_fast_path.exitcode() == 11 ? 1 : 0);
  const int normal = (by_glibc.exitcode() == 10 ? 1 : 0) + (by_fast_path.exitcode() == 10 ? 1 : 0);
  EXPECT_EQ(died, holds_word(step) ? 1 : 0) << "exactly the first waiter after a death learns of it";
  EXPECT_EQ(died + normal, 2) << "exit codes " << *by_glibc.exitcode() << " and " << *by_fast_path.exitcode();

  // And the mutex is whole: the fast path takes and gives it back here.
  EXPECT_EQ(mp::detail::robust::try_lock(n), Fast::done);
  EXPECT_EQ(mp::detail::robust::unlock(n), Fast::done);
}

INSTANTIATE_TEST_SUITE_P(EveryStep, KilledInsideTheFastPath,
                         ::testing::Values(Step::lock_pending, Step::lock_swapped, Step::lock_linked,
                                           Step::unlock_pending, Step::unlock_unlinked,
                                           Step::unlock_released),
                         [](const ::testing::TestParamInfo<Step>& param) {
                           switch (param.param) {
                             case Step::lock_pending: return "lock_pending";
                             case Step::lock_swapped: return "lock_swapped";
                             case Step::lock_linked: return "lock_linked";
                             case Step::unlock_pending: return "unlock_pending";
                             case Step::unlock_unlinked: return "unlock_unlinked";
                             case Step::unlock_released: return "unlock_released";
                           }
                           return "unknown";
                         });

// mp::Lock's own acquire and release use the fast path: a holder killed after
// lock() leaves owner_died() to the next one.
TEST(RobustFastPath, LockHolderKilledAfterPlainAcquire) {
  mp::Lock lock;
  auto held = mp::detail::make_shared_object<std::atomic<int>>(0);
  mp::Process holder([&] {
    lock.acquire();
    held->store(1);
    ::raise(SIGSTOP);
    mp::exit(9);
  });
  holder.start();
  ASSERT_TRUE(mp::testing::wait_until_stopped(*holder.pid()));
  ASSERT_EQ(held->load(), 1);
  holder.kill();
  ASSERT_TRUE(holder.join(scaled(5s)));
  ASSERT_TRUE(lock.acquire(true, scaled(5s)));
  EXPECT_TRUE(lock.owner_died());
  lock.release();
  lock.acquire();
  EXPECT_FALSE(lock.owner_died());
  lock.release();
}

}  // namespace
