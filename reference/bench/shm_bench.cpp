// Benchmarks of mp::Value / mp::Array, with the bare machine's floor beside them.
#include <cstddef>
#include <mutex>
#include <numeric>

#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp/array.hpp"
#include "mp/process.hpp"
#include "mp/value.hpp"

namespace {

constexpr int increments_per_process = 100'000;
constexpr std::size_t array_len = 1'000'000;

// 2 processes x 100k of `with v.get_lock(): v.value += 1` (Python's figure:
// about 530k ops/s); each iteration starts and joins both children.
void BM_value_locked_increments_2proc(benchmark::State& state) {
  mp::Value<int> v(0);
  for (auto _ : state) {
    v.set_value(0);
    auto work = [v]() mutable {
      for (int i = 0; i < increments_per_process; ++i) {
        std::lock_guard g(v.get_lock());
        v.get_obj() += 1;
      }
    };
    mp::Process a(work);
    mp::Process b(work);
    a.start();
    b.start();
    a.join();
    b.join();
    if (v.value() != 2 * increments_per_process || a.exitcode() != 0 || b.exitcode() != 0) {
      state.SkipWithError("lost increments, or a child failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 2 * increments_per_process);
}
BENCHMARK(BM_value_locked_increments_2proc)->UseRealTime()->Unit(benchmark::kMillisecond);

// The floor: a bare process-shared pthread mutex in MAP_SHARED memory, raw fork/waitpid.
void BM_floor_value_locked_increments_2proc(benchmark::State& state) {
  struct Shared {
    pthread_mutex_t m;
    int value;
  };
  void* mem = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    state.SkipWithError("mmap failed");
    return;
  }
  auto* s = static_cast<Shared*>(mem);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&s->m, &attr);
  pthread_mutexattr_destroy(&attr);
  for (auto _ : state) {
    s->value = 0;
    pid_t pids[2];
    for (pid_t& pid : pids) {
      pid = ::fork();
      if (pid == 0) {
        for (int i = 0; i < increments_per_process; ++i) {
          pthread_mutex_lock(&s->m);
          s->value += 1;
          pthread_mutex_unlock(&s->m);
        }
        ::_exit(0);
      }
    }
    for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
    if (s->value != 2 * increments_per_process) {
      state.SkipWithError("lost increments");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 2 * increments_per_process);
  pthread_mutex_destroy(&s->m);
  ::munmap(mem, sizeof(Shared));
}
BENCHMARK(BM_floor_value_locked_increments_2proc)->UseRealTime()->Unit(benchmark::kMillisecond);

// A child negates an Array<int> of 1M elements in place (Python: ~800 ms with
// lock=True, ~65 ms with lock=False); the time covers start..join.
void BM_array_negate_child_1M(benchmark::State& state) {
  mp::Array<int> a(array_len);
  std::iota(a.begin(), a.end(), 0);
  for (auto _ : state) {
    mp::Process p([a]() mutable {
      for (std::size_t i = 0; i < a.size(); ++i) a[i] = -a[i];
    });
    p.start();
    p.join();
    if (p.exitcode() != 0) {
      state.SkipWithError("the child failed");
      break;
    }
  }
  const int expect_last =
      state.iterations() % 2 == 0 ? static_cast<int>(array_len - 1) : -static_cast<int>(array_len - 1);
  if (a[array_len - 1] != expect_last) state.SkipWithError("the array was not negated");
  state.SetItemsProcessed(state.iterations() * static_cast<long long>(array_len));
}
BENCHMARK(BM_array_negate_child_1M)->UseRealTime()->Unit(benchmark::kMillisecond);

// The floor: the same loop on bare MAP_SHARED memory, raw fork/waitpid.
void BM_floor_array_negate_child_1M(benchmark::State& state) {
  const std::size_t bytes = array_len * sizeof(int);
  void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    state.SkipWithError("mmap failed");
    return;
  }
  int* a = static_cast<int*>(mem);
  std::iota(a, a + array_len, 0);
  // A length known only at run time, as a.size() is above: with a constant
  // one the compiler vectorises into separate loads and stores, whose first
  // touch of a page is a read; the kernel then maps 16 pages per fault
  // (fault-around) instead of 1 for negl's read-modify-write, which on this
  // VM (faults of several us) changes the time 3-fold. Same code, same faults.
  std::size_t n = array_len;
  benchmark::DoNotOptimize(n);
  for (auto _ : state) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      for (std::size_t i = 0; i < n; ++i) a[i] = -a[i];
      ::_exit(0);
    }
    ::waitpid(pid, nullptr, 0);
  }
  benchmark::DoNotOptimize(a[array_len - 1]);
  state.SetItemsProcessed(state.iterations() * static_cast<long long>(array_len));
  ::munmap(mem, bytes);
}
BENCHMARK(BM_floor_array_negate_child_1M)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
