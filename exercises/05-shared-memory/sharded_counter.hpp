// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in sharded_counter.cpp (the members declared here).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 05, exercise 2 ("build it"): a counter that many processes
/// add to at the same time, without a lock and without false sharing: one
/// shard (a count of its own) per CPU, padded to a cache line, summed when
/// read. The idea of Linux's per-CPU counters and of Java's `LongAdder`.
///
/// Python counterpart (the same design; Python has no atomic add, so each
/// shard needs its lock, no `sched_getcpu`, so it picks a shard by pid, and
/// its interpreter hides the cache effects):
/// @code{.py}
/// class ShardedCounter:
///     def __init__(self, shards):
///         self.shards = [Value('q', 0) for _ in range(shards)]  # each in its own memory
///     def add(self, n=1):
///         shard = self.shards[os.getpid() % len(self.shards)]
///         with shard.get_lock():
///             shard.value += n
///     def value(self):
///         return sum(s.value for s in self.shards)
/// @endcode
///
/// Lesson: lessons/05-shared-memory/README.md, "Exercise 2: sharded_counter".
#include <cstddef>
#include <cstdint>

#include <mp/array.hpp>

namespace lesson05 {

/// A 64-bit counter in shared memory that any number of processes (and
/// threads) add to at once, fast.
///
/// **Handle.** A ShardedCounter is a handle, like mp::Value: copies, and the
/// copies that forked children inherit, are the same counter. Make it before
/// starting the processes that use it.
///
/// **Design (fixed by the members below).** The counter is `shards()`
/// 64-bit counts in one anonymous shared mapping (`slots_`, an
/// mp::RawArray<std::int64_t>; you choose how many elements it has and
/// where each shard's count lives in it). add() adds to the shard of the
/// CPU the caller runs on, `sched_getcpu() % shards()` (about 1 ns: glibc
/// reads it from memory the kernel keeps up to date; `getpid()` is a system
/// call, 60 times slower), with an atomic read-modify-write
/// (`std::atomic_ref<std::int64_t>(count).fetch_add(n, ...)`): a process may
/// move to another CPU between the two steps, and two CPUs may share a
/// shard, so a plain `+=` would lose updates. value() adds up the shards.
/// Two shards must never share a 64-byte cache line: processes adding to
/// neighbouring counts would slow each other down (false sharing) although
/// they never touch the same count.
///
/// **Consistency.** value() is exact when no add() is under way (every
/// add() that returned before value() began is counted); while others add,
/// it is some value between the one at its start and the one at its end
/// (with only positive adds, successive value() calls never decrease).
///
/// **Processes that die.** What an add() stored stays counted when its
/// process dies; a process killed inside add() has added all of `n` or
/// nothing (one atomic instruction).
///
/// **Thread and process safety.** Every member may be called at the same
/// time from any thread of any process that has a handle. Nothing blocks.
///
/// @code
/// lesson05::ShardedCounter hits(8);
/// std::vector<mp::Process> ps;
/// for (int i = 0; i < 4; ++i)
///   ps.emplace_back([hits]() mutable { for (int k = 0; k < 1000; ++k) hits.add(); });
/// for (auto& p : ps) p.start();
/// for (auto& p : ps) p.join();
/// std::cout << hits.value() << '\n';   // 4000
/// @endcode
class ShardedCounter {
public:
  /// A counter at 0 with `shards` shards, in shared memory.
  /// @throws mp::ValueError when `shards` is 0 or above 4096;
  ///         std::system_error when mmap fails.
  explicit ShardedCounter(std::size_t shards);

  /// Adds `n` (which may be negative) to the shard of the caller's CPU,
  /// atomically. Never blocks, never throws.
  void add(std::int64_t n = 1);

  /// The sum of all shards (see "Consistency"). Never blocks, never throws.
  [[nodiscard]] std::int64_t value() const;

  /// The number of shards given at construction.
  [[nodiscard]] std::size_t shards() const;

private:
  /// Where the shards' counts live, in shared memory: you choose its size
  /// and the index of shard i's count (mind the cache lines).
  mp::RawArray<std::int64_t> slots_;
  /// The number of shards.
  std::size_t shards_;
};

}  // namespace lesson05
