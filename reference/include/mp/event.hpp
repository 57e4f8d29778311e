#pragma once
/// @file
/// @brief `mp::Event`: a process-shared flag that processes can wait for
/// (Python's `multiprocessing.Event`).
///
/// An Event holds one flag, initially false. set() makes it true and wakes
/// every process waiting for it; clear() makes it false again; wait() returns
/// at once while the flag is true and otherwise sleeps until set() or the
/// timeout. Unlike a Condition's notify, a set() is remembered: a process
/// that starts waiting later does not miss it.
///
/// A **handle**: copies share one flag in an anonymous shared mapping. Make it
/// before starting the processes that use it.
///
/// @code
/// mp::Event ready;                          // before fork
/// mp::Process worker([&] {
///   load_model();
///   ready.set();                            // wakes the parent
/// });
/// worker.start();
/// if (!ready.wait(5s)) throw std::runtime_error("worker did not get ready in time");
/// worker.join();
/// @endcode
///
/// ### States
/// | state | set()                        | clear()   | wait(timeout)                          |
/// |-------|------------------------------|-----------|----------------------------------------|
/// | false | → true, wakes all waiters    | no change | sleeps until set() (→ true) or the timeout (→ false) |
/// | true  | no change                    | → false   | returns true at once                   |
///
/// wait() returns true when the flag was set at some moment during the wait,
/// even if it was cleared again before the waiter ran (as Python's
/// `threading.Event`; `multiprocessing.Event` would return false then and
/// make a quick set()+clear() pulse invisible).
///
/// **Blocking.** Only wait() blocks, at most `timeout` (CLOCK_MONOTONIC).
/// is_set() is one atomic load; set() costs a system call only when someone
/// waits. **Errors:** none by design, apart from std::system_error if the
/// kernel refuses a futex call. **Owner death:** a process that dies inside
/// set(), clear() or wait() leaves the event usable (its small internal lock
/// is robust, and its data is a flag and a counter, consistent at every step).
///
/// **Thread and process safety.** Every member may be called from any thread
/// of any process sharing the event.
#include <memory>

#include "mp/timeout.hpp"

namespace mp {

/// A process-shared event flag (Python's `multiprocessing.Event`).
class Event {
public:
  /// A new event, flag false.
  Event();

  /// Whether the flag is true now (Python's `is_set()`). Never blocks.
  [[nodiscard]] bool is_set() const noexcept;
  /// Sets the flag and wakes every waiter (Python's `set()`).
  void set();
  /// Resets the flag to false (Python's `clear()`).
  void clear();
  /// Python's `wait(timeout=None)`: returns true at once if the flag is true;
  /// otherwise sleeps until set() (true) or until `timeout` passes (false).
  bool wait(Timeout timeout = {});

private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace mp
