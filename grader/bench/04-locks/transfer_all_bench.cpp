// Lesson 04, exercise 1: transfer_all throughput. The grader compares
// BM_TransferAll on the student's code with the reference's, interleaved:
// 4 workers make 200 000 random transfers among 16 accounts. The tally and the
// final balances are checked here, against balances computed here.
// Trusted-parent style: the work runs in a child (time_in_student), timed by
// this program.
#include <cstdint>
#include <exception>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "student_code.hpp"
#include "transfer_all.hpp"

namespace {

constexpr std::size_t accounts = 16;
constexpr std::size_t count = 200000;
constexpr std::int64_t opening = 1'000'000'000;
constexpr int workers = 4;

const std::vector<lesson04::Transfer>& transfers() {
  static const std::vector<lesson04::Transfer> all = [] {
    std::mt19937 gen(2024);
    std::uniform_int_distribution<std::size_t> account(0, accounts - 1);
    std::uniform_int_distribution<std::int64_t> amount(1, 100);
    std::vector<lesson04::Transfer> out;
    while (out.size() < count) {
      const std::size_t from = account(gen);
      const std::size_t to = account(gen);
      if (from != to) out.push_back({from, to, amount(gen)});
    }
    return out;
  }();
  return all;
}

// The balances after all the transfers, computed here (none is refused).
std::vector<std::int64_t> expected_balances() {
  std::vector<std::int64_t> b(accounts, opening);
  for (const auto& t : transfers()) {
    b[t.from] -= t.amount;
    b[t.to] += t.amount;
  }
  return b;
}

void BM_TransferAll(benchmark::State& state) {
  const auto samples = static_cast<int>(state.max_iterations);
  const auto& all = transfers();
  try {
    const auto [seconds, results] = mp::testing::time_in_student([&] {
      std::vector<std::vector<std::int64_t>> out;  // per sample: done, refused, then the balances
      for (int s = 0; s < samples; ++s) {
        lesson04::Bank bank(accounts, opening);
        const lesson04::Tally tally = lesson04::transfer_all(bank, all, workers);
        std::vector<std::int64_t> r{tally.done, tally.refused};
        for (auto b : bank.balances()) r.push_back(b);
        out.push_back(r);
      }
      return out;
    });
    std::vector<std::int64_t> expected{static_cast<std::int64_t>(all.size()), 0};
    for (auto b : expected_balances()) expected.push_back(b);
    for (const auto& r : results)
      if (r != expected) {
        state.SkipWithError("wrong tally or balances: money lost, or transfers miscounted");
        return;
      }
    if (static_cast<int>(results.size()) != samples) {
      state.SkipWithError("samples missing");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / samples);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(all.size()));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
BENCHMARK(BM_TransferAll)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
