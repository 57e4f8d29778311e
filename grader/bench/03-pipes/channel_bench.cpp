// Lesson 03, exercise 2: Channel round trips between two processes, small and large
// messages. The grader compares BM_Channel on the student's code with the
// reference's, interleaved; the bytes that come back are checked here.
// BM_MpConnection (the runtime's mp::Connection, same traffic) is context.
// Trusted-parent style: both run in a child (time_in_student), timed by this program.
#include <cstdint>
#include <exception>
#include <string>
#include <tuple>

#include <benchmark/benchmark.h>

#include <mp/connection.hpp>
#include <mp/process.hpp>

#include "channel.hpp"
#include "student_code.hpp"

namespace {

constexpr int small_trips = 5000;  // 64-byte messages: the cost of a round trip
constexpr int large_trips = 20;    // 1 MiB messages: the cost of moving bytes
constexpr std::size_t small = 64, large = 1 << 20;

// `rounds` times: an echo process sends back what it receives; the caller sends
// small_trips small and large_trips large messages through it. The bytes that came
// back, or -1 when the echo failed.
template <class End>
std::int64_t trips(End a, End b, std::int64_t rounds) {
  std::int64_t bytes = 0;
  for (std::int64_t r = 0; r < rounds; ++r) {
    mp::Process echo([&] {
      a.close();
      for (int i = 0; i < small_trips + large_trips; ++i) b.send_bytes(b.recv_bytes());
    });
    echo.start();
    const std::string s(small, 's'), l(large, 'l');
    for (int i = 0; i < small_trips; ++i) {
      a.send_bytes(s);
      bytes += static_cast<std::int64_t>(a.recv_bytes().size());
    }
    for (int i = 0; i < large_trips; ++i) {
      a.send_bytes(l);
      bytes += static_cast<std::int64_t>(a.recv_bytes().size());
    }
    echo.join();
    if (echo.exitcode() != 0) return -1;
  }
  return bytes;
}

template <class MakePair>
void time_trips(benchmark::State& state, MakePair make) {
  const auto rounds = static_cast<std::int64_t>(state.max_iterations);
  try {
    const auto [seconds, bytes] = mp::testing::time_in_student([&] {
      auto ends = make();
      return trips(std::move(ends.first), std::move(ends.second), rounds);
    });
    if (bytes != rounds * (small_trips * static_cast<std::int64_t>(small) +
                           large_trips * static_cast<std::int64_t>(large))) {
      state.SkipWithError("messages lost or the echo failed");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / static_cast<double>(rounds));
    state.SetBytesProcessed(
        state.iterations() * 2 *
        (small_trips * static_cast<std::int64_t>(small) + large_trips * static_cast<std::int64_t>(large)));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_Channel(benchmark::State& state) {
  time_trips(state, [] { return lesson03::channel_pair(); });
}
BENCHMARK(BM_Channel)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_MpConnection(benchmark::State& state) {
  time_trips(state, [] { return mp::Pipe(); });
}
BENCHMARK(BM_MpConnection)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
