// Benchmarks of the synchronisation primitives, beside the bare pthread mutex
// ("floor") that the machine offers for the same work.
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>
#include <pthread.h>

#include "mp/barrier.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/detail/syscall.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"

namespace {

// A plain process-shared pthread mutex (not robust, default type) in shared memory.
struct PlainSharedMutex {
  PlainSharedMutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    mp::detail::check_pthread("pthread_mutex_init", pthread_mutex_init(&m, &attr));
    pthread_mutexattr_destroy(&attr);
  }
  ~PlainSharedMutex() { pthread_mutex_destroy(&m); }
  PlainSharedMutex(const PlainSharedMutex&) = delete;
  PlainSharedMutex& operator=(const PlainSharedMutex&) = delete;
  void lock() { pthread_mutex_lock(&m); }
  void unlock() { pthread_mutex_unlock(&m); }
  pthread_mutex_t m{};
};

struct Counter {
  std::int64_t value = 0;
};

constexpr std::int64_t per_process = 1'000'000;

void BM_lock_uncontended(benchmark::State& state) {
  mp::Lock lock;
  for (auto _ : state) {
    lock.acquire();
    lock.release();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_lock_uncontended)->Unit(benchmark::kNanosecond);

void BM_floor_pthread_mutex_uncontended(benchmark::State& state) {
  auto mutex = mp::detail::make_shared_object<PlainSharedMutex>();
  for (auto _ : state) {
    mutex->lock();
    mutex->unlock();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_floor_pthread_mutex_uncontended)->Unit(benchmark::kNanosecond);

// One iteration: this process and one forked child each do `per_process`
// {lock; ++counter; unlock} on a shared counter, starting together at a
// barrier. The fork (~1 ms) is inside the timing, against ~50 ms of work.
template <class AnyLock>
void contended_2proc(benchmark::State& state, AnyLock& lock) {
  auto counter = mp::detail::make_shared_object<Counter>();
  mp::Barrier start(2);
  auto work = [&] {
    for (std::int64_t i = 0; i < per_process; ++i) {
      lock.lock();
      counter->value = counter->value + 1;
      lock.unlock();
    }
  };
  for (auto _ : state) {
    counter->value = 0;
    mp::Process child([&] {
      (void)start.wait();
      work();
    });
    child.start();
    (void)start.wait();
    work();
    child.join();
    if (child.exitcode() != 0 || counter->value != 2 * per_process) {
      state.SkipWithError(("lost increments: counter = " + std::to_string(counter->value)).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 2 * per_process);
}

void BM_lock_contended_2proc(benchmark::State& state) {
  mp::Lock lock;
  contended_2proc(state, lock);
}
BENCHMARK(BM_lock_contended_2proc)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_floor_pthread_mutex_contended_2proc(benchmark::State& state) {
  auto mutex = mp::detail::make_shared_object<PlainSharedMutex>();
  contended_2proc(state, *mutex);
}
BENCHMARK(BM_floor_pthread_mutex_contended_2proc)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
