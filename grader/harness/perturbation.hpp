#pragma once
/// @file
/// @brief Schedule perturbation for correctness runs: makes races show.
///
/// A race that loses one run in twenty passes three runs six times in seven.
/// With `MP_PERTURB=<seed>` in its environment (the grader sets it for every
/// correctness run after the first), a lesson's test program perturbs the
/// schedule at the runtime's schedule points (mp/detail/schedule_point.hpp):
/// a forked process starts a little late, now the parent and now the child;
/// a thread that just took or is about to give back a lock, or is about to
/// put or get an item, sometimes yields its CPU or sleeps a few microseconds.
/// Each process draws from its own generator, seeded from the seed and its
/// pid, so a run is different every time yet a seed means the same policy.
/// docs/grading.md, "Races", has the measurements behind the numbers.
///
/// Benchmark programs never perturb (they do not define the hook).

namespace mp::testing {

/// Reads MP_PERTURB once; perturbation is on when it holds a seed other than 0.
/// Call it from main() before any test (it also links the hook in).
void perturb_from_environment();

/// Whether perturbation is on in this program.
bool perturbing() noexcept;

}  // namespace mp::testing
