// Lesson 06, exercise 2: KvServer, 6 000 round trips (4 000 set(), 2 000 get())
// (plus a server started and shut down). BM_ObjectServer runs the student's
// KvServer; BM_ManagerDict runs the same traffic through mp::Manager's dict
// proxy (the runtime's manager: a shared-memory channel per client after a
// socket handshake, a request header, a server that serves many clients and
// many objects). The grader compares BM_ObjectServer
// with the reference's, interleaved; BM_ManagerDict is the context ("timed
// against mp::Manager"). The sum of what get() returned is checked here.
// Trusted-parent style: both run in a child (time_in_student), timed here.
#include <cstdint>
#include <exception>
#include <string>

#include <benchmark/benchmark.h>

#include <mp/manager.hpp>

#include "object_server.hpp"
#include "student_code.hpp"

namespace {

constexpr std::int64_t trips = 2000;

std::int64_t expected_sum() {
  std::int64_t s = 0;
  for (std::int64_t i = 0; i < trips; ++i) s += 3 * i;
  return s;
}

template <class Run>
void time_server(benchmark::State& state, Run run) {
  const auto rounds = static_cast<std::int64_t>(state.max_iterations);
  try {
    const auto [seconds, sum] = mp::testing::time_in_student([&] {
      std::int64_t total = 0;
      for (std::int64_t r = 0; r < rounds; ++r) total += run();
      return total;
    });
    if (sum != rounds * expected_sum()) {
      state.SkipWithError("wrong results");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / static_cast<double>(rounds));
    state.SetItemsProcessed(state.iterations() * 2 * trips);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_ObjectServer(benchmark::State& state) {
  time_server(state, [] {
    lesson06::KvServer kv;
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < trips; ++i) kv.set("k" + std::to_string(i % 16), 3 * i);
    for (std::int64_t i = 0; i < trips; ++i) {
      kv.set("x", 3 * i);
      sum += kv.get("x");
    }
    return sum;
  });
}
BENCHMARK(BM_ObjectServer)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ManagerDict(benchmark::State& state) {
  time_server(state, [] {
    mp::Manager manager;
    const auto d = manager.dict<std::string, std::int64_t>();
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < trips; ++i) d.set("k" + std::to_string(i % 16), 3 * i);
    for (std::int64_t i = 0; i < trips; ++i) {
      d.set("x", 3 * i);
      sum += d.at("x");
    }
    return sum;
  });
}
BENCHMARK(BM_ManagerDict)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
