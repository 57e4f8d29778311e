// Lesson 05, exercise 2: sharded_counter (see sharded_counter.hpp for the contract).
// Reference solution.
#include "sharded_counter.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include <sched.h>

#include <mp/error.hpp>

namespace lesson05 {

namespace {

// Shard i's count is slots_[i * stride]: 8 counts of 8 bytes are one 64-byte
// cache line, so each shard has a line to itself (the mapping starts on a
// page, so element 0 starts a line). Neighbouring shards never share one.
constexpr std::size_t cache_line = 64;
constexpr std::size_t stride = cache_line / sizeof(std::int64_t);
constexpr std::size_t max_shards = 4096;

std::size_t checked(std::size_t shards) {
  if (shards == 0 || shards > max_shards)
    throw mp::ValueError("ShardedCounter: shards must be between 1 and " + std::to_string(max_shards) +
                         ", not " + std::to_string(shards));
  return shards;
}

}  // namespace

ShardedCounter::ShardedCounter(std::size_t shards) : slots_(checked(shards) * stride), shards_(shards) {}

void ShardedCounter::add(std::int64_t n) {
  // The CPU we run on: processes running at the same moment are on different
  // CPUs, so they add to different cache lines. sched_getcpu() fails (-1)
  // only where the kernel cannot say: then shard 0.
  const int cpu = ::sched_getcpu();
  const std::size_t shard = cpu < 0 ? 0 : static_cast<std::size_t>(cpu) % shards_;
  // One atomic instruction (lock xadd): a process moved to another CPU since
  // sched_getcpu(), or two CPUs on one shard, lose nothing. Relaxed: the
  // count orders nothing else.
  std::atomic_ref<std::int64_t>(slots_[shard * stride]).fetch_add(n, std::memory_order_relaxed);
}

std::int64_t ShardedCounter::value() const {
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < shards_; ++i)
    // atomic_ref needs a non-const object (C++20); loading does not modify it.
    sum += std::atomic_ref<std::int64_t>(const_cast<std::int64_t&>(slots_[i * stride]))
               .load(std::memory_order_relaxed);
  return sum;
}

std::size_t ShardedCounter::shards() const { return shards_; }

}  // namespace lesson05
