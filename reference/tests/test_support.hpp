#pragma once
// Helpers shared by the runtime's test suites.
#include <chrono>
#include <string>
#include <vector>

namespace mp::testing {

/// Scales a deadline by MP_TEST_TIME_SCALE (default 1; the sanitizer presets
/// set it higher because instrumented code runs several times slower).
std::chrono::milliseconds scaled(std::chrono::milliseconds d);

/// Names in /dev/shm that start with this program's segment prefix.
std::vector<std::string> leaked_segments();

/// Runs `fn` in a forked child and returns its wait status decoded as Python's
/// exitcode (0, 1, -signal), killing the child if it has not finished within
/// `deadline`. Independent of mp::Process, so it can test mp::Process too.
int run_in_child(void (*fn)(), std::chrono::milliseconds deadline);

} // namespace mp::testing
