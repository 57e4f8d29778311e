#pragma once
// The randomized kill soak (CTest label `soak`, not in the default run): for N
// iterations, contenders work on a fresh primitive while the parent SIGKILLs
// some of them at random instants; the survivors must finish within a
// deadline, nothing may be lost, and nothing may be left behind.
//
//   ctest --test-dir build/ci -L soak --output-on-failure
//   build/ci/reference/tests/mp_soak --primitive queue --iterations 1000 --seed 7
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "mp/process.hpp"

namespace mp::soak {

/// What one primitive's run counted.
struct Tally {
  int iterations = 0;
  int kills = 0;   ///< contenders SIGKILLed
  int hangs = 0;   ///< survivors not done by the deadline (then killed)
  int losses = 0;  ///< items that a finished put had published and nobody got
  int violations =
      0;          ///< broken promises other than hangs and losses (two holders, a round with a dead party...)
  int leaks = 0;  ///< /dev/shm segments or children left after an iteration
  int reported = 0;              ///< losses the runtime reported with an mp::Error (allowed: not silent)
  int owner_died = 0;            ///< acquisitions that found a dead holder (informational)
  double worst_recovery_ms = 0;  ///< the longest a survivor took to finish after the kills

  [[nodiscard]] bool clean() const { return hangs == 0 && losses == 0 && violations == 0 && leaks == 0; }
};

/// One iteration's randomness and the bookkeeping every scenario shares.
struct Run {
  std::mt19937_64 rng;
  Tally tally;
  std::chrono::milliseconds deadline;  ///< for the survivors of one iteration, after the kills

  /// A uniformly random integer in [lo, hi].
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  /// `k` distinct indexes out of [0, n), in random order.
  std::vector<int> pick(int n, int k);
  /// Sleeps a random 0..max_us microseconds: the instant of the next kill.
  /// Randomness of the fault, never synchronisation.
  void random_pause(int max_us);
  /// SIGKILLs `victim` and reaps it.
  void kill(mp::Process& victim);
  /// Joins every survivor within `deadline` from now; one that is not done is
  /// killed and counted as a hang. Returns false when there was a hang.
  bool join_survivors(std::vector<mp::Process*> survivors, const char* what);
  /// Counts segments of this program left in /dev/shm and children not reaped.
  void check_leaks();
};

/// The scenarios, one per primitive: one iteration each.
void lock_iteration(Run& run, bool recursive);
void queue_iteration(Run& run);
void event_iteration(Run& run);
void barrier_iteration(Run& run);

}  // namespace mp::soak
