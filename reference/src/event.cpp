#include "mp/event.hpp"

#include <atomic>
#include <cstdint>

#include "mp/condition.hpp"
#include "mp/detail/robust_mutex.hpp"
#include "mp/detail/schedule_point.hpp"
#include "mp/detail/shared_region.hpp"

namespace mp {

struct Event::State {
  detail::RobustMutex mutex{false};
  detail::SharedCondVar cv;
  // Written under `mutex`; read without it by is_set() and wait()'s fast
  // path. Release/acquire so that a process that sees the flag also sees what
  // the setter wrote before set().
  std::atomic<bool> flag{false};
  // Bumped (under `mutex`) by each set() that turns the flag on: a waiter that
  // sees it change knows a set() happened while it slept, even if a clear()
  // followed.
  std::uint32_t generation = 0;
};

namespace {

// The internal critical sections never leave the data half-updated (single
// words), so a dead holder needs no repair: the robust mutex just goes on.
class Guard {
public:
  explicit Guard(detail::RobustMutex& m) : m_(m) { (void)m_.lock(); }
  ~Guard() { m_.unlock(); }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

private:
  detail::RobustMutex& m_;
};

}  // namespace

Event::Event() : state_(detail::make_shared_object<State>()) {}

bool Event::is_set() const noexcept { return state_->flag.load(std::memory_order_acquire); }

void Event::set() {
  detail::reach_schedule_point("event.set");
  State& s = *state_;
  Guard guard(s.mutex);
  if (s.flag.load(std::memory_order_relaxed)) return;
  // Wake first, then store: a setter killed in between has not set the event
  // (the woken waiters find the flag down and sleep again) and a later set()
  // does it all. Stored first, a setter killed before its wake left the flag
  // up and the waiters asleep, and every later set() returned early. The
  // waiters need the mutex to look, so they see the flag and the generation
  // only once both are written.
  s.cv.notify_all();
  s.flag.store(true, std::memory_order_release);
  ++s.generation;
}

void Event::clear() {
  State& s = *state_;
  Guard guard(s.mutex);
  s.flag.store(false, std::memory_order_release);
}

bool Event::wait(Timeout timeout) {
  State& s = *state_;
  if (s.flag.load(std::memory_order_acquire)) return true;  // no lock, no system call
  const Deadline deadline(timeout);
  Guard guard(s.mutex);
  const std::uint32_t generation = s.generation;
  while (!s.flag.load(std::memory_order_relaxed) && s.generation == generation) {
    if (!s.cv.wait(s.mutex, deadline).notified) break;  // timed out
  }
  return s.flag.load(std::memory_order_relaxed) || s.generation != generation;
}

}  // namespace mp
