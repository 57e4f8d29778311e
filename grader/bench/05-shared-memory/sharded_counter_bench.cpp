// Lesson 05, exercise 2: ShardedCounter throughput, min(usable cores, 4)
// processes adding at once. The grader compares BM_ShardedCounter on the
// student's code with the reference's, interleaved; the total is checked
// here. Context, on the runtime alone (time_in_trusted_child): the same
// traffic on one shared atomic count (BM_OneSharedAtomic: every add fights
// for one cache line) and on an mp::Value under its lock (BM_ValueWithLock).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <vector>

#include <benchmark/benchmark.h>
#include <sched.h>

#include <mp/array.hpp>
#include <mp/process.hpp>
#include <mp/value.hpp>

#include "sharded_counter.hpp"
#include "student_code.hpp"

namespace {

constexpr std::int64_t adds = 1'000'000;  // per process and round
constexpr std::size_t shards = 64;

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

int processes() { return std::min(usable_cores(), 4); }

// `rounds` times: processes() processes each call add(counter) `adds` times;
// then the total, read with total(counter) (-1 when a process failed).
template <class Counter, class Add, class Total>
std::int64_t hammer(Counter counter, Add add, Total total, std::int64_t rounds) {
  for (std::int64_t r = 0; r < rounds; ++r) {
    std::vector<mp::Process> ps;
    for (int p = 0; p < processes(); ++p)
      ps.emplace_back([counter, add]() mutable {
        for (std::int64_t i = 0; i < adds; ++i) add(counter);
      });
    for (auto& p : ps) p.start();
    for (auto& p : ps) {
      p.join();
      if (p.exitcode() != 0) return -1;
    }
  }
  return total(counter);
}

template <class InChild, class Run>
void time_adds(benchmark::State& state, InChild in_child, Run run) {
  const auto rounds = static_cast<std::int64_t>(state.max_iterations);
  try {
    const auto [seconds, total] = in_child([&] { return run(rounds); });
    if (total != rounds * processes() * adds) {
      state.SkipWithError("adds lost, or a process failed");
      return;
    }
    for (auto _ : state) state.SetIterationTime(seconds / static_cast<double>(rounds));
    state.SetItemsProcessed(state.iterations() * processes() * adds);
    state.counters["processes"] = processes();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_ShardedCounter(benchmark::State& state) {
  time_adds(
      state, [](auto&& fn) { return mp::testing::time_in_student(fn); },
      [](std::int64_t rounds) {
        return hammer(
            lesson05::ShardedCounter(shards), [](lesson05::ShardedCounter& c) { c.add(); },
            [](const lesson05::ShardedCounter& c) { return c.value(); }, rounds);
      });
}
BENCHMARK(BM_ShardedCounter)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_OneSharedAtomic(benchmark::State& state) {
  time_adds(
      state, [](auto&& fn) { return mp::testing::time_in_trusted_child(fn); },
      [](std::int64_t rounds) {
        return hammer(
            mp::RawValue<std::int64_t>(0),
            [](mp::RawValue<std::int64_t>& v) {
              std::atomic_ref<std::int64_t>(v.get_obj()).fetch_add(1, std::memory_order_relaxed);
            },
            [](mp::RawValue<std::int64_t>& v) { return v.value(); }, rounds);
      });
}
BENCHMARK(BM_OneSharedAtomic)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_ValueWithLock(benchmark::State& state) {
  time_adds(
      state, [](auto&& fn) { return mp::testing::time_in_trusted_child(fn); },
      [](std::int64_t rounds) {
        return hammer(
            mp::Value<std::int64_t>(0),
            [](mp::Value<std::int64_t>& v) {
              std::lock_guard guard(v.get_lock());
              v.get_obj() += 1;
            },
            [](mp::Value<std::int64_t>& v) { return v.value(); }, rounds);
      });
}
BENCHMARK(BM_ValueWithLock)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
