// Fault tests (component `fault`): a process is stopped inside a critical
// window of the runtime, then SIGKILLed there, and the survivors must go on
// within a deadline. The victim stops itself at a named fault point
// (mp/detail/fault_point.hpp; raise(SIGSTOP) where the test says) or is
// caught asleep at a known place, so every test is deterministic: no sleep
// orders anything, every wait has a deadline.
//
// Each test failed on the runtime before issue 9's fixes: the survivor slept
// until its own timeout or forever.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <string>

#include <gtest/gtest.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mp/barrier.hpp"
#include "mp/condition.hpp"
#include "mp/detail/fault_point.hpp"
#include "mp/detail/robust_mutex.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/event.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::exit_zero_if_throws;
using mp::testing::expect_joined_ok;
using mp::testing::kill_stopped;
using mp::testing::require;
using mp::testing::scaled;
using mp::testing::start;
using mp::testing::wait_until;
using mp::testing::wait_until_in_futex;
using mp::testing::wait_until_sleeping;

// The fault point at which this process stops itself: set only in the child
// that is to be stopped (see mp::detail::fault_point below).
const char* g_stop_at = nullptr;

void kill_at(const char* where, auto body) { mp::testing::kill_at(g_stop_at, where, body); }

// ---------------------------------------------------------------- defect 1: the robust mutex

// Sleeps on a robust mutex's futex word exactly as glibc's pthread_mutex_lock
// does (sets the waiters bit, then FUTEX_WAIT on the shared futex), and
// returns once woken, without taking the lock: a waiter that an unlock() woke
// and that is killed before it takes the lock and sets the waiters bit again.
bool sleep_as_a_woken_waiter(pthread_mutex_t* m) {
  auto* word = reinterpret_cast<std::atomic<int>*>(&m->__data.__lock);
  for (;;) {
    int seen = word->load();
    if ((seen & FUTEX_TID_MASK) == 0) return false;  // nobody holds it: nothing to wait for
    if ((seen & FUTEX_WAITERS) == 0 && !word->compare_exchange_strong(seen, seen | FUTEX_WAITERS)) continue;
    const long rc = ::syscall(SYS_futex, word, FUTEX_WAIT, seen | FUTEX_WAITERS, nullptr, nullptr, 0);
    if (rc == 0) return true;  // woken by the unlock
    if (errno != EAGAIN && errno != EINTR) return false;
  }
}

// The scenario of issue 9, defect 1, on any robust-mutex-based lock: the
// parent holds it; a waiter V queues on its futex first, a survivor S second;
// the parent unlocks, which wakes V only; V is killed before it passes the
// wake on. S must still get the lock.
template <class Lockable>
void woken_waiter_killed(Lockable& lock, pthread_mutex_t* native) {
  lock.lock();
  mp::Process victim([&] {
    require(sleep_as_a_woken_waiter(native), 2);
    ::raise(SIGSTOP);  // woken: stop here, to be killed
    mp::exit(3);
  });
  victim.start();
  ASSERT_TRUE(wait_until_in_futex(*victim.pid()));
  mp::Process survivor([&] {
    lock.lock();
    lock.unlock();
  });
  survivor.start();
  ASSERT_TRUE(wait_until_in_futex(*survivor.pid()));  // queued behind the victim
  lock.unlock();                                      // wakes the victim, first in the queue
  kill_stopped(victim);
  expect_joined_ok(survivor, 5s);  // before the fix: asleep forever, the lock free
  lock.lock();                     // and the lock works on
  lock.unlock();
}

// The fault tests reach the mutex inside mp::Lock (a friend of BasicLock).
}  // namespace

struct mp::detail::TestAccess {
  static pthread_mutex_t* native(mp::BasicLock& lock) { return lock.state_->mutex.native(); }
};

namespace {

TEST(RobustMutexFault, AWokenWaiterKilledLeavesNoSleeperBehind) {
  struct Adapter {  // the mechanism itself, as Condition, Event, Barrier and Queue use it
    mp::detail::RobustMutex& m;
    void lock() { (void)m.lock(mp::Deadline(mp::Timeout::forever())); }
    void unlock() { m.unlock(); }
  };
  auto m = mp::detail::make_shared_object<mp::detail::RobustMutex>(false);
  Adapter adapter{*m};
  woken_waiter_killed(adapter, m->native());
}

TEST(LockFault, AWokenWaiterKilledLeavesNoSleeperBehind) {
  mp::Lock lock;
  woken_waiter_killed(lock, mp::detail::TestAccess::native(lock));
}

TEST(LockFault, AWokenRLockWaiterKilledLeavesNoSleeperBehind) {
  mp::RLock lock;
  woken_waiter_killed(lock, mp::detail::TestAccess::native(lock));
}

// ---------------------------------------------------------------- defect 2: the queue's wake-ups

TEST(QueueFault, ProducerKilledBetweenClearingTheFlagAndWakingLeavesNoConsumerAsleep) {
  mp::Queue<int> q;
  mp::Process consumer([&] { require(q.get(scaled(30s)) == 1, 2); });
  consumer.start();
  ASSERT_TRUE(wait_until_in_futex(*consumer.pid()));  // asleep, its waiting flag up
  kill_at("ring.consumer_flag_cleared", [&] { q.put(1); });
  expect_joined_ok(consumer, 5s);  // before the fix: asleep until its 30 s timeout
  q.put(2);                        // and the queue works on
  EXPECT_EQ(q.get(scaled(5s)), 2);
}

TEST(QueueFault, ConsumerKilledBetweenClearingTheFlagAndWakingLeavesNoProducerAsleep) {
  mp::Queue<int> q(1);
  q.put(1);
  mp::Process producer([&] { q.put(2, scaled(30s)); });  // the queue is full: sleeps
  producer.start();
  ASSERT_TRUE(wait_until_in_futex(*producer.pid()));
  kill_at("ring.producer_flag_cleared", [&] {
    (void)q.get();  // takes 1 and dies with it
  });
  expect_joined_ok(producer, 5s);  // before the fix: asleep until its 30 s timeout
  EXPECT_EQ(q.get(scaled(5s)), 2);
}

TEST(QueueFault, TaskDoneKilledBeforeItsWakeLeavesNoJoinerAsleep) {
  mp::JoinableQueue<int> q;
  q.put(1);
  EXPECT_EQ(q.get(scaled(5s)), 1);
  mp::Process joiner([&] { require(q.join(scaled(30s)), 2); });
  joiner.start();
  ASSERT_TRUE(wait_until_in_futex(*joiner.pid()));
  kill_at("ring.task_done_counted", [&] { q.task_done(); });
  expect_joined_ok(joiner, 5s);  // before the fix: asleep until its 30 s timeout
}

// ---------------------------------------------------------------- defect 3: Event and Condition

TEST(EventFault, SetterKilledInsideSetLeavesNoWaiterAsleepAndALaterSetWorks) {
  mp::Event e;
  mp::Process waiter([&] { require(e.wait(scaled(30s)), 2); });
  waiter.start();
  ASSERT_TRUE(wait_until_in_futex(*waiter.pid()));
  kill_at("condvar.counted", [&] {  // inside set(): the wake is counted, not yet made
    e.set();
  });
  e.set();  // before the fix: returned early, the flag up and the waiter asleep
  expect_joined_ok(waiter, 5s);
  EXPECT_TRUE(e.is_set());
}

TEST(ConditionFault, NotifierKilledBeforeItsWakeLeavesNoWaiterAsleep) {
  mp::Condition c;
  mp::Process waiter([&] {
    c.lock();
    const bool notified = c.wait(scaled(30s));
    require(notified, 2);
    require(c.owner_died(), 3);  // the notifier died holding the lock
    c.unlock();
  });
  waiter.start();
  ASSERT_TRUE(wait_until_in_futex(*waiter.pid()));
  kill_at("condvar.counted", [&] {
    c.lock();
    c.notify();
  });
  expect_joined_ok(waiter, 5s);  // before the fix: asleep until its 30 s timeout
}

// ---------------------------------------------------------------- defect 4: Barrier

TEST(BarrierFault, APartyKilledAsleepBreaksTheBarrierAtOnceAndResetRecovers) {
  mp::Barrier b(3);
  mp::Process victim([&] {
    (void)b.wait();
    mp::exit(3);
  });
  victim.start();
  ASSERT_TRUE(wait_until([&] { return b.n_waiting() == 1; }, 5s));
  mp::Process survivor(
      [&] { exit_zero_if_throws<mp::BrokenBarrierError>([&] { (void)b.wait(scaled(30s)); }); });
  survivor.start();
  ASSERT_TRUE(wait_until([&] { return b.n_waiting() == 2; }, 5s));
  ASSERT_TRUE(wait_until_in_futex(*victim.pid()));
  victim.kill();
  ASSERT_TRUE(victim.join(scaled(5s)));
  expect_joined_ok(survivor, 5s);  // before the fix: it learned only at its 30 s timeout
  EXPECT_TRUE(b.broken());
  EXPECT_THROW((void)b.wait(scaled(5s)), mp::BrokenBarrierError);

  b.reset();  // before the fix: the dead party stayed counted, the barrier stuck
  EXPECT_FALSE(b.broken());
  EXPECT_EQ(b.n_waiting(), 0);
  mp::Process p1([&] { require(b.wait(scaled(10s)) >= 0, 2); });
  mp::Process p2([&] { require(b.wait(scaled(10s)) >= 0, 2); });
  p1.start();
  p2.start();
  EXPECT_NO_THROW((void)b.wait(scaled(10s))) << "a full round after reset()";
  expect_joined_ok(p1);
  expect_joined_ok(p2);
}

TEST(BarrierFault, NoRoundPassesWithADeadParty) {
  mp::Barrier b(2);
  mp::Process victim([&] {
    (void)b.wait();
    mp::exit(3);
  });
  victim.start();
  ASSERT_TRUE(wait_until([&] { return b.n_waiting() == 1; }, 5s));
  ASSERT_TRUE(wait_until_in_futex(*victim.pid()));
  victim.kill();
  ASSERT_TRUE(victim.join(scaled(5s)));
  // Before the fix the dead party still counted, and this wait filled the round.
  EXPECT_THROW((void)b.wait(scaled(5s)), mp::BrokenBarrierError);
}

}  // namespace

// The runtime's fault points (mp/detail/fault_point.hpp): stops this process
// at the one the test chose for it.
void mp::detail::fault_point(const char* where, const char* /*detail*/) noexcept {
  if (g_stop_at != nullptr && std::strcmp(where, g_stop_at) == 0) ::raise(SIGSTOP);
}
