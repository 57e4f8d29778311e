#pragma once
/// @file
/// Named points where the runtime hands control to code that user code races
/// with: a test program may perturb the schedule there (yield, sleep a little)
/// so that a race in the code under test shows in a few runs instead of one
/// in twenty. The grader does this in its correctness runs (docs/grading.md,
/// "Races"); the perturbation itself is grader/harness/perturbation.cpp.
///
/// `schedule_point` is a weak symbol that the library never defines: in a
/// program that does not define it either, its address is null and
/// reach_schedule_point() costs one predictable branch (benchmarks and user
/// programs never define it).
///
/// | where              | the calling thread has just...                        |
/// |--------------------|-------------------------------------------------------|
/// | `process.forked`   | forked: called in the parent and in the child, before the child runs its target |
/// | `lock.acquiring`   | is about to acquire an mp::Lock or mp::RLock (also in Value's and Array's accessors) |
/// | `lock.released`    | has released one                                      |
/// | `semaphore.acquiring` | is about to acquire an mp::Semaphore or BoundedSemaphore |
/// | `semaphore.releasing` | is about to release one                            |
/// | `queue.put`        | is about to put an item (every queue: they share one ring) |
/// | `queue.get`        | is about to get one                                   |
/// | `event.set`        | is about to set an mp::Event                          |
namespace mp::detail {

/// Defined only by test programs; must not throw.
[[gnu::weak]] void schedule_point(const char* where) noexcept;

/// Calls schedule_point(where) when a test program defines it.
inline void reach_schedule_point(const char* where) noexcept {
  if (&schedule_point != nullptr) schedule_point(where);
}

/// Whether a program defines schedule_point (for a hot path that keeps the
/// call out of its frame).
inline bool schedule_points_linked() noexcept { return &schedule_point != nullptr; }

}  // namespace mp::detail
