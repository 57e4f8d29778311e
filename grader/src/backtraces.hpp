#pragma once
/// @file
/// @brief The stack of every thread of every process of a group, from gdb:
/// what a report shows when a run timed out (a deadlock, a lost wake-up).
#include <vector>

#include <sys/types.h>

#include "isolated_run.hpp"

namespace grader {

/// Backtraces of the first processes of group `pgid` (the leader first), each
/// gdb run isolated and time-limited; says why when there is none (no gdb, ...).
std::vector<Backtrace> backtraces_of(pid_t pgid);

}  // namespace grader
