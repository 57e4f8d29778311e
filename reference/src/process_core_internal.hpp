#pragma once
// What the sources of ProcessCore share (not installed): tuning constants,
// the handler-thread flag, message splitting. See process_core.cpp for the
// protocol between the parent and its workers.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mp/detail/byte_ring.hpp"
#include "mp/detail/process_core.hpp"

namespace mp::detail::process_core_tuning {

using namespace std::chrono_literals;
inline constexpr auto seq_cst = std::memory_order_seq_cst;
inline constexpr auto acquire = std::memory_order_acquire;
inline constexpr auto release = std::memory_order_release;
inline constexpr auto relaxed = std::memory_order_relaxed;

// Task ring: holds a 20k-item chunksize=1 map at once (48 bytes per task).
inline constexpr std::size_t task_ring_bytes = std::size_t{2} << 20;
inline constexpr std::size_t result_ring_bytes = std::size_t{2} << 20;
// How long a caller spins for a result before it sleeps: a worker's answer to
// a short task comes within a few microseconds when the worker is awake.
inline constexpr std::chrono::nanoseconds spin_budget = 20us;
// How long an idle worker spins for the next task before it sleeps: when the
// caller submits again right after get() returns, the task is taken at once,
// with no wake-up (the common apply_async loop).
inline constexpr std::chrono::nanoseconds worker_spin_budget = 50us;
// How many sleeping workers may be being woken at once (see the top comment):
// 1 is a chain, all at once stacks them on one CPU; 4 measured best on 16 CPUs.
inline constexpr std::size_t max_wakeups_in_flight = 4;
// A reader waiting for a large result being streamed re-checks this often.
inline constexpr std::chrono::milliseconds stream_slice = 10ms;
// The feeder's blocking put re-checks this often whether the pool stopped.
inline constexpr std::chrono::milliseconds feeder_slice = 50ms;
// Workers dying before their first task this many times in a row break the pool.
inline constexpr std::uint32_t max_early_deaths = 8;

// Whether this thread is the pool's handler thread (set once by handler_loop).
extern thread_local bool in_handler_thread;

// "killed by signal 9 (SIGKILL)" / "exited with code 3", for a worker's exit status.
std::string describe_exit(int code);

// Copies the first `n` bytes of a ring message (which may wrap) into `dst`;
// returns the rest of the message as one view, joined in `scratch` if needed.
std::string_view split_message(const ByteRing::Message& m, void* dst, std::size_t n, std::string& scratch);

}  // namespace mp::detail::process_core_tuning

namespace mp::detail {

struct ProcessCore::DrainContext {
  std::size_t delivered = 0;
  bool init_failed = false;
  std::vector<std::shared_ptr<JobBase>> callbacks;
};

}  // namespace mp::detail
