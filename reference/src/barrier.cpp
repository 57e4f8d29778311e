#include "mp/barrier.hpp"

#include <string>
#include <utility>

#include "mp/condition.hpp"
#include "mp/detail/robust_mutex.hpp"
#include "mp/detail/shared_region.hpp"

namespace mp {

namespace {
// Python's threading.Barrier states, same values.
enum Phase : int { filling = 0, draining = 1, resetting = -1, broken_phase = -2 };
} // namespace

// Every field but `parties` is guarded by `mutex`.
struct Barrier::State {
  explicit State(int n) : parties(n) {}

  detail::RobustMutex mutex{false};
  detail::SharedCondVar cv;
  const int parties;
  int count = 0;  // parties inside wait() (arrived and not yet left)
  int phase = filling;

  void break_barrier() {
    phase = broken_phase;
    cv.notify_all();
  }
  // A process died while holding `mutex`, perhaps between two updates of
  // count/phase: we cannot trust them, so break the barrier, as Python does
  // for any failure inside the barrier.
  void after_lock(detail::Acquire how) {
    if (how == detail::Acquire::owner_died) break_barrier();
  }
  // Sleeps until notified or the deadline; false on timeout.
  bool sleep(const Deadline& deadline) {
    const auto out = cv.wait(mutex, deadline);
    after_lock(out.relocked);
    return out.notified;
  }
  // One party leaves wait(); the last one out of a finished or reset round
  // opens the barrier for the next round.
  void leave() {
    if (--count == 0 && (phase == resetting || phase == draining)) {
      phase = filling;
      cv.notify_all();
    }
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
    : state_(detail::make_shared_object<State>(checked_parties(parties))), action_(std::move(action)),
      timeout_(timeout) {}

int Barrier::wait() { return wait(timeout_); }

int Barrier::wait(Timeout timeout) {
  const Deadline deadline(timeout);
  State& s = *state_;
  State::Guard guard(s);

  // Wait for the previous round to drain (or a reset to complete).
  while (s.phase == draining || s.phase == resetting) {
    if (!s.sleep(deadline) && (s.phase == draining || s.phase == resetting)) {
      s.break_barrier();
      throw_timed_out();
    }
  }
  if (s.phase == broken_phase) throw_broken();

  const int index = s.count++;
  try {
    if (index + 1 == s.parties) {
      // The last to arrive: run the action, then release everyone.
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
    s.leave();
    throw;
  }
  s.leave();
  return index;
}

void Barrier::reset() {
  State& s = *state_;
  State::Guard guard(s);
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
