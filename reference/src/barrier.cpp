#include "mp/barrier.hpp"

#include <cerrno>
#include <cstddef>
#include <new>
#include <string>
#include <utility>

#include <pthread.h>

#include "mp/condition.hpp"
#include "mp/detail/futex.hpp"
#include "mp/detail/robust_mutex.hpp"
#include "mp/detail/shared_region.hpp"

namespace mp {

namespace {
// Python's threading.Barrier states, same values.
enum Phase : int { filling = 0, draining = 1, resetting = -1, broken_phase = -2 };
} // namespace

// Every field but `parties` is guarded by `mutex`.
//
// Liveness: each party inside wait() holds one of `parties` robust "slot"
// mutexes, taken at arrival and released when it leaves, both under `mutex`
// together with `count`. A party that dies inside (asleep, or on its way out)
// leaves its slot owned by a dead thread, which the kernel marks: a try_lock
// answers EOWNERDEAD. reap_dead() looks at every slot, releases the dead ones
// and recounts `count` from the slots held. It runs at each arrival, after
// each sleep slice of a waiter (so the others learn of a death within
// futex::recheck_interval, not at their own timeout) and after a holder of
// `mutex` died. A death in a filling round breaks the barrier; a death while
// the round drains only stops counting the dead party.
struct Barrier::State {
  explicit State(int n) : parties(n) {
    for (int i = 0; i < parties; ++i) ::new (&slots()[i]) detail::RobustMutex(false);
  }
  ~State() {
    for (int i = 0; i < parties; ++i) slots()[i].~RobustMutex();
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  detail::RobustMutex mutex{false};
  detail::SharedCondVar cv;
  const int parties;
  int count = 0;  // parties inside wait() (arrived and not yet left) = slots held
  int phase = filling;

  // The `parties` slot mutexes, in the same mapping right after the State.
  detail::RobustMutex* slots() noexcept { return reinterpret_cast<detail::RobustMutex*>(this + 1); }

  void break_barrier() {
    phase = broken_phase;
    cv.notify_all();
  }
  // The last one out of a finished or reset round opens the next one.
  void reopen_if_empty() {
    if (count == 0 && (phase == resetting || phase == draining)) {
      phase = filling;
      cv.notify_all();
    }
  }
  // Releases the slots of dead parties and recounts `count` from the slots
  // held by live ones (the calling thread's own included).
  void reap_dead() {
    bool dead = false;
    int held = 0;
    for (int i = 0; i < parties; ++i) {
      pthread_mutex_t* m = slots()[i].native();
      const int rc = ::pthread_mutex_trylock(m);
      if (rc == EBUSY || rc == EDEADLK) {  // held by a live thread (EDEADLK: by this one)
        ++held;
        continue;
      }
      if (rc == EOWNERDEAD) {
        dead = true;
        ::pthread_mutex_consistent(m);
      }
      if (rc == 0 || rc == EOWNERDEAD) ::pthread_mutex_unlock(m);
    }
    count = held;
    if (dead && phase == filling) break_barrier();
    reopen_if_empty();
  }
  // A process died while holding `mutex`, perhaps between two updates of
  // count/phase: recount, and break the barrier, as Python does for any
  // failure inside the barrier.
  void after_lock(detail::Acquire how) {
    if (how != detail::Acquire::owner_died) return;
    reap_dead();
    break_barrier();
  }
  // Sleeps until notified, a slice passes (then reaps the dead) or the
  // deadline; false only when the deadline passed. Callers re-check the phase.
  bool sleep(const Deadline& deadline) {
    const auto out = cv.wait(mutex, detail::futex::recheck_slice(deadline));
    after_lock(out.relocked);
    if (out.notified) return true;
    if (deadline.expired()) return false;
    reap_dead();
    return true;
  }
  // Takes a free slot: there is one, since count < parties after reap_dead().
  int take_slot() {
    for (int i = 0; i < parties; ++i) {
      const detail::Acquire got = slots()[i].try_lock();
      if (got == detail::Acquire::timed_out) continue;
      if (got == detail::Acquire::owner_died) {  // its party died since reap_dead(): the slot is ours now
        --count;
        if (phase == filling) break_barrier();
      }
      return i;
    }
    throw Error("Barrier.wait(): more parties inside than the barrier has (its memory was overwritten?)");
  }
  // One party leaves wait(), giving its slot back.
  void leave(int slot) {
    slots()[slot].unlock();
    --count;
    reopen_if_empty();
  }

  // Holds `mutex` for a scope, repairing after a dead holder.
  class Guard {
  public:
    explicit Guard(State& s) : s_(s) { s_.after_lock(s_.mutex.lock()); }
    ~Guard() { s_.mutex.unlock(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

  private:
    State& s_;
  };
};

namespace {

[[noreturn]] void throw_timed_out() {
  throw BrokenBarrierError("Barrier.wait(): timed out, so the barrier is now broken (every party waiting raises "
                           "BrokenBarrierError; call reset() to use it again)");
}

[[noreturn]] void throw_broken() {
  throw BrokenBarrierError("Barrier.wait(): the barrier is broken (aborted, reset while waiting, or a wait timed "
                           "out); call reset() to use it again");
}

int checked_parties(int parties) {
  if (parties < 1) throw ValueError("Barrier: parties must be >= 1, got " + std::to_string(parties));
  return parties;
}

} // namespace

Barrier::Barrier(int parties, std::function<void()> action, Timeout timeout)
    : state_(detail::make_shared_object_with_extra<State>(
          static_cast<std::size_t>(checked_parties(parties)) * sizeof(detail::RobustMutex), parties)),
      action_(std::move(action)), timeout_(timeout) {}

int Barrier::wait() { return wait(timeout_); }

int Barrier::wait(Timeout timeout) {
  const Deadline deadline(timeout);
  State& s = *state_;
  State::Guard guard(s);
  s.reap_dead();

  // Wait for the previous round to drain (or a reset to complete).
  while (s.phase == draining || s.phase == resetting) {
    if (!s.sleep(deadline) && (s.phase == draining || s.phase == resetting)) {
      s.break_barrier();
      throw_timed_out();
    }
  }
  if (s.phase == broken_phase) throw_broken();

  const int slot = s.take_slot();
  const int index = s.count++;
  try {
    if (s.phase == broken_phase) throw_broken();  // take_slot() found a dead party
    if (index + 1 == s.parties) {
      // The last to arrive: are all the others alive? Then run the action
      // and release everyone.
      s.reap_dead();
      if (s.phase == broken_phase) throw_broken();
      try {
        if (action_) action_();
      } catch (...) {
        s.break_barrier();
        throw;
      }
      s.phase = draining;
      s.cv.notify_all();
    } else {
      while (s.phase == filling) {
        if (!s.sleep(deadline) && s.phase == filling) {
          s.break_barrier();
          throw_timed_out();
        }
      }
      if (s.phase != draining) throw_broken();  // broken, or reset while we waited
    }
  } catch (...) {
    s.leave(slot);
    throw;
  }
  s.leave(slot);
  return index;
}

void Barrier::reset() {
  State& s = *state_;
  State::Guard guard(s);
  s.reap_dead();
  if (s.count > 0) {
    // Parties are inside: they raise, and the last one out re-opens the barrier.
    if (s.phase == filling || s.phase == broken_phase) s.phase = resetting;
    // draining: already on its way back to filling.
  } else {
    s.phase = filling;
  }
  s.cv.notify_all();
}

void Barrier::abort() {
  State& s = *state_;
  State::Guard guard(s);
  s.break_barrier();
}

int Barrier::parties() const noexcept { return state_->parties; }

int Barrier::n_waiting() const {
  State& s = *state_;
  State::Guard guard(s);
  return s.phase == filling ? s.count : 0;
}

bool Barrier::broken() const {
  State& s = *state_;
  State::Guard guard(s);
  return s.phase == broken_phase;
}

} // namespace mp
