// Lesson 08, exercise 1: fetch_all, 128 fetches from 16 local servers (each answer after
// 1 ms), 16 connections at a time. The grader compares BM_FetchAll on the student's code
// with the reference's, interleaved. Trusted-parent style: the servers run in a thread
// of this process (loopback_servers.hpp); fetch_all runs in a child (time_in_student);
// the lines are checked here.
#include <chrono>
#include <cstddef>
#include <exception>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "async_fetch.hpp"
#include "loopback_servers.hpp"
#include "student_code.hpp"

namespace {

constexpr std::size_t fetches = 128, servers = 16, at_once = 16;

void BM_FetchAll(benchmark::State& state) {
  const auto rounds = static_cast<int>(state.max_iterations);
  try {
    const lesson08_testing::LoopbackServers srv(
        std::vector<std::chrono::milliseconds>(servers, std::chrono::milliseconds(1)));
    std::vector<int> ports;
    std::vector<std::string> expected;
    for (std::size_t i = 0; i < fetches; ++i) {
      ports.push_back(srv.ports()[i % servers]);
      expected.push_back(srv.answer(i));
    }
    const auto [seconds, all] = mp::testing::time_in_student([&] {
      std::vector<std::vector<std::string>> out;
      for (int r = 0; r < rounds; ++r)
        out.push_back(lesson08::fetch_all(ports, at_once, std::chrono::seconds(30)));
      return out;
    });
    for (const auto& lines : all) {
      if (lines != expected) {
        state.SkipWithError("wrong or missing lines");
        return;
      }
    }
    if (all.size() != static_cast<std::size_t>(rounds) || srv.max_open() > static_cast<int>(at_once)) {
      state.SkipWithError("too many connections at once");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / rounds);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(fetches));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
BENCHMARK(BM_FetchAll)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
