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
}  // namespace

// Every field but `parties` is guarded by `mutex`.
//
// Liveness: each party inside wait() holds one of `parties` robust slot
// mutexes, from its arrival until it leaves; the slot's `state` says whether
// it waits for the previous round to drain (`entering`) or is counted in the
// round (`counted`). Taken and released under `mutex`. A party that dies
// inside wait() leaves its slot owned by a dead thread, which the kernel
// marks: a try_lock answers EOWNERDEAD. reap_dead() looks at every slot,
// frees the dead ones and uncounts them. It runs at each arrival, after each
// sleep slice of a waiter (so the others learn of a death within
// futex::recheck_interval, not at their own timeout) and after a holder of
// `mutex` died. A death while a round fills breaks the barrier at once. A
// death while a released round drains leaves that round passed for the
// living, and breaks the next one as it opens (`lost_party`): the dead party
// would never arrive there. (More threads than parties calling wait() at
// once is allowed; the ones that find no free slot are not watched.)
struct Barrier::State {
  enum SlotState : int { free_slot = 0, entering = 1, counted = 2 };
  struct Slot {
    detail::RobustMutex mutex{false};
    int state = free_slot;
  };

  explicit State(int n) : parties(n) {
    for (int i = 0; i < parties; ++i) ::new (&slots()[i]) Slot();
  }
  ~State() {
    for (int i = 0; i < parties; ++i) slots()[i].~Slot();
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  detail::RobustMutex mutex{false};
  detail::SharedCondVar cv;
  const int parties;
  int count = 0;  // parties counted in the current round and not yet left
  int phase = filling;
  bool lost_party = false;  // a party died inside wait() after its round was released

  // The `parties` slots, in the same mapping right after the State.
  Slot* slots() noexcept { return reinterpret_cast<Slot*>(this + 1); }

  void break_barrier() {
    phase = broken_phase;
    cv.notify_all();
  }
  // The last one out of a finished or reset round opens the next one.
  void reopen_if_empty() {
    if (count <= 0 && (phase == resetting || phase == draining)) {
      count = 0;
      phase = lost_party ? broken_phase : filling;
      lost_party = false;
      cv.notify_all();
    }
  }
  // Frees the slots of dead parties and uncounts them.
  void reap_dead() {
    bool dead = false;
    for (int i = 0; i < parties; ++i) {
      Slot& slot = slots()[i];
      const int rc = ::pthread_mutex_trylock(slot.mutex.native());
      if (rc == EBUSY || rc == EDEADLK) continue;  // held by a live thread (EDEADLK: by this one)
      if (rc == EOWNERDEAD) {
        dead = true;
        if (slot.state == counted) --count;
        ::pthread_mutex_consistent(slot.mutex.native());
      }
      if (rc == 0 || rc == EOWNERDEAD) {
        slot.state = free_slot;
        ::pthread_mutex_unlock(slot.mutex.native());
      }
    }
    if (!dead) return;
    if (phase == filling) {
      break_barrier();
    } else if (phase == draining || phase == resetting) {
      lost_party = true;
      reopen_if_empty();
    }
  }
  // A process died while holding `mutex`, perhaps between two updates of
  // count/phase: recount the counted slots, and break the barrier, as Python
  // does for any failure inside the barrier.
  void after_lock(detail::Acquire how) {
    if (how != detail::Acquire::owner_died) return;
    reap_dead();
    int held = 0;
    for (int i = 0; i < parties; ++i) held += slots()[i].state == counted ? 1 : 0;
    count = held;
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
  // Takes a free slot for the calling thread (-1 when all are taken: more
  // threads than parties are inside).
  int take_slot() {
    for (int i = 0; i < parties; ++i) {
      const detail::Acquire got = slots()[i].mutex.try_lock();
      if (got == detail::Acquire::timed_out) continue;
      if (got == detail::Acquire::owner_died) {  // its party died since reap_dead(): as reap_dead() would
        if (slots()[i].state == counted) --count;
        if (phase == filling) break_barrier();
        if (phase == draining || phase == resetting) lost_party = true;
      }
      slots()[i].state = entering;
      return i;
    }
    return -1;
  }
  // The calling party is counted in the round from now on.
  int enter_round(int slot) {
    if (slot >= 0) slots()[slot].state = counted;
    return count++;
  }
  // One party leaves wait(), giving its slot back.
  void leave(int slot, bool was_counted) {
    if (slot >= 0) {
      slots()[slot].state = free_slot;
      slots()[slot].mutex.unlock();
    }
    if (was_counted) --count;
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
  throw BrokenBarrierError(
      "Barrier.wait(): timed out, so the barrier is now broken (every party waiting raises "
      "BrokenBarrierError; call reset() to use it again)");
}

[[noreturn]] void throw_broken() {
  throw BrokenBarrierError(
      "Barrier.wait(): the barrier is broken (aborted, reset while waiting, or a wait timed "
      "out); call reset() to use it again");
}

int checked_parties(int parties) {
  if (parties < 1) throw ValueError("Barrier: parties must be >= 1, got " + std::to_string(parties));
  return parties;
}

}  // namespace

Barrier::Barrier(int parties, std::function<void()> action, Timeout timeout)
    : state_(detail::make_shared_object_with_extra<State>(
          static_cast<std::size_t>(checked_parties(parties)) * sizeof(State::Slot), parties)),
      action_(std::move(action)),
      timeout_(timeout) {}

int Barrier::wait() { return wait(timeout_); }

int Barrier::wait(Timeout timeout) {
  const Deadline deadline(timeout);
  State& s = *state_;
  State::Guard guard(s);
  s.reap_dead();
  const int slot = s.take_slot();
  bool counted = false;
  int index = 0;
  try {
    // Wait for the previous round to drain (or a reset to complete).
    while (s.phase == draining || s.phase == resetting) {
      if (!s.sleep(deadline) && (s.phase == draining || s.phase == resetting)) {
        s.break_barrier();
        throw_timed_out();
      }
    }
    if (s.phase == broken_phase) throw_broken();

    index = s.enter_round(slot);
    counted = true;
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
    s.leave(slot, counted);
    throw;
  }
  s.leave(slot, counted);
  return index;
}

void Barrier::reset() {
  State& s = *state_;
  State::Guard guard(s);
  s.reap_dead();
  s.lost_party = false;
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

}  // namespace mp
