#pragma once
// The pool process's side of a task: the registry the worker filled before
// forking, the call with its time limits, and the outcome as JSON for the
// parent: {"ok": value} | {"retry": true, "countdown_ms": n|null} |
// {"error": {"exc_type", "exc_module", "exc_message"}}.
#include <map>
#include <string>

#include "mp/tasks/worker.hpp"

namespace mp::tasks::detail {

struct Registered {
  TaskFunction fn;
  TaskOptions options;
};
using Registry = std::map<std::string, Registered, std::less<>>;

/// The registry pool processes read (set by run() before it forks them).
void set_process_registry(const Registry* registry) noexcept;

/// Runs task `name` in this (pool) process. `soft_s`/`hard_s` < 0: no limit.
/// The hard limit is a timer that SIGKILLs this process: the parent sees the
/// process lost and reports TimeLimitExceeded. Never throws.
std::string run_in_pool_process(std::string name, std::string args, std::string kwargs, std::string id,
                                int retries, bool redelivered, double soft_s, double hard_s);

}  // namespace mp::tasks::detail
