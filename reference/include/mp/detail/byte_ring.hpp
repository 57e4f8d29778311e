#pragma once
/// @file
/// @brief The shared-memory byte ring under mp::Queue, mp::SimpleQueue and mp::JoinableQueue.
///
/// Not a public API: mp/queue.hpp serializes items and calls this. It is a
/// multi-producer, multi-consumer queue of byte messages in one anonymous
/// `MAP_SHARED` mapping (so forked children share it and it can never leak):
///
/// ```
///  RingShared (header, cache-line separated)         ring of `capacity` bytes (power of two)
///  +-------------+-----------+-----------+---------+  +-----------------------------------------+
///  | constants   | producer  | consumer  | waiters |  | [hdr|payload..][hdr|payload..]...        |
///  |             | lock+line | lock+line | lines   |  +-----------------------------------------+
///  +-------------+-----------+-----------+---------+    ^ head (consumers)      ^ tail (producers)
/// ```
///
/// **Records.** `[u32 length | u32 kind][payload][pad to 8]`. Positions are
/// monotonically increasing u64 (index = pos & mask), so `tail - head` is the
/// number of bytes in use and no "full vs empty" ambiguity exists. Records
/// start at multiples of 8, so a header never straddles the wrap; a payload
/// may, and is copied in two pieces. A message of at most `whole_limit` bytes
/// is one `whole` record. A larger one (even larger than the ring) is
/// *streamed* as `first`, `middle`..., `last` records of at most a quarter of
/// the ring each, while the producer holds the producer lock and the consumer
/// the consumer lock, so the two overlap: the consumer empties the ring while
/// the producer fills it. `first` carries the message's total size (u64)
/// before its data.
///
/// **Locks.** Producers serialize among themselves with `producer_lock`,
/// consumers with `consumer_lock` (both robust, process-shared). One producer
/// and one consumer therefore run like a single-producer single-consumer ring
/// and never contend with each other: the producer writes a record and then
/// publishes `tail`; the consumer reads `tail`, copies the record out, and
/// publishes `head`. A producer waiting for room, or a consumer waiting for
/// data, keeps its lock while it sleeps, so at most one process sleeps on each
/// futex word and the others queue up on the mutex (as Python's Queue holds
/// its reader lock while it waits in `recv`).
///
/// **Sleeping and waking.** A side that cannot go on spins a few microseconds
/// (the other side is usually mid-operation on the other core), then registers
/// in `consumers_waiting` / `producers_waiting` and sleeps on the futex word
/// `data_seq` / `space_seq`. The other side checks that flag after each
/// publication (a load that hits the cache) and makes the wake syscall only
/// when it is set, so the steady-state fast path makes no system call.
/// Dekker-style pairing (both sides: seq_cst store, then seq_cst load of the
/// other's variable) guarantees that either the waker sees the flag or the
/// sleeper sees the new position; reading the sequence word before
/// registering makes a wake that slips in before the sleep a no-op sleep.
///
/// **Non-blocking calls** (expired deadline) do not wait for room or data, and
/// wait for the side's lock only while its holder is active: they give up at
/// once when the holder sleeps for room/data, and after ~64 pauses and ~64
/// sched_yield()s otherwise (a holder streaming a huge message).
///
/// **Crash safety.** A process can be SIGKILLed at any instruction:
/// - A producer dying before it publishes `tail` leaves its partial record
///   invisible. `put_count` is bumped just before the publication, together
///   with a "pending" marker; the next owner of the producer lock (robust: it
///   sees owner_died) undoes the bump if `tail` was not published. The same
///   holds for `get_count` and `head` on the consumer side.
/// - A producer dying in the middle of a streamed message: the next owner of
///   the producer lock (a producer, or the consumer that is waiting for the
///   rest of the message and tries the lock to check) appends an `abort_lost`
///   record; the consumer drops the partial message and raises mp::Error
///   saying it was lost. A streamed put that times out appends `abort_timeout`
///   (the putter gets mp::Full; consumers skip the partial message silently).
///   A chunk is written only when 8 bytes stay free after it, so the abort
///   record always fits.
/// - A consumer dying before it publishes `head` leaves the record in the ring
///   for the next consumer. One dying while it reads a streamed message took
///   that message with it: the next get() raises mp::Error saying a message
///   was lost (`consumer_streaming`), and the gets after it skip the rest of
///   its records.
/// - Either side dying while asleep leaves its waiting flag set; the next
///   owner of that lock clears it (only the lock holder ever sleeps there)
///   and wakes the other side, in case the dead one had cleared the other's
///   flag without waking it.
/// - No sleep is unbounded: a sleeper re-registers and re-checks every
///   futex::recheck_interval, so a waker killed between clearing the
///   sleeper's flag and its wake system call delays it by at most that.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mp/detail/robust_mutex.hpp"
#include "mp/timeout.hpp"

namespace mp::detail {

/// The shared header of a ring, followed in the same mapping by the ring's bytes.
/// Every field names the lock that guards it; atomics say their memory order.
struct alignas(64) RingShared {
  RingShared(std::uint64_t capacity_bytes, std::uint64_t max_items, std::uint64_t trace_number);

  // ---- constants: written before fork, read-only afterwards ----
  const std::uint64_t capacity;      ///< ring bytes, a power of two
  const std::uint64_t mask;          ///< capacity - 1
  const std::uint64_t maxsize;       ///< item limit; 0 = none (only the bytes bound)
  const std::uint64_t record_limit;  ///< largest record (header included): capacity / 4
  const std::uint64_t whole_limit;   ///< largest payload sent as one record
  /// With tracing on, the ring's item count is the counter "queue N" (N is
  /// this number: the creating process's count of traced rings); 0 = not traced.
  const std::uint64_t trace_number;

  alignas(64) RobustMutex producer_lock;
  alignas(64) RobustMutex consumer_lock;

  // ---- producer line: written only under producer_lock ----
  /// End of the published records. Stored seq_cst (release for the record
  /// bytes, plus the Dekker pairing with consumers_waiting); read seq_cst.
  alignas(64) std::atomic<std::uint64_t> tail{0};
  /// Messages put so far, bumped just before the `tail` that publishes the
  /// message (so put_count >= get_count always). Stored release, read acquire.
  std::atomic<std::uint64_t> put_count{0};
  /// Crash repair: while `pending_put` (the put_count value being
  /// published) is non-zero, `tail != pending_tail` means the count was
  /// bumped but the message never published. Relaxed stores, ordered before
  /// the release store of put_count.
  std::atomic<std::uint64_t> pending_tail{0};
  std::atomic<std::uint64_t> pending_put{0};
  /// 1 while a streamed message is partly published (see the file notes). Relaxed.
  std::atomic<std::uint32_t> streaming{0};
  std::uint64_t head_cache = 0;       ///< last head read (producer_lock)
  std::uint64_t get_count_cache = 0;  ///< last get_count read (producer_lock)

  // ---- consumer line: written only under consumer_lock ----
  /// Start of the unread records. Stored seq_cst (release: we are done reading
  /// the bytes, plus the Dekker pairing with producers_waiting); read seq_cst.
  alignas(64) std::atomic<std::uint64_t> head{0};
  /// Messages taken so far, bumped just before `head`. Release/acquire.
  std::atomic<std::uint64_t> get_count{0};
  std::atomic<std::uint64_t> pending_head{0};  ///< as pending_tail
  std::atomic<std::uint64_t> pending_get{0};   ///< as pending_put
  std::uint64_t tail_cache = 0;                ///< last tail read (consumer_lock)
  /// 1 from taking the first part of a streamed message until its last part:
  /// the next owner of a dead holder's lock then says the message was lost. Relaxed.
  std::atomic<std::uint32_t> consumer_streaming{0};

  // ---- waiting: touched on the slow path only ----
  /// Bumped (release) by a producer to wake the consumer sleeping on it.
  alignas(64) std::atomic<std::uint32_t> data_seq{0};
  /// 1 while the consumer_lock holder sleeps for data; cleared by the waker
  /// (exchange) so that one sleep costs one wake syscall. seq_cst (Dekker with tail).
  std::atomic<std::uint32_t> consumers_waiting{0};
  alignas(64) std::atomic<std::uint32_t> space_seq{0};  ///< as data_seq, for room
  std::atomic<std::uint32_t> producers_waiting{0};      ///< as consumers_waiting, with head

  // ---- JoinableQueue: no lock, atomics only ----
  /// task_done() calls so far; unfinished tasks = put_count - tasks_done.
  /// seq_cst (Dekker with joiners_waiting).
  alignas(64) std::atomic<std::uint64_t> tasks_done{0};
  std::atomic<std::uint32_t> join_seq{0};         ///< bumped (release) when the last task is done
  std::atomic<std::uint32_t> joiners_waiting{0};  ///< threads in join(); seq_cst
};

/// A process-local handle on a shared ring: copyable, copies share the ring.
/// Thread-safe (the locks are process-shared mutexes, which also exclude
/// threads of one process); construct before fork.
class ByteRing {
public:
  /// One message handed to a get() sink: its bytes are `first` followed by
  /// `second` (non-empty when the record wraps around the ring's end). When
  /// the message was streamed, `owned` points to a buffer holding all of it
  /// (then `first` views it) that the sink may move from.
  struct Message {
    std::string_view first;
    std::string_view second;
    std::string* owned = nullptr;
  };
  /// Receives the message inside get(), before it leaves the ring. If it
  /// throws, the message is still removed and the exception propagates.
  using Sink = void (*)(void* ctx, const Message& message);

  /// Largest accepted capacity_bytes.
  static constexpr std::size_t max_capacity = std::size_t{1} << 30;

  /// Maps a ring of `capacity_bytes` rounded up to a power of two (at least
  /// 4 KiB), holding at most `maxsize` messages (0 = no item limit). A
  /// `traced` ring records its item count at each put and get while tracing
  /// is on (mp/trace.hpp): a user's queue is, the pool's own rings are not.
  /// @throws mp::ValueError when capacity_bytes exceeds max_capacity;
  ///         std::system_error from mmap.
  ByteRing(std::size_t capacity_bytes, std::size_t maxsize, bool traced = false);

  /// Appends one message. Blocks (spin, then futex sleep, holding the
  /// producer lock) until there is room or `deadline` passes. A message larger
  /// than the ring is streamed through it as the consumer drains it.
  /// Every message counts as a task for task_done()/join().
  /// @return false when the deadline passed first (nothing was put).
  /// @throws std::system_error from the kernel.
  bool put(std::string_view bytes, const Deadline& deadline);

  /// Removes the oldest message and hands it to `sink`. Blocks until a message
  /// arrives or `deadline` passes; once it has started to receive a streamed
  /// message it finishes it whatever the deadline (the parts already taken
  /// cannot be put back), as long as the producer lives.
  /// @return false when the deadline passed first (nothing was taken).
  /// @throws mp::Error when the producer of a streamed message died while
  ///         sending it, or a consumer died while receiving one (the message
  ///         is lost; the queue stays usable).
  bool get(Sink sink, void* ctx, const Deadline& deadline);

  /// put_count - get_count: approximate while other processes work on the ring.
  [[nodiscard]] std::size_t qsize() const noexcept;
  [[nodiscard]] std::size_t maxsize() const noexcept { return static_cast<std::size_t>(shared_->maxsize); }
  [[nodiscard]] std::size_t capacity() const noexcept { return static_cast<std::size_t>(shared_->capacity); }

  /// JoinableQueue::task_done. @throws mp::ValueError when called more times than items were put.
  void task_done();
  /// JoinableQueue::join: true once unfinished_tasks() is 0, false at the deadline.
  bool join(const Deadline& deadline);
  [[nodiscard]] std::size_t unfinished_tasks() const noexcept;

private:
  bool has_room(std::uint64_t bytes, bool needs_item_slot);
  bool wait_for_room(std::uint64_t bytes, bool needs_item_slot, const Deadline& deadline);
  bool has_data();
  bool wait_for_data(const Deadline& deadline, bool mid_stream);
  void check_streaming_producer();
  std::uint64_t write_record(std::uint64_t pos, std::uint32_t kind, std::string_view a, std::string_view b);
  void copy_in(std::uint64_t pos, std::string_view bytes);
  void copy_out(std::uint64_t pos, std::uint64_t n, std::string& out) const;
  void publish_tail(std::uint64_t new_tail, bool completes_message);
  void consume(std::uint64_t new_head, bool completes_message);
  void trace_items() const;  // the item count as a trace counter (tracing on)
  void wake_consumer();
  void wake_producer();
  void repair_producer_side();
  bool repair_consumer_side();
  void wake_joiners_if_done();

  std::shared_ptr<RingShared> shared_;
  char* data_ = nullptr;
};

}  // namespace mp::detail
