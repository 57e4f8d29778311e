// Lesson 04, exercise 2: CountingSemaphore ping-pong between two processes.
// The grader compares BM_CountingSemaphore on the student's code with the
// reference's, interleaved. Each round the caller releases `ping` and waits
// for `pong`, which a child process releases once it has taken `ping`: two
// wake-ups across processes per round, the semaphore's slow path. The number
// of rounds both sides completed is checked here. BM_MpSemaphore (the
// runtime's mp::Semaphore, a POSIX sem_t) is context. Trusted-parent style:
// both run in a child (time_in_student), timed by this program.
#include <chrono>
#include <cstdint>
#include <exception>

#include <benchmark/benchmark.h>

#include <mp/process.hpp>
#include <mp/semaphore.hpp>

#include "counting_semaphore.hpp"
#include "student_code.hpp"

namespace {

constexpr std::int64_t rounds_per_sample = 5000;

// `samples` times `rounds_per_sample` rounds of ping-pong; the rounds that
// completed on both sides (the child's count comes through its exit code: 0
// when it did all of them).
template <class Semaphore>
std::int64_t ping_pong(Semaphore ping, Semaphore pong, std::int64_t samples) {
  std::int64_t rounds = 0;
  for (std::int64_t s = 0; s < samples; ++s) {
    mp::Process child([ping, pong]() mutable {
      for (std::int64_t i = 0; i < rounds_per_sample; ++i) {
        if (!ping.acquire(true, std::chrono::seconds(10))) mp::exit(3);
        pong.release();
      }
    });
    child.start();
    for (std::int64_t i = 0; i < rounds_per_sample; ++i) {
      ping.release();
      if (!pong.acquire(true, std::chrono::seconds(10))) break;
      ++rounds;
    }
    child.join();
    if (child.exitcode() != 0) return -1;
  }
  return rounds;
}

template <class MakeSemaphore>
void time_ping_pong(benchmark::State& state, MakeSemaphore make) {
  const auto samples = static_cast<std::int64_t>(state.max_iterations);
  try {
    const auto [seconds, rounds] =
        mp::testing::time_in_student([&] { return ping_pong(make(), make(), samples); });
    if (rounds != samples * rounds_per_sample) {
      state.SkipWithError("rounds lost: an acquire timed out, or the child failed");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / static_cast<double>(samples));
    state.SetItemsProcessed(state.iterations() * rounds_per_sample);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_CountingSemaphore(benchmark::State& state) {
  time_ping_pong(state, [] { return lesson04::CountingSemaphore(0); });
}
BENCHMARK(BM_CountingSemaphore)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_MpSemaphore(benchmark::State& state) {
  time_ping_pong(state, [] { return mp::Semaphore(0); });
}
BENCHMARK(BM_MpSemaphore)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
