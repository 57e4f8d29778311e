// Benchmarks of mp::Queue / mp::SimpleQueue: one producer process (a forked
// child) -> one consumer (this process). The clock covers the whole transfer:
// from before start() until the last get() and the child's join().
// Python 3.11 on this machine: Queue ~150k msg/s (64 B), ~460 MB/s (4 KiB).
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>

#include <benchmark/benchmark.h>
#include <sched.h>

#include "mp/detail/shared_region.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"

namespace {

// Spin-wait step: pause, and every 1024 rounds yield the core.
inline void relax(unsigned& spins) {
  if ((++spins & 1023U) == 0) {
    ::sched_yield();
  } else {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

constexpr int messages_64 = 200'000;
constexpr int messages_4k = 50'000;

template <class Q>
void transfer(benchmark::State& state, Q& q, std::size_t size, int count) {
  const std::string message(size, 'm');
  for (auto _ : state) {
    mp::Process producer([&] {
      for (int i = 0; i < count; ++i) q.put(message);
    });
    producer.start();
    for (int i = 0; i < count; ++i) {
      std::string got = q.get();
      benchmark::DoNotOptimize(got.data());
    }
    producer.join();
  }
}

void BM_queue_64B(benchmark::State& state) {
  mp::Queue<std::string> q;
  transfer(state, q, 64, messages_64);
  state.SetItemsProcessed(state.iterations() * messages_64);
}
BENCHMARK(BM_queue_64B)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_queue_4KiB(benchmark::State& state) {
  mp::Queue<std::string> q;
  transfer(state, q, 4096, messages_4k);
  state.SetBytesProcessed(state.iterations() * messages_4k * 4096);
}
BENCHMARK(BM_queue_4KiB)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_simplequeue_64B(benchmark::State& state) {
  mp::SimpleQueue<std::string> q;
  transfer(state, q, 64, messages_64);
  state.SetItemsProcessed(state.iterations() * messages_64);
}
BENCHMARK(BM_simplequeue_64B)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- floor: the bare machine's shared-memory transfer ----
// A lock-free single-producer single-consumer ring of fixed slots in an
// anonymous shared mapping: indexes on separate cache lines, each side caches
// the other's index, both sides busy-wait, no serialization, no allocation,
// no blocking. What any queue between two processes can at best approach.
// The busy-waits yield the core after a while, so that the floor stays
// meaningful when the two processes share a core with other work.

template <std::size_t SlotBytes, std::size_t Slots>
struct SpscRing {
  alignas(64) std::atomic<std::uint64_t> tail{0};  // written by the producer (release)
  alignas(64) std::atomic<std::uint64_t> head{0};  // written by the consumer (release)
  alignas(64) char slots[Slots][SlotBytes];
};

template <std::size_t SlotBytes, std::size_t Slots>
void spsc_floor(benchmark::State& state, int count) {
  using Ring = SpscRing<SlotBytes, Slots>;
  auto ring = mp::detail::make_shared_object<Ring>();
  std::uint64_t next = 0;  // messages sent so far, over all iterations
  for (auto _ : state) {
    const std::uint64_t first = next;
    mp::Process producer([&] {
      std::uint64_t head_seen = ring->head.load(std::memory_order_acquire);
      char message[SlotBytes];
      std::memset(message, 'm', SlotBytes);
      for (std::uint64_t i = first; i < first + static_cast<std::uint64_t>(count); ++i) {
        for (unsigned spins = 0; i - head_seen >= Slots; relax(spins)) {
          head_seen = ring->head.load(std::memory_order_acquire);
        }
        std::memcpy(ring->slots[i % Slots], message, SlotBytes);
        ring->tail.store(i + 1, std::memory_order_release);
      }
    });
    producer.start();
    char out[SlotBytes];
    std::uint64_t tail_seen = first;
    for (std::uint64_t i = first; i < first + static_cast<std::uint64_t>(count); ++i) {
      for (unsigned spins = 0; tail_seen == i; relax(spins))
        tail_seen = ring->tail.load(std::memory_order_acquire);
      std::memcpy(out, ring->slots[i % Slots], SlotBytes);
      benchmark::DoNotOptimize(out);
      ring->head.store(i + 1, std::memory_order_release);
    }
    next = first + static_cast<std::uint64_t>(count);
    producer.join();
  }
}

void BM_floor_spsc_ring_64B(benchmark::State& state) {
  spsc_floor<64, 4096>(state, messages_64);
  state.SetItemsProcessed(state.iterations() * messages_64);
}
BENCHMARK(BM_floor_spsc_ring_64B)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_floor_spsc_ring_4KiB(benchmark::State& state) {
  spsc_floor<4096, 256>(state, messages_4k);
  state.SetBytesProcessed(state.iterations() * messages_4k * 4096);
}
BENCHMARK(BM_floor_spsc_ring_4KiB)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
