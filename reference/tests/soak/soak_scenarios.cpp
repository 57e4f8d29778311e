// One iteration of each soak scenario (see soak.hpp). Every child reports
// through shared memory or its exit code; the parent decides what counts.
#include <array>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "mp/barrier.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/detail/spin.hpp"
#include "mp/event.hpp"
#include "mp/lock.hpp"
#include "mp/queue.hpp"
#include "soak.hpp"

namespace mp::soak {

namespace {

using namespace std::chrono_literals;

// The start gate: children spin on it so that they contend from the same
// instant, whatever their fork took. Bounded: a parent gone for 10 s lets go.
void await_go(const std::atomic<int>& go) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (go.load(std::memory_order_acquire) == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
}

using Children = std::vector<std::unique_ptr<mp::Process>>;

template <class F>
void add_child(Children& children, F&& fn) {
  children.push_back(std::make_unique<mp::Process>(std::forward<F>(fn)));
  children.back()->start();
}

// Kills `victims` (indexes into `children`) one after the other at random
// instants, and returns the others.
std::vector<mp::Process*> kill_some(Run& run, Children& children, const std::vector<int>& victims,
                                    int max_pause_us) {
  for (const int v : victims) {
    run.random_pause(max_pause_us);
    run.kill(*children[static_cast<std::size_t>(v)]);
  }
  std::vector<mp::Process*> survivors;
  for (std::size_t i = 0; i < children.size(); ++i) {
    bool victim = false;
    for (const int v : victims) victim = victim || static_cast<std::size_t>(v) == i;
    if (!victim) survivors.push_back(children[i].get());
  }
  return survivors;
}

struct LockShared {
  std::atomic<int> go{0};
  std::atomic<int> inside{0};  // holders inside the critical section: never more than 1
  std::atomic<int> violations{0};
  std::atomic<int> owner_died{0};
};

template <class AnyLock>
void lock_rounds(Run& run, bool recursive) {
  constexpr int contenders = 3;
  constexpr int rounds = 20000;
  AnyLock lock;
  auto sh = mp::detail::make_shared_object<LockShared>();
  Children children;
  for (int c = 0; c < contenders; ++c) {
    add_child(children, [&] {
      await_go(sh->go);
      for (int r = 0; r < rounds; ++r) {
        lock.acquire();
        if (lock.owner_died()) {
          sh->owner_died.fetch_add(1);
          sh->inside.store(0);  // the dead holder's count
        }
        if (sh->inside.fetch_add(1) != 0) sh->violations.fetch_add(1);
        if (recursive) {  // an RLock taken again by its holder
          lock.acquire();
          lock.release();
        }
        for (int spin = 0; spin < 20; ++spin) mp::detail::cpu_relax();
        sh->inside.fetch_sub(1);
        lock.release();
      }
    });
  }
  sh->go.store(1, std::memory_order_release);
  const auto survivors = kill_some(run, children, run.pick(contenders, 2), 3000);
  run.join_survivors(survivors, recursive ? "RLock contender" : "Lock contender");
  if (!lock.acquire(true, 1s)) {
    ++run.tally.hangs;  // free now, and nobody may hold it
  } else {
    lock.release();
  }
  run.tally.violations += sh->violations.load();
  run.tally.owner_died += sh->owner_died.load();
}

}  // namespace

void lock_iteration(Run& run, bool recursive) {
  if (recursive) {
    lock_rounds<mp::RLock>(run, true);
  } else {
    lock_rounds<mp::Lock>(run, false);
  }
}

namespace {

constexpr int producers = 4;
constexpr int items_each = 200;

struct QueueShared {
  std::atomic<int> go{0};
  std::array<std::atomic<std::int64_t>, producers> done{};  // puts that returned, per producer
};

}  // namespace

void queue_iteration(Run& run) {
  mp::Queue<std::int64_t> q(8);  // small: producers also sleep for room
  auto sh = mp::detail::make_shared_object<QueueShared>();
  Children children;
  for (int id = 0; id < producers; ++id) {
    add_child(children, [&, id] {
      await_go(sh->go);
      for (int seq = 0; seq < items_each; ++seq) {
        q.put((std::int64_t{id} << 32) | seq);
        sh->done[static_cast<std::size_t>(id)].store(seq + 1, std::memory_order_release);
      }
    });
  }
  // One consumer, a thread of the parent started after the forks.
  std::array<std::vector<std::int64_t>, producers> got;
  std::atomic<bool> producers_over{false};
  int reported = 0;
  std::thread consumer([&] {
    for (;;) {
      try {
        const std::int64_t v = q.get(50ms);
        const auto id = static_cast<std::size_t>(v >> 32);
        if (id < got.size()) got[id].push_back(v & 0xffffffff);
      } catch (const mp::Empty&) {
        if (producers_over.load()) return;
      } catch (const mp::Error&) {
        ++reported;
      }
    }
  });
  sh->go.store(1, std::memory_order_release);
  const std::vector<int> victims = run.pick(producers, 2);
  const auto survivors = kill_some(run, children, victims, 3000);
  run.join_survivors(survivors, "Queue producer");
  producers_over.store(true);
  consumer.join();
  run.tally.reported += reported;

  // Each producer's items arrive in order (one consumer): 0..k-1. A killed one
  // may take at most its in-flight item along; a survivor none.
  for (int id = 0; id < producers; ++id) {
    const auto& seqs = got[static_cast<std::size_t>(id)];
    for (std::size_t i = 0; i < seqs.size(); ++i) {
      if (seqs[i] != static_cast<std::int64_t>(i)) {
        ++run.tally.violations;  // a gap, a duplicate or a reordering
        break;
      }
    }
    const std::int64_t done = sh->done[static_cast<std::size_t>(id)].load();
    const auto k = static_cast<std::int64_t>(seqs.size());
    if (k < done) run.tally.losses += static_cast<int>(done - k);
    if (k > done + 1) ++run.tally.violations;
  }
  // The queue works on, and counts right once a put has repaired a dead producer's count.
  q.put(-1);
  if (q.get(run.deadline) != -1 || q.qsize() != 0) ++run.tally.violations;
}

namespace {

struct EventShared {
  std::atomic<int> go{0};
};

}  // namespace

void event_iteration(Run& run) {
  constexpr int waiters = 3;
  mp::Event e;
  auto sh = mp::detail::make_shared_object<EventShared>();
  Children children;
  for (int w = 0; w < waiters; ++w) {
    add_child(children, [&] { mp::exit(e.wait() ? 0 : 2); });
  }
  add_child(children, [&] {  // the setter: index `waiters`
    await_go(sh->go);
    e.set();
  });
  sh->go.store(1, std::memory_order_release);
  // The setter at a random instant (before, inside or after set()), and one waiter.
  const auto survivors = kill_some(run, children, {waiters, run.uniform(0, waiters - 1)}, 400);
  e.set();  // whatever the dead setter left: this must wake every survivor
  run.join_survivors(survivors, "Event waiter");
  for (mp::Process* p : survivors) {
    if (p->exitcode() == 2) ++run.tally.violations;  // wait() returned false without a timeout
  }
}

namespace {

struct BarrierShared {
  std::atomic<int> go{0};
};

constexpr int parties = 3;

}  // namespace

void barrier_iteration(Run& run) {
  mp::Barrier b(parties, nullptr, 1s);  // a party killed before it arrives: the others wait this long
  auto sh = mp::detail::make_shared_object<BarrierShared>();
  Children children;
  for (int p = 0; p < parties; ++p) {
    add_child(children, [&] {
      await_go(sh->go);
      try {
        for (int r = 0; r < 100; ++r) (void)b.wait();
      } catch (const mp::BrokenBarrierError&) {
        mp::exit(0);  // a party died (or timed out): the promised outcome
      }
    });
  }
  sh->go.store(1, std::memory_order_release);
  const auto survivors = kill_some(run, children, {run.uniform(0, parties - 1)}, 3000);
  run.join_survivors(survivors, "Barrier party");
  // reset() recovers the barrier: a full round passes.
  b.reset();
  Children fresh;
  for (int p = 1; p < parties; ++p) add_child(fresh, [&] { mp::exit(b.wait(2s) >= 0 ? 0 : 2); });
  try {
    (void)b.wait(2s);
  } catch (const mp::BrokenBarrierError&) {
    ++run.tally.violations;
  }
  std::vector<mp::Process*> others;
  for (auto& p : fresh) others.push_back(p.get());
  run.join_survivors(others, "Barrier party after reset()");
  for (mp::Process* p : others) {
    if (p->exitcode() != 0) ++run.tally.violations;
  }
}

}  // namespace mp::soak
