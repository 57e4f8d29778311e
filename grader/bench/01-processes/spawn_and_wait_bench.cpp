// Lesson 01, exercise 2: the cost of spawn_and_wait (fork, run, exit, wait),
// beside the bare fork+_exit+waitpid floor. The grader compares BM_SpawnAndWait
// on the student's code with the reference's, interleaved. Trusted-parent style:
// the calls run in a child that loaded the code (time_in_student), and this
// program measures their time and checks their results.
#include <chrono>
#include <exception>
#include <vector>

#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn_and_wait.hpp"
#include "student_code.hpp"

namespace {

using namespace std::chrono_literals;

// With a timeout: the wait must wake as soon as the child ends, not on the
// next tick of a polling loop. Each child exits with a code the caller must
// report back, so that skipping the fork does not pay.
void BM_SpawnAndWait(benchmark::State& state) {
  const auto n = static_cast<int>(state.max_iterations);
  try {
    const auto [seconds, codes] = mp::testing::time_in_student([n] {
      std::vector<int> exitcodes;
      for (int i = 0; i < n; ++i) {
        const auto r = lesson01::spawn_and_wait([i] { return i % 100; }, 10s);
        exitcodes.push_back(r.timed_out ? -1000 : r.exitcode);
      }
      return exitcodes;
    });
    int wrong = codes.size() == static_cast<std::size_t>(n) ? 0 : 1;
    for (int i = 0; i < n && wrong == 0; ++i) wrong += codes[static_cast<std::size_t>(i)] == i % 100 ? 0 : 1;
    if (wrong != 0) {
      state.SkipWithError("spawn_and_wait returned wrong exit codes");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / n);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
BENCHMARK(BM_SpawnAndWait)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(100);

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
