#include "mp/detail/byte_ring.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <string>

#include <sched.h>

#include "mp/detail/fault_point.hpp"
#include "mp/detail/futex.hpp"
#include "mp/detail/schedule_point.hpp"
#include "mp/detail/shared_region.hpp"
#include "mp/detail/spin.hpp"
#include "mp/detail/spin_wait.hpp"
#include "mp/error.hpp"
#include "mp/trace.hpp"

namespace mp::detail {

namespace {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "the ring needs lock-free 64-bit atomics");

constexpr auto seq_cst = std::memory_order_seq_cst;
constexpr auto acquire = std::memory_order_acquire;
constexpr auto release = std::memory_order_release;
constexpr auto relaxed = std::memory_order_relaxed;

// Record kinds (the high half of a record's 8-byte header). 0 is never
// written, so zeroed memory can never pass for a record.
enum Kind : std::uint32_t {
  kind_whole = 1,          // a complete message
  kind_first = 2,          // first part of a streamed message: u64 total size, then data
  kind_middle = 3,         // a further part
  kind_last = 4,           // the final part: the message is complete
  kind_abort_timeout = 5,  // the streamed message was withdrawn: its put timed out
  kind_abort_lost = 6,     // the streamed message was lost: its producer died
};

constexpr std::uint64_t header_bytes = 8;
constexpr std::uint64_t min_capacity = 4096;

constexpr std::uint64_t record_size(std::uint64_t payload) {
  return header_bytes + ((payload + 7) & ~std::uint64_t{7});
}

// How long a side spins before it sleeps. The other side is usually in the
// middle of an operation on the other core and done within a few hundred
// nanoseconds; a futex sleep plus a cross-core wake costs ~20 us.
constexpr std::chrono::nanoseconds spin_budget{10'000};
constinit SpinBudget room_spin{spin_budget};  // adapted per process (mp/detail/spin.hpp)
constinit SpinBudget data_spin{spin_budget};
// A consumer in the middle of a streamed message re-checks this often that
// its producer is still alive (a dead one never wakes it).
constexpr std::chrono::milliseconds liveness_slice{20};

// Releases a lock on scope exit. unlock() only fails when we do not own the
// lock, which would be a bug here; a destructor must not throw anyway.
class Unlock {
public:
  explicit Unlock(RobustMutex& m) noexcept : m_(m) {}
  ~Unlock() {
    try {
      m_.unlock();
    } catch (...) {
    }
  }
  Unlock(const Unlock&) = delete;
  Unlock& operator=(const Unlock&) = delete;

private:
  RobustMutex& m_;
};

// Takes one side's lock. With time left, waits for it until the deadline.
// Without (put_nowait/get_nowait), waits a moment for a holder that is in the
// middle of a transfer, but gives up at once when the holder is asleep
// waiting for room/data: then the call would fail anyway.
Acquire take_lock(RobustMutex& m, const std::atomic<std::uint32_t>& holder_sleeping,
                  const Deadline& deadline) {
  Acquire r = m.try_lock();
  if (r != Acquire::timed_out) return r;
  if (!deadline.expired()) return m.lock(deadline);
  for (int round = 0; round < 128; ++round) {
    if (holder_sleeping.load(relaxed) != 0) return Acquire::timed_out;
    if (round < 64) {
      cpu_relax();
    } else {
      ::sched_yield();  // the holder may be waiting for this core
    }
    r = m.try_lock();
    if (r != Acquire::timed_out) return r;
  }
  return Acquire::timed_out;
}

}  // namespace

RingShared::RingShared(std::uint64_t capacity_bytes, std::uint64_t max_items, std::uint64_t number)
    : capacity(capacity_bytes),
      mask(capacity_bytes - 1),
      maxsize(max_items),
      record_limit(capacity_bytes / 4),
      whole_limit(capacity_bytes / 4 - header_bytes),
      trace_number(number) {}

ByteRing::ByteRing(std::size_t capacity_bytes, std::size_t maxsize, bool traced) {
  static std::atomic<std::uint64_t> traced_rings{0};
  if (capacity_bytes > max_capacity) {
    throw ValueError("mp::Queue: capacity_bytes is " + std::to_string(capacity_bytes) + ", the most is " +
                     std::to_string(max_capacity) + " (1 GiB)");
  }
  const std::uint64_t cap = std::bit_ceil(std::max<std::uint64_t>(capacity_bytes, min_capacity));
  shared_ = make_shared_object_with_extra<RingShared>(cap, cap, maxsize, traced ? ++traced_rings : 0);
  data_ = reinterpret_cast<char*>(shared_.get()) + sizeof(RingShared);
}

// ---------------------------------------------------------------- ring bytes

void ByteRing::copy_in(std::uint64_t pos, std::string_view bytes) {
  if (bytes.empty()) return;  // its data() may be null, which memcpy must not get
  const std::uint64_t cap = shared_->capacity;
  const std::uint64_t at = pos & shared_->mask;
  const std::uint64_t first = std::min<std::uint64_t>(bytes.size(), cap - at);
  std::memcpy(data_ + at, bytes.data(), first);
  if (first < bytes.size()) std::memcpy(data_, bytes.data() + first, bytes.size() - first);
}

void ByteRing::copy_out(std::uint64_t pos, std::uint64_t n, std::string& out) const {
  const std::uint64_t cap = shared_->capacity;
  const std::uint64_t at = pos & shared_->mask;
  const std::uint64_t first = std::min(n, cap - at);
  out.append(data_ + at, first);
  if (first < n) out.append(data_, n - first);
}

std::uint64_t ByteRing::write_record(std::uint64_t pos, std::uint32_t kind, std::string_view a,
                                     std::string_view b) {
  const std::uint64_t len = a.size() + b.size();
  const std::uint64_t header = (std::uint64_t{kind} << 32) | len;
  // Records start at multiples of 8 and the capacity is a multiple of 8: a
  // header never straddles the end of the ring.
  std::memcpy(data_ + (pos & shared_->mask), &header, sizeof header);
  copy_in(pos + header_bytes, a);
  copy_in(pos + header_bytes + a.size(), b);
  return pos + record_size(len);
}

// ---------------------------------------------------------------- producer side

bool ByteRing::has_room(std::uint64_t bytes, bool needs_item_slot) {
  RingShared& s = *shared_;
  const std::uint64_t tail = s.tail.load(relaxed);  // ours: we hold the producer lock
  if (s.capacity - (tail - s.head_cache) < bytes) {
    s.head_cache = s.head.load(seq_cst);
    if (s.capacity - (tail - s.head_cache) < bytes) return false;
  }
  if (needs_item_slot && s.maxsize != 0) {
    const std::uint64_t put = s.put_count.load(relaxed);
    if (put - s.get_count_cache >= s.maxsize) {
      // head first: its seq_cst load pairs with the consumer's seq_cst store
      // of head (the Dekker pairing with producers_waiting), and get_count is
      // stored before head, so reading head makes the new get_count visible.
      s.head_cache = s.head.load(seq_cst);
      s.get_count_cache = s.get_count.load(acquire);
      if (put - s.get_count_cache >= s.maxsize) return false;
    }
  }
  return true;
}

bool ByteRing::wait_for_room(std::uint64_t bytes, bool needs_item_slot, const Deadline& deadline) {
  RingShared& s = *shared_;
  if (has_room(bytes, needs_item_slot)) return true;
  if (deadline.expired()) return false;
  if (spin_until([&] { return has_room(bytes, needs_item_slot); }, room_spin)) return true;
  const trace::Span traced("put: wait for room", "queue");
  const auto room = [&] { return has_room(bytes, needs_item_slot); };
  for (;;) {
    // A consumer that frees room either sees our flag (and bumps the word,
    // so the sleep returns at once) or is seen by the re-check. The flag is
    // shared by all producers: it is cleared only on the way out. In slices:
    // a consumer killed after it cleared our flag and before its wake woke
    // nobody; the next round re-registers and re-checks.
    const SleepEnd end = sleep_announced(
        s.space_seq, room, [&] { s.producers_waiting.store(1, seq_cst); }, [] {},
        futex::recheck_slice(deadline));
    if (end == SleepEnd::ready) break;
    if (end == SleepEnd::timed_out && deadline.expired()) {
      s.producers_waiting.store(0, relaxed);
      return room();
    }
    if (room()) break;
  }
  s.producers_waiting.store(0, relaxed);
  return true;
}

void ByteRing::publish_tail(std::uint64_t new_tail, bool completes_message) {
  RingShared& s = *shared_;
  if (completes_message) {
    const std::uint64_t count = s.put_count.load(relaxed) + 1;
    s.pending_tail.store(new_tail, relaxed);
    s.pending_put.store(count, relaxed);
    s.put_count.store(count, release);  // orders the pending marker before it
  }
  s.tail.store(new_tail, seq_cst);
  if (completes_message) s.pending_put.store(0, release);
  if (completes_message && trace::enabled()) trace_items();
  // One wake per sleep: the exchange clears the flag, so the puts that follow
  // while the consumer is waking up make no syscall. Killed between the
  // exchange and the wake, we woke nobody: the consumer sleeps in slices of
  // futex::recheck_interval and finds the record at the next one.
  if (s.consumers_waiting.load(seq_cst) != 0 && s.consumers_waiting.exchange(0, seq_cst) != 0) {
    reach_fault_point("ring.consumer_flag_cleared");
    wake_consumer();
  }
}

// The queue's item count on the timeline, after each put and get (tracing on).
void ByteRing::trace_items() const {
  const RingShared& s = *shared_;
  if (s.trace_number == 0) return;
  trace::counter("queue " + std::to_string(s.trace_number), "queue", "items",
                 static_cast<std::int64_t>(qsize()));
}

// Wakes the consumer that may sleep for data: a producer that died between
// clearing its flag and its wake left it asleep until its next slice.
void ByteRing::wake_consumer() {
  RingShared& s = *shared_;
  s.data_seq.fetch_add(1, release);
  futex::wake(&s.data_seq, 1);
}

void ByteRing::wake_producer() {
  RingShared& s = *shared_;
  s.space_seq.fetch_add(1, release);
  futex::wake(&s.space_seq, 1);
}

void ByteRing::repair_producer_side() {
  RingShared& s = *shared_;
  s.producers_waiting.store(0, relaxed);  // only the lock holder sleeps there, and it is dead
  wake_consumer();
  const std::uint64_t count = s.pending_put.load(relaxed);
  if (count != 0 && s.tail.load(relaxed) != s.pending_tail.load(relaxed) &&
      s.put_count.load(relaxed) == count) {
    s.put_count.store(count - 1, release);  // counted but never published: take it back
    wake_joiners_if_done();
  }
  s.pending_put.store(0, relaxed);
  if (s.streaming.load(relaxed) != 0) {
    // Every chunk left 8 bytes free behind it, so the abort record fits.
    const std::uint64_t tail = s.tail.load(relaxed);
    if (s.capacity - (tail - s.head.load(seq_cst)) >= header_bytes) {
      publish_tail(write_record(tail, kind_abort_lost, {}, {}), false);
    }
    s.streaming.store(0, relaxed);
  }
}

bool ByteRing::put(std::string_view bytes, const Deadline& deadline) {
  reach_schedule_point("queue.put");
  RingShared& s = *shared_;
  const Acquire got = take_lock(s.producer_lock, s.producers_waiting, deadline);
  if (got == Acquire::timed_out) return false;
  Unlock unlock(s.producer_lock);
  if (got == Acquire::owner_died) repair_producer_side();

  if (bytes.size() <= s.whole_limit) {
    if (!wait_for_room(record_size(bytes.size()), true, deadline)) return false;
    publish_tail(write_record(s.tail.load(relaxed), kind_whole, bytes, {}), true);
    return true;
  }

  // Streamed: first/middle.../last records of at most record_limit bytes,
  // each leaving 8 bytes free so that an abort record always fits.
  if (!wait_for_room(s.record_limit + header_bytes, true, deadline)) return false;
  const std::uint64_t total = bytes.size();
  const std::string_view total_bytes(reinterpret_cast<const char*>(&total), sizeof total);
  std::size_t n = static_cast<std::size_t>(s.whole_limit - sizeof total);
  s.streaming.store(1, relaxed);
  publish_tail(write_record(s.tail.load(relaxed), kind_first, total_bytes, bytes.substr(0, n)), false);
  std::size_t done = n;
  while (done < bytes.size()) {
    n = std::min<std::size_t>(static_cast<std::size_t>(s.whole_limit), bytes.size() - done);
    const bool last = done + n == bytes.size();
    if (!wait_for_room(record_size(n) + header_bytes, false, deadline)) {
      publish_tail(write_record(s.tail.load(relaxed), kind_abort_timeout, {}, {}), false);
      s.streaming.store(0, relaxed);
      return false;
    }
    publish_tail(
        write_record(s.tail.load(relaxed), last ? kind_last : kind_middle, bytes.substr(done, n), {}), last);
    done += n;
  }
  s.streaming.store(0, relaxed);
  return true;
}

// ---------------------------------------------------------------- consumer side

bool ByteRing::has_data() {
  RingShared& s = *shared_;
  const std::uint64_t head = s.head.load(relaxed);  // ours: we hold the consumer lock
  if (s.tail_cache != head) return true;
  s.tail_cache = s.tail.load(seq_cst);
  return s.tail_cache != head;
}

// Called by a consumer in the middle of a streamed message that finds the
// ring empty: is the producer still there? It holds the producer lock for the
// whole message, so the robust lock knows: owner_died means it died.
void ByteRing::check_streaming_producer() {
  RingShared& s = *shared_;
  const Acquire r = s.producer_lock.try_lock();
  if (r == Acquire::timed_out) return;  // held: the producer is alive
  Unlock unlock(s.producer_lock);
  if (r == Acquire::owner_died) repair_producer_side();  // appends the abort record
}

bool ByteRing::wait_for_data(const Deadline& deadline, bool mid_stream) {
  RingShared& s = *shared_;
  if (has_data()) return true;
  if (!mid_stream && deadline.expired()) return false;
  if (spin_until([&] { return has_data(); }, data_spin)) return true;
  const trace::Span traced("get: wait for data", "queue");
  for (;;) {
    if (mid_stream) {
      check_streaming_producer();
      if (has_data()) return true;
    }
    // Same pairing as wait_for_room, with the roles swapped. Always in
    // slices: a producer killed after it cleared our flag and before its wake
    // woke nobody; the next round re-registers and re-checks. Mid-stream the
    // get's deadline no longer applies (the parts taken cannot be put back),
    // and a dead producer never wakes us: shorter slices.
    const SleepEnd end = sleep_announced(
        s.data_seq, [&] { return has_data(); }, [&] { s.consumers_waiting.store(1, seq_cst); }, [] {},
        mid_stream ? Deadline(liveness_slice) : futex::recheck_slice(deadline));
    if (end == SleepEnd::ready || has_data()) break;
    if (end == SleepEnd::timed_out && !mid_stream && deadline.expired()) {
      s.consumers_waiting.store(0, relaxed);
      return false;
    }
  }
  s.consumers_waiting.store(0, relaxed);
  return true;
}

void ByteRing::consume(std::uint64_t new_head, bool completes_message) {
  RingShared& s = *shared_;
  if (completes_message) {
    const std::uint64_t count = s.get_count.load(relaxed) + 1;
    s.pending_head.store(new_head, relaxed);
    s.pending_get.store(count, relaxed);
    s.get_count.store(count, release);
  }
  s.head.store(new_head, seq_cst);
  if (completes_message) s.pending_get.store(0, release);
  if (completes_message && trace::enabled()) trace_items();
  if (s.producers_waiting.load(seq_cst) != 0 && s.producers_waiting.exchange(0, seq_cst) != 0) {
    reach_fault_point("ring.producer_flag_cleared");
    wake_producer();
  }
}

bool ByteRing::repair_consumer_side() {
  RingShared& s = *shared_;
  s.consumers_waiting.store(0, relaxed);
  wake_producer();
  const std::uint64_t count = s.pending_get.load(relaxed);
  if (count != 0 && s.head.load(relaxed) != s.pending_head.load(relaxed) &&
      s.get_count.load(relaxed) == count) {
    s.get_count.store(count - 1, release);  // counted, but the record is still there
  }
  s.pending_get.store(0, relaxed);
  // A consumer that died in the middle of a streamed message took it along:
  // its remaining records are skipped by get() (parts with no `first` before
  // them), and the caller's get() says that it was lost.
  return s.consumer_streaming.exchange(0, relaxed) != 0;
}

bool ByteRing::get(Sink sink, void* ctx, const Deadline& deadline) {
  reach_schedule_point("queue.get");
  RingShared& s = *shared_;
  const Acquire got = take_lock(s.consumer_lock, s.consumers_waiting, deadline);
  if (got == Acquire::timed_out) return false;
  Unlock unlock(s.consumer_lock);
  if (got == Acquire::owner_died && repair_consumer_side()) {
    throw Error(
        "mp::Queue: a message was lost: the process getting it died while receiving it (an item "
        "larger than a quarter of the queue's ring is received in parts); the queue is usable");
  }

  std::string assembly;  // a streamed message, part by part
  std::uint64_t total = 0;
  bool assembling = false;
  for (;;) {
    if (!wait_for_data(deadline, assembling)) return false;
    const std::uint64_t head = s.head.load(relaxed);
    std::uint64_t header = 0;
    std::memcpy(&header, data_ + (head & s.mask), sizeof header);
    const std::uint64_t len = header & 0xffff'ffffU;
    const auto kind = static_cast<std::uint32_t>(header >> 32);
    const std::uint64_t next = head + record_size(len);
    const std::uint64_t payload = head + header_bytes;

    switch (kind) {
      case kind_whole: {
        const std::uint64_t at = payload & s.mask;
        const std::uint64_t first = std::min(len, s.capacity - at);
        const Message m{std::string_view(data_ + at, first), std::string_view(data_, len - first), nullptr};
        try {
          sink(ctx, m);  // straight from the ring: no intermediate copy
        } catch (...) {
          consume(next, true);  // a message that cannot be decoded must not block the queue
          throw;
        }
        consume(next, true);
        return true;
      }
      case kind_first:
        std::memcpy(&total, data_ + (payload & s.mask), sizeof total);  // 8-aligned: never wraps
        assembly.clear();
        assembly.reserve(total);
        copy_out(payload + sizeof total, len - sizeof total, assembly);
        assembling = true;
        s.consumer_streaming.store(1, relaxed);  // before `head` moves past the first part
        consume(next, false);
        break;
      case kind_middle:
        if (assembling) copy_out(payload, len, assembly);  // else: orphaned by a dead consumer
        consume(next, false);
        break;
      case kind_last: {
        if (!assembling) {  // orphaned: the consumer that took its first part died
          consume(next, true);
          break;
        }
        copy_out(payload, len, assembly);
        consume(next, true);
        s.consumer_streaming.store(0, relaxed);
        if (assembly.size() != total) {
          throw Error("mp::Queue: a streamed message arrived with " + std::to_string(assembly.size()) +
                      " bytes instead of " + std::to_string(total) +
                      " (the queue's memory was overwritten?)");
        }
        const Message m{assembly, {}, &assembly};
        sink(ctx, m);
        return true;
      }
      case kind_abort_timeout:  // its put() raised Full: it never was in the queue
        consume(next, false);
        assembling = false;
        s.consumer_streaming.store(0, relaxed);
        break;
      case kind_abort_lost:
        consume(next, false);
        s.consumer_streaming.store(0, relaxed);
        if (assembling) {
          throw Error("mp::Queue: a message was lost: the process putting it died after sending " +
                      std::to_string(assembly.size()) + " of its " + std::to_string(total) + " bytes");
        }
        break;
      default:
        throw Error("mp::Queue: corrupted queue memory (record kind " + std::to_string(kind) +
                    " at position " + std::to_string(head) + ")");
    }
  }
}

// ---------------------------------------------------------------- counts

std::size_t ByteRing::qsize() const noexcept {
  // get_count first: put_count >= get_count holds at every instant and both
  // only grow, so this order never yields a negative difference.
  const std::uint64_t got = shared_->get_count.load(acquire);
  const std::uint64_t put = shared_->put_count.load(acquire);
  return put > got ? static_cast<std::size_t>(put - got) : 0;
}

std::size_t ByteRing::unfinished_tasks() const noexcept {
  const std::uint64_t done = shared_->tasks_done.load(seq_cst);
  const std::uint64_t put = shared_->put_count.load(seq_cst);
  return put > done ? static_cast<std::size_t>(put - done) : 0;
}

void ByteRing::wake_joiners_if_done() {
  RingShared& s = *shared_;
  if (unfinished_tasks() == 0 && s.joiners_waiting.load(seq_cst) != 0) {
    s.join_seq.fetch_add(1, release);
    futex::wake_all(&s.join_seq);
  }
}

void ByteRing::task_done() {
  RingShared& s = *shared_;
  std::uint64_t done = s.tasks_done.load(seq_cst);
  do {
    if (done >= s.put_count.load(seq_cst)) {
      throw ValueError("task_done() called too many times: more often than items were put");
    }
  } while (!s.tasks_done.compare_exchange_weak(done, done + 1, seq_cst));
  reach_fault_point("ring.task_done_counted");
  wake_joiners_if_done();
}

bool ByteRing::join(const Deadline& deadline) {
  RingShared& s = *shared_;
  if (unfinished_tasks() == 0) return true;
  for (;;) {
    const std::uint32_t seen = s.join_seq.load(acquire);
    s.joiners_waiting.fetch_add(1, seq_cst);
    if (unfinished_tasks() == 0) {
      s.joiners_waiting.fetch_sub(1, relaxed);
      return true;
    }
    // In slices: a task_done() killed between its count and its wake woke nobody.
    (void)futex::wait(&s.join_seq, seen, futex::recheck_slice(deadline));
    s.joiners_waiting.fetch_sub(1, relaxed);
    if (unfinished_tasks() == 0) return true;
    if (deadline.expired()) return false;
  }
}

}  // namespace mp::detail
