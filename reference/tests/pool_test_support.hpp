#pragma once
// Task functions shared by the Pool and executor suites. A worker process
// runs what it is sent by function pointer, so these are plain functions.
#include <sys/types.h>
#include <unistd.h>

namespace mp::testing {

inline int square(int x) { return x * x; }

/// The worker that ran the task.
inline pid_t worker_pid(int /*unused*/) { return ::getpid(); }

} // namespace mp::testing
