// Benchmarks of mp::Pool and mp::ThreadPoolExecutor (component `pool`),
// measured as Python's figures are (scripts/bench.py): a pool of one worker per
// usable CPU, made and warmed before the clock starts.
// Python 3.11 on the 2-core reference machine: map 0.17-0.28 us/item (default
// chunksize), 31-50 us/item (chunksize 1, 20k items), apply_async+get 224-321 us,
// primes speed-up 1.82x, ThreadPoolExecutor.submit 9-16 us/task.
// mp there (2 cores, quiet), Python 3.11 measured beside it by bench.py: map
// 0.0033 us/item (51x), chunksize 1 0.70 us/item (55x), apply_async+get 2.6 us
// (103x; a raw pipe round trip is 23 us), primes speed-up 1.99x (plain threads:
// 1.97x), ThreadPoolExecutor 2.5 us/task (7x).
// Per-item figures are also stored as the counter `us_per_item`.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <sched.h>

#include "mp/executor.hpp"
#include "mp/pool.hpp"
#include "mp/process.hpp"

namespace {

using Clock = std::chrono::steady_clock;

int ident(int x) { return x; }

std::vector<int> iota(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// The CPUs this process may run on (cpu_count() unless restricted with taskset).
int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return mp::cpu_count();
  return CPU_COUNT(&set);
}

// The pool under test, made once per benchmark run and warmed up: one worker
// per usable CPU, as Python's Pool() on a machine of that size.
mp::Pool& warm_pool() {
  static mp::Pool pool(usable_cpus());
  return pool;
}

void map_per_item(benchmark::State& state, int items, std::size_t chunksize) {
  mp::Pool& pool = warm_pool();
  const std::vector<int> input = iota(items);
  (void)pool.map(ident, input, chunksize);  // warm-up: every ring page mapped in every process
  const auto t0 = Clock::now();
  for (auto _ : state) {
    std::vector<int> out = pool.map(ident, input, chunksize);
    benchmark::DoNotOptimize(out.data());
    if (out.back() != items - 1) state.SkipWithError("wrong result");
  }
  const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  const auto total = static_cast<double>(state.iterations()) * items;
  state.SetItemsProcessed(state.iterations() * items);
  state.counters["us_per_item"] = us / total;
}

// Python: pool.map(ident, range(100_000)) with the default chunksize (12500 for 2 workers).
void BM_pool_map_100k_default_chunksize(benchmark::State& state) { map_per_item(state, 100'000, 0); }
BENCHMARK(BM_pool_map_100k_default_chunksize)->UseRealTime()->Unit(benchmark::kMillisecond);

// Python: pool.map(ident, range(20_000), chunksize=1): one task message per item.
void BM_pool_map_20k_chunksize_1(benchmark::State& state) { map_per_item(state, 20'000, 1); }
BENCHMARK(BM_pool_map_20k_chunksize_1)->UseRealTime()->Unit(benchmark::kMillisecond);

// Python: pool.apply_async(ident, (i,)).get(), one task in flight. One iteration = one round trip.
void BM_pool_apply_async_roundtrip(benchmark::State& state) {
  mp::Pool& pool = warm_pool();
  for (int i = 0; i < 100; ++i) (void)pool.apply_async(ident, i).get();
  int i = 0;
  for (auto _ : state) {
    if (pool.apply_async(ident, i).get() != i) state.SkipWithError("wrong result");
    ++i;
  }
}
BENCHMARK(BM_pool_apply_async_roundtrip)->UseRealTime()->Unit(benchmark::kMicrosecond);

// CPU-bound work: count the primes below 2 000 000 by trial division, in 16
// chunks, serially in this process and then on the pool (one worker per usable
// CPU: 2 on the 2-core machine). The speed-up is serial / parallel time.
// Chunk i takes the odd numbers n = 2i + 1 + 32k (and chunk 0 the prime 2),
// so that the chunks cost the same: 16 equal *ranges* would not (the top one
// holds the costliest primes and alone caps 16 workers near 10x).
// scripts/bench.py splits Python's work the same way.
constexpr std::int64_t primes_limit = 2'000'000;
constexpr int primes_chunks = 16;

std::int64_t count_primes(std::int64_t chunk, std::int64_t chunks) {
  const auto limit = static_cast<std::uint32_t>(primes_limit);
  std::int64_t count = chunk == 0 ? 1 : 0;  // 2
  for (auto n = static_cast<std::uint32_t>(2 * chunk + 1); n < limit;
       n += static_cast<std::uint32_t>(2 * chunks)) {
    bool prime = n > 1;
    for (std::uint32_t d = 3; prime && d * d <= n; d += 2) prime = n % d != 0;
    count += prime ? 1 : 0;
  }
  return count;
}

std::vector<std::pair<std::int64_t, std::int64_t>> prime_ranges() {
  std::vector<std::pair<std::int64_t, std::int64_t>> r;
  for (int i = 0; i < primes_chunks; ++i) r.emplace_back(i, primes_chunks);
  return r;
}

constexpr std::int64_t primes_below_2m = 148'933;

void BM_pool_primes_serial(benchmark::State& state) {
  const auto ranges = prime_ranges();
  for (auto _ : state) {
    std::int64_t total = 0;
    for (const auto& [lo, hi] : ranges) total += count_primes(lo, hi);
    if (total != primes_below_2m) state.SkipWithError("wrong prime count");
  }
}
BENCHMARK(BM_pool_primes_serial)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_pool_primes_parallel(benchmark::State& state) {
  mp::Pool& pool = warm_pool();
  const auto ranges = prime_ranges();
  state.counters["workers"] = pool.processes();
  for (auto _ : state) {
    const auto counts = pool.starmap(count_primes, ranges, 1);
    if (std::accumulate(counts.begin(), counts.end(), std::int64_t{0}) != primes_below_2m) {
      state.SkipWithError("wrong prime count");
    }
  }
}
BENCHMARK(BM_pool_primes_parallel)->UseRealTime()->Unit(benchmark::kMillisecond);

// The speed-up curve (./course bench's plot): the same work on pools of 1, 2,
// 4, ... workers, up to twice the usable CPUs (where it must flatten).
void BM_pool_primes_workers(benchmark::State& state) {
  mp::Pool pool(static_cast<int>(state.range(0)));
  const auto ranges = prime_ranges();
  (void)pool.starmap(count_primes, ranges, 1);  // warm: every worker started and mapped
  state.counters["workers"] = static_cast<double>(state.range(0));
  for (auto _ : state) {
    const auto counts = pool.starmap(count_primes, ranges, 1);
    if (std::accumulate(counts.begin(), counts.end(), std::int64_t{0}) != primes_below_2m) {
      state.SkipWithError("wrong prime count");
    }
  }
}
BENCHMARK(BM_pool_primes_workers)
    ->Apply([](benchmark::internal::Benchmark* b) {
      for (int n = 1; n <= 2 * usable_cpus(); n *= 2) b->Arg(n);
    })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Floor: the same 16 chunks on plain std::threads (one per usable CPU, chunk
// i on thread i mod N), no pool: what the machine itself gives in parallel
// (all-core clock rates and shared caches included).
void BM_floor_threads_primes_parallel(benchmark::State& state) {
  const auto ranges = prime_ranges();
  const int n = usable_cpus();
  state.counters["threads"] = n;
  for (auto _ : state) {
    std::vector<std::int64_t> counts(static_cast<std::size_t>(n), 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < n; ++t) {
      threads.emplace_back([&, t] {
        for (std::size_t i = static_cast<std::size_t>(t); i < ranges.size();
             i += static_cast<std::size_t>(n)) {
          counts[static_cast<std::size_t>(t)] += count_primes(ranges[i].first, ranges[i].second);
        }
      });
    }
    for (auto& th : threads) th.join();
    if (std::accumulate(counts.begin(), counts.end(), std::int64_t{0}) != primes_below_2m) {
      state.SkipWithError("wrong prime count");
    }
  }
}
BENCHMARK(BM_floor_threads_primes_parallel)->UseRealTime()->Unit(benchmark::kMillisecond);

// How fast a burst wakes sleeping workers: one task per worker, each noting
// when it started (CLOCK_MONOTONIC is the same clock in every process) and
// then busy for 2 ms, so no worker takes two. The time reported is from
// submitting the burst to the start of its last task: the wake-up spread that
// max_wakeups_in_flight trades off (pool.cpp). Workers sleep before each burst.
// 16-vCPU Xeon, mean of 200 bursts, two runs: 776 / 404 us with four wake-ups in
// flight, 1024 / 566 us with one (a chain); 2 workers on 2 of its CPUs: 87 us.
std::int64_t started_at_ns(int /*unused*/) {
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::milliseconds(2)) {
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count();
}

void BM_pool_burst_last_start(benchmark::State& state) {
  mp::Pool& pool = warm_pool();
  const std::vector<int> burst(static_cast<std::size_t>(pool.processes()), 0);
  state.counters["workers"] = pool.processes();
  for (auto _ : state) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // every worker goes to sleep
    const auto t0 = Clock::now();
    const std::vector<std::int64_t> starts = pool.map(started_at_ns, burst, 1);
    const auto t0_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch()).count();
    const auto last = *std::max_element(starts.begin(), starts.end());
    state.SetIterationTime(static_cast<double>(last - t0_ns) * 1e-9);
  }
}
BENCHMARK(BM_pool_burst_last_start)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(200);

// Python: ThreadPoolExecutor(2): submit 10k tasks, then result() on all.
// One iteration = 10k tasks; us_per_item = the cost per task.
void BM_thread_pool_executor_submit(benchmark::State& state) {
  constexpr int tasks = 10'000;
  mp::ThreadPoolExecutor ex(2);
  std::vector<mp::Future<int>> futures;
  futures.reserve(tasks);
  const auto t0 = Clock::now();
  for (auto _ : state) {
    futures.clear();
    for (int i = 0; i < tasks; ++i) futures.push_back(ex.submit(ident, i));
    std::int64_t sum = 0;
    for (auto& f : futures) sum += f.result();
    benchmark::DoNotOptimize(sum);
  }
  const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  state.SetItemsProcessed(state.iterations() * tasks);
  state.counters["us_per_item"] = us / (static_cast<double>(state.iterations()) * tasks);
}
BENCHMARK(BM_thread_pool_executor_submit)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
