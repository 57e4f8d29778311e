// Lesson 01, exercise 2: the cost of spawn_and_wait (fork, run, exit, wait),
// beside the bare fork+_exit+waitpid floor. The grader compares
// BM_SpawnAndWait of the student's build with the reference's, interleaved.
#include <chrono>
#include <exception>

#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn_and_wait.hpp"

namespace {

using namespace std::chrono_literals;

// With a timeout: the wait must wake as soon as the child ends, not on the
// next tick of a polling loop.
void BM_SpawnAndWait(benchmark::State& state) {
  try {
    for (auto _ : state) {
      const auto r = lesson01::spawn_and_wait([] { return 0; }, 10s);
      if (r.exitcode != 0 || r.timed_out) {
        state.SkipWithError("the child did not exit with code 0");
        break;
      }
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
BENCHMARK(BM_SpawnAndWait)->UseRealTime()->Unit(benchmark::kMicrosecond)->Iterations(100);

void BM_floor_fork_waitpid(benchmark::State& state) {
  for (auto _ : state) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
}
BENCHMARK(BM_floor_fork_waitpid)->UseRealTime()->Unit(benchmark::kMicrosecond)->Iterations(100);

}  // namespace
