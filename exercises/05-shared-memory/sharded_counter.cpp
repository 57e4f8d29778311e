// Lesson 05, exercise 2: sharded_counter (see sharded_counter.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 05
#include "sharded_counter.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include <sched.h>

#include <mp/error.hpp>

namespace lesson05 {

ShardedCounter::ShardedCounter([[maybe_unused]] std::size_t shards) : slots_(1), shards_(0) {
  // TODO(task 2): check `shards` (mp::ValueError); make slots_ large enough
  //   that every shard's count has a 64-byte cache line to itself (assign a
  //   new mp::RawArray<std::int64_t>, or better, size it in the member
  //   initialiser list above).
  throw mp::NotImplemented("05/task 2: ShardedCounter() in exercises/05-shared-memory/sharded_counter.cpp");
}

void ShardedCounter::add([[maybe_unused]] std::int64_t n) {
  // TODO(task 2): find the shard of the CPU you run on (sched_getcpu() %
  //   shards_), and add `n` to its count with ONE atomic read-modify-write.
  throw mp::NotImplemented(
      "05/task 2: ShardedCounter::add() in exercises/05-shared-memory/sharded_counter.cpp");
}

std::int64_t ShardedCounter::value() const {
  // TODO(task 2): the sum of every shard's count (read each one atomically).
  throw mp::NotImplemented(
      "05/task 2: ShardedCounter::value() in exercises/05-shared-memory/sharded_counter.cpp");
}

std::size_t ShardedCounter::shards() const {
  // TODO(task 2): the number of shards given to the constructor.
  throw mp::NotImplemented(
      "05/task 2: ShardedCounter::shards() in exercises/05-shared-memory/sharded_counter.cpp");
}

}  // namespace lesson05
