#pragma once
/// @file
/// @brief `mp::Barrier`: a process-shared rendezvous for a fixed number of
/// parties (Python's `multiprocessing.Barrier`, which is `threading.Barrier`).
///
/// Each of `parties` processes (or threads) calls wait(); the first
/// `parties - 1` sleep, and the last one to arrive releases them all. Each
/// wait() returns a distinct arrival index, 0 for the first to arrive up to
/// `parties - 1` for the last, so that exactly one party can be picked for a
/// special job (`if (barrier.wait() == 0) ...`). The barrier then resets
/// itself and can be used again (the next "generation").
///
/// A **handle**: copies share the barrier, which lives in an anonymous shared
/// mapping. Make it before starting the processes that use it.
///
/// @code
/// mp::Barrier barrier(4);                       // before fork
/// std::vector<mp::Process> workers;
/// for (int w = 0; w < 4; ++w)
///   workers.emplace_back([&, w] {
///     for (int step = 0; step < 3; ++step) {
///       compute(w, step);
///       barrier.wait(5s);                       // nobody starts step+1 before all finished step
///     }
///   });
/// for (auto& p : workers) p.start();
/// for (auto& p : workers) p.join();
/// @endcode
///
/// ### Breaking (Python semantics)
/// The barrier *breaks* when a wait() times out, when abort() is called, when
/// the `action` throws, or when a process died while updating the barrier's
/// bookkeeping. Then every party waiting now, and every later wait(), raises
/// mp::BrokenBarrierError, until reset(). A timeout therefore raises in
/// **all** the waiters, not only in the one that timed out: nobody is left
/// waiting for a party that will not come.
///
/// ### States
/// | state     | wait()                                          | reset()                      | abort()      |
/// |-----------|-------------------------------------------------|------------------------------|--------------|
/// | filling   | arrival index k; k < parties-1 sleeps, the last runs `action` → draining | waiters raise; → resetting (filling when none) | → broken |
/// | draining  | waits until the woken parties have left (→ filling), then as filling | as filling | → broken |
/// | resetting | waits until the parties of the old round have left, then as filling | no change | → broken |
/// | broken    | mp::BrokenBarrierError                          | → filling (via resetting while parties are still inside) | no change |
///
/// **Blocking.** wait() blocks until the barrier fills, breaks, or the timeout
/// passes (CLOCK_MONOTONIC). The default timeout is the one given to the
/// constructor (forever unless given). reset() and abort() never block for
/// long.
///
/// **A party that dies inside wait()** breaks the barrier for the others
/// within 50 ms (`detail::futex::recheck_interval`), not at their timeout:
/// they raise mp::BrokenBarrierError, and so does every later wait() until
/// reset(). Killed on its way out of a round that was already released, it
/// leaves that round passed for the others and breaks the next one as it
/// opens. A party that dies *between* two waits is not known to the barrier:
/// the others wait for it until their timeout, as in Python, so use a
/// timeout when processes can die.
///
/// **Action.** The optional `action` runs in the process whose arrival fills
/// the barrier, once per generation, before the others are released (Python
/// semantics). It is copied into each handle, so a forked child has it too.
///
/// **Thread and process safety.** Every member may be called from any thread
/// of any process sharing the barrier.
#include <cstddef>
#include <functional>
#include <memory>

#include "mp/error.hpp"
#include "mp/timeout.hpp"

namespace mp {

/// A reusable process-shared barrier (Python's `multiprocessing.Barrier`).
class Barrier {
public:
  /// A barrier for `parties` parties.
  /// @param action  run by the last party to arrive, before the others wake (may be empty).
  /// @param timeout default timeout of wait() (forever unless given).
  /// @throws mp::ValueError when `parties` < 1.
  explicit Barrier(int parties, std::function<void()> action = nullptr, Timeout timeout = {});

  /// Python's `wait()`, with the barrier's default timeout. Returns the
  /// arrival index, 0 .. parties()-1.
  /// @throws mp::BrokenBarrierError when the barrier is or becomes broken
  /// (including through this wait timing out); whatever `action` throws (the
  /// barrier is then broken).
  int wait();
  /// Python's `wait(timeout)`: as wait(), waiting at most `timeout`.
  int wait(Timeout timeout);

  /// Python's `reset()`: back to the empty, unbroken state. Parties waiting
  /// now raise mp::BrokenBarrierError.
  void reset();
  /// Python's `abort()`: breaks the barrier; waiting and later parties raise
  /// mp::BrokenBarrierError until reset().
  void abort();

  /// Number of parties needed to pass (Python's `parties`).
  [[nodiscard]] int parties() const noexcept;
  /// Number of parties waiting now (Python's `n_waiting`).
  [[nodiscard]] int n_waiting() const;
  /// Whether the barrier is broken (Python's `broken`).
  [[nodiscard]] bool broken() const;

private:
  struct State;
  std::shared_ptr<State> state_;
  std::function<void()> action_;
  Timeout timeout_;
};

}  // namespace mp
