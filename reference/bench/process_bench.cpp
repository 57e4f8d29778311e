// mp::Process start+join against the bare fork+_exit+waitpid floor.
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp/process.hpp"

namespace {

void BM_process_start_join(benchmark::State& state) {
  for (auto _ : state) {
    mp::Process p([] {});
    p.start();
    p.join();
    if (p.exitcode() != 0) state.SkipWithError("child failed");
  }
}
BENCHMARK(BM_process_start_join)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_floor_fork_waitpid(benchmark::State& state) {
  for (auto _ : state) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
}
BENCHMARK(BM_floor_fork_waitpid)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
