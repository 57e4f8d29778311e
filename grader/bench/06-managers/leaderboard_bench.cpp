// Lesson 06, exercise 1: leaderboard, 4 workers of 150 games each on 5 players
// (600 locked updates: four round trips to the manager each, plus a manager
// started and 4 processes). The grader compares BM_Leaderboard on the student's
// code with the reference's, interleaved; the totals are checked here.
// Trusted-parent style: it runs in a child (time_in_student), timed here.
#include <cstdint>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "leaderboard.hpp"
#include "student_code.hpp"

namespace {

std::vector<lesson06::Games> games() {
  std::vector<lesson06::Games> g(4);
  for (int w = 0; w < 4; ++w) {
    for (int i = 0; i < 150; ++i) g[w].emplace_back("player" + std::to_string((i + w) % 5), i % 7 + 1);
  }
  return g;
}

std::map<std::string, std::int64_t> expected() {
  std::map<std::string, std::int64_t> t;
  for (const auto& g : games()) {
    for (const auto& game : g) t[game.first] += game.second;
  }
  return t;
}

void BM_Leaderboard(benchmark::State& state) {
  const auto rounds = static_cast<std::int64_t>(state.max_iterations);
  try {
    const auto [seconds, ok] = mp::testing::time_in_student([&] {
      const auto g = games();
      const auto want = expected();
      std::int64_t right = 0;
      for (std::int64_t r = 0; r < rounds; ++r) right += lesson06::leaderboard(g) == want ? 1 : 0;
      return right;
    });
    if (ok != rounds) {
      state.SkipWithError("wrong totals");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / static_cast<double>(rounds));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
BENCHMARK(BM_Leaderboard)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
