// Lesson 01, exercise 1: run_all (see run_all.hpp for the contract).
// Reference solution.
#include "run_all.hpp"

#include <cstddef>
#include <optional>

#include <mp/error.hpp>
#include <mp/process.hpp>

namespace lesson01 {

std::vector<int> run_all(const std::vector<std::function<void()>>& functions, mp::Timeout timeout) {
  std::vector<mp::Process> processes;
  processes.reserve(functions.size());
  for (const auto& fn : functions) processes.emplace_back(fn);

  // Start them all before waiting for any: that is what makes them run at
  // the same time.
  try {
    for (auto& p : processes) p.start();
  } catch (...) {
    // fork failed: do not leave the ones already started behind. Their
    // destructors (when `processes` goes away) reap them after the kill.
    for (auto& p : processes)
      if (p.pid()) p.kill();
    throw;
  }

  // One deadline for the whole call: each join gets what is left of it.
  const mp::Deadline deadline(timeout);
  std::vector<int> codes;
  codes.reserve(processes.size());
  for (auto& p : processes) {
    const bool ended = deadline.is_forever() ? (p.join(), true) : p.join(deadline.remaining());
    if (!ended) {
      p.kill();  // SIGKILL cannot be caught: join() returns promptly
      p.join();
    }
    codes.push_back(p.exitcode().value_or(-9));
  }
  return codes;
}

}  // namespace lesson01
