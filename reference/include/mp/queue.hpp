#pragma once
/// @file
/// @brief `mp::Queue`, mp::SimpleQueue, mp::JoinableQueue: FIFO queues between
/// processes (Python's `multiprocessing.Queue`, `SimpleQueue`, `JoinableQueue`).
///
/// @code
/// #include <mp/process.hpp>
/// #include <mp/queue.hpp>
///
/// void f(mp::Queue<std::vector<int>> q) { q.put({42, 0, 7}); }
///
/// int main() {
///   mp::Queue<std::vector<int>> q;       // make it before starting the children
///   mp::Process p(f, q);
///   p.start();
///   std::vector<int> v = q.get();        // {42, 0, 7}
///   p.join();
/// }
/// @endcode
///
/// **Handles.** A Queue object is a handle: copies (and the copies a forked
/// child inherits) share one queue. Make the queue before starting the
/// processes that use it; pass it by value, as Python passes it in `args`.
/// The shared memory goes away with the last handle in the last process.
/// A moved-from handle may only be assigned to or destroyed.
///
/// **Items.** Any type that mp::dumps / mp::loads handle (see mp/pickle.hpp):
/// numbers, std::string, trivially copyable structs, std::vector, std::map,
/// std::tuple, std::optional, std::variant, structs with a `serialize` member.
/// Python's `q.put([42, None, "hello"])` becomes, e.g.,
/// `mp::Queue<std::tuple<int, std::optional<int>, std::string>>` and
/// `q.put({42, std::nullopt, "hello"})`. Items of any size work, also larger
/// than the queue's memory (they are streamed through it).
///
/// **How it works.** All processes share one ring of bytes (QueueOptions::
/// capacity_bytes, 1 MiB by default) in anonymous shared memory; put() copies
/// the item's bytes in, get() copies them out. One process putting and one
/// getting never take the same lock and make no system call while neither
/// waits, so a Queue moves millions of small items per second (Python's
/// pickles, pipes and feeder thread manage about 150 thousand).
///
/// **Difference from Python: put() can block on an unbounded queue.** Python's
/// put() never blocks when maxsize is 0: it appends to an in-process buffer
/// that a feeder thread drains into a pipe, so a fast producer can grow its
/// memory without bound (and a process that exits with items still buffered
/// hangs in the feeder's join). Here there is no feeder thread: put() writes
/// into the shared ring itself and, when the ring's bytes are full, waits for
/// a consumer to make room (back-pressure). Choose capacity_bytes to hold the
/// burst you want to absorb. Consequences: put() is done when it returns (no
/// join_thread()/cancel_join_thread() needed), and no thread exists that a
/// fork() could break.
///
/// **Blocking and timeouts** (as Python):
/// | call                     | queue has an item / room | otherwise                            |
/// |--------------------------|--------------------------|--------------------------------------|
/// | get() / put(x)           | returns at once          | waits (forever)                      |
/// | get(t) / put(x, t)       | returns at once          | waits up to t, then mp::Empty / mp::Full |
/// | get_nowait() / put_nowait(x) | returns at once      | mp::Empty / mp::Full at once         |
/// A waiting call spins a few microseconds, then sleeps on a futex; it is woken
/// by the put/get that makes progress possible. Non-blocking calls may also
/// fail when another process holds the queue's consumer (producer) side for
/// longer than a moment, as Python's `get_nowait` fails when another process
/// holds the reader lock.
///
/// **Processes that die.** A process killed at any instant of put() or get()
/// never blocks the others for long (robust locks; every sleep re-checks the
/// queue at least every 50 ms, so a wake-up lost with a killed process costs
/// at most that delay):
/// - a put that had not published its item adds nothing; one that had is
///   complete (the item will be got);
/// - a get that had not taken its item leaves it for the next get; one that
///   had took it along (as in Python, an item in a killed process is gone);
/// - an item larger than a quarter of the ring travels in parts (streamed).
///   If its producer is killed half-way, the get receiving it raises
///   mp::Error saying the item was lost; if its consumer is killed half-way,
///   the next get raises mp::Error saying so. Either way nothing is lost
///   silently and the queue stays usable;
/// - JoinableQueue: an item whose consumer dies before task_done() stays
///   unfinished, so join() waits for it (use join(timeout)).
///
/// **Thread safety.** All calls are safe from several threads and processes at
/// once, on one handle or on copies.
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mp/detail/byte_ring.hpp"
#include "mp/error.hpp"
#include "mp/pickle.hpp"
#include "mp/timeout.hpp"

namespace mp {

/// Tuning of a queue's shared memory.
struct QueueOptions {
  /// Bytes of the shared ring that holds the items (their serialized bytes
  /// plus 8 bytes and padding to 8 each), rounded up to a power of two, at
  /// least 4 KiB, at most 1 GiB. When it is full, put() waits. An item larger
  /// than a quarter of it is streamed through it in parts.
  std::size_t capacity_bytes = std::size_t{1} << 20;
};

namespace detail {

// Decodes a message from the ring into a T (ByteRing::Sink).
template <class T>
void deliver(void* ctx, const ByteRing::Message& m) {
  T& out = *static_cast<T*>(ctx);
  if constexpr (std::is_same_v<T, std::string>) {
    if (m.owned != nullptr) {
      out = std::move(*m.owned);
    } else {
      out.reserve(m.first.size() + m.second.size());
      out.assign(m.first);
      out.append(m.second);
    }
  } else if (m.second.empty()) {
    mp::load(m.first, out);
  } else {  // the record wraps around the ring's end: decode from one piece
    thread_local std::string joined;
    joined.assign(m.first);
    joined.append(m.second);
    mp::load(std::string_view(joined), out);
  }
}

// A thread's serialization buffer is kept between puts, but not when a huge
// item made it huge.
inline void trim_scratch(std::string& scratch) {
  if (scratch.capacity() > (std::size_t{1} << 20)) std::string().swap(scratch);
}

}  // namespace detail

/// A FIFO queue between processes (Python's `multiprocessing.Queue`).
///
/// Items come out in the order they went in for each producer; items of
/// different producers interleave in the order their puts completed.
///
/// States: every handle is *open* until close(), then *closed* for this
/// process: put, get and empty raise mp::ValueError; qsize/full still answer.
///
/// @code
/// mp::Queue<std::string> q(10);          // at most 10 items
/// mp::Process p([q]() mutable { q.put("hello"); });
/// p.start();
/// std::string s = q.get(5s);             // mp::Empty if nothing came within 5 s
/// p.join();
/// @endcode
///
/// See the file's notes for blocking, processes that die, and the differences from Python.
///
/// @tparam T the item type: serializable (mp/pickle.hpp) and, for get(), default-constructible.
template <class T>
class Queue {
public:
  using value_type = T;  ///< The item type.

  /// A queue of at most `maxsize` items (0: no item limit, only the memory
  /// bound of `options.capacity_bytes`).
  /// @throws mp::ValueError when capacity_bytes is above 1 GiB; std::system_error when mmap fails.
  explicit Queue(std::size_t maxsize = 0, QueueOptions options = {})
      : ring_(options.capacity_bytes, maxsize, /*traced=*/true) {}

  /// Puts `item` at the end (Python's `put(item, block=True, timeout=None)`).
  /// Blocks while the queue holds maxsize items or its ring has no room for
  /// the item: forever by default, up to `timeout`, or not at all when
  /// `block` is false.
  /// @throws mp::Full when it could not put the item in time (nothing was put);
  ///         mp::ValueError when this handle is closed.
  void put(const T& item, bool block = true, Timeout timeout = {}) {
    check_open("put");
    thread_local std::string scratch;
    const std::string_view bytes = mp::bytes_of(item, scratch);
    const bool ok = ring_.put(bytes, Deadline(block ? timeout : Timeout::zero()));
    detail::trim_scratch(scratch);
    if (!ok) throw_full(block);
  }
  /// put(item, true, timeout): waits at most `timeout`, then raises mp::Full.
  void put(const T& item, Timeout timeout) { put(item, true, timeout); }
  /// put(item, false): raises mp::Full at once when there is no room.
  void put_nowait(const T& item) { put(item, false); }

  /// Removes and returns the first item (Python's `get(block=True, timeout=None)`).
  /// Blocks while the queue is empty: forever by default, up to `timeout`,
  /// or not at all when `block` is false. Once it has started receiving a
  /// streamed item (larger than a quarter of the ring) it finishes it even
  /// past the timeout, since the parts already taken cannot go back.
  /// @throws mp::Empty when no item came in time; mp::ValueError when this
  ///         handle is closed; mp::SerializationError when the bytes do not
  ///         decode as a T (the item is removed); mp::Error when a streamed
  ///         item was lost because its producer died while putting it.
  T get(bool block = true, Timeout timeout = {}) {
    check_open("get");
    T out{};
    if (!ring_.get(&detail::deliver<T>, &out, Deadline(block ? timeout : Timeout::zero())))
      throw_empty(block);
    return out;
  }
  /// get(true, timeout): waits at most `timeout`, then raises mp::Empty.
  T get(Timeout timeout) { return get(true, timeout); }
  /// get(false): raises mp::Empty at once when no item is there.
  [[nodiscard]] T get_nowait() { return get(false); }

  /// Number of items in the queue. Approximate, as in Python: other processes
  /// may put and get between this answer and its use (it counts puts and gets
  /// completed by the moment it reads, including one whose put is just
  /// publishing its item). Never blocks.
  [[nodiscard]] std::size_t qsize() const noexcept { return ring_.qsize(); }
  /// qsize() == 0, with the same caveat. Never blocks.
  /// @throws mp::ValueError when this handle is closed (Python's empty()
  ///         raises too: its reader is closed).
  [[nodiscard]] bool empty() const {
    check_open("empty");
    return qsize() == 0;
  }
  /// Whether maxsize items are in the queue (always false when maxsize is 0:
  /// a ring with no room for the next item is not reported), with the same caveat.
  [[nodiscard]] bool full() const noexcept { return maxsize() != 0 && qsize() >= maxsize(); }
  /// The item limit given at construction (0: none).
  [[nodiscard]] std::size_t maxsize() const noexcept { return ring_.maxsize(); }
  /// The ring's size in bytes (capacity_bytes rounded up).
  [[nodiscard]] std::size_t capacity_bytes() const noexcept { return ring_.capacity(); }

  /// This process will no longer use the queue (Python's `close()`): later
  /// put/get through this handle, or copies of it made in this process,
  /// raise mp::ValueError. Other processes' handles are not affected, and
  /// items already put stay available to them. Never blocks.
  void close() noexcept { closed_->store(true, std::memory_order_relaxed); }
  /// Whether close() was called on this handle (or a copy in this process).
  [[nodiscard]] bool is_closed() const noexcept { return closed_->load(std::memory_order_relaxed); }

protected:
  /// @private The shared ring (JoinableQueue counts its tasks there); not part of the API.
  detail::ByteRing ring_;

private:
  void check_open(const char* call) const {
    if (is_closed())
      throw ValueError(std::string("mp::Queue::") + call + ": the queue is closed (close() was called)");
  }
  [[noreturn]] void throw_full(bool block) const {
    throw Full(std::string(block ? "mp::Queue::put timed out: " : "mp::Queue::put_nowait: ") +
               (full() ? "the queue holds maxsize=" + std::to_string(maxsize()) + " items"
                       : "no room in the queue's " + std::to_string(capacity_bytes()) + "-byte ring"));
  }
  [[noreturn]] static void throw_empty(bool block) {
    throw Empty(block ? "mp::Queue::get timed out: the queue stayed empty"
                      : "mp::Queue::get_nowait: the queue is empty");
  }

  // Python's close() is per object, and a child gets its own copy of the
  // object: so the flag is shared by in-process copies only (fork copies it).
  std::shared_ptr<std::atomic<bool>> closed_ = std::make_shared<std::atomic<bool>>(false);
};

/// A simpler FIFO queue between processes (Python's `multiprocessing.SimpleQueue`):
/// put, get, empty, close; no item limit, no timeouts. put() waits only while
/// the ring's bytes are full (see the notes on Queue). Same handle, item and
/// crash rules as mp::Queue.
/// @code
/// mp::SimpleQueue<std::string> q;
/// mp::Process p([q]() mutable { q.put("hello"); });
/// p.start();
/// std::string s = q.get();   // "hello"
/// p.join();
/// @endcode
template <class T>
class SimpleQueue {
public:
  using value_type = T;  ///< The item type.

  /// An empty queue with no item limit (only the ring's bytes bound it).
  /// @throws as the Queue constructor.
  explicit SimpleQueue(QueueOptions options = {}) : queue_(0, options) {}

  /// Puts `item` at the end; waits while the ring has no room for it.
  /// @throws mp::ValueError when closed.
  void put(const T& item) { queue_.put(item); }
  /// Removes and returns the first item, waiting as long as it takes.
  /// @throws mp::ValueError when closed; the errors of Queue::get.
  T get() { return queue_.get(); }
  /// Whether the queue is empty (approximate while others use it).
  /// @throws mp::ValueError when closed.
  [[nodiscard]] bool empty() const { return queue_.empty(); }
  /// As Queue::close.
  void close() noexcept { queue_.close(); }

private:
  Queue<T> queue_;
};

/// A Queue that also counts unfinished tasks (Python's `multiprocessing.JoinableQueue`):
/// every put adds one, every task_done() removes one, and join() waits until
/// none is left, so a producer can wait until consumers have processed
/// everything it put.
///
/// | unfinished tasks | join()  | join(t)             | task_done()      |
/// |------------------|---------|---------------------|------------------|
/// | 0                | returns | returns true        | mp::ValueError   |
/// | n > 0            | waits   | waits ≤ t, then false | n - 1          |
///
/// @code
/// mp::JoinableQueue<int> q;
/// mp::Process worker([q]() mutable {
///   for (;;) { int job = q.get(); if (job < 0) break; /* work */ q.task_done(); }
///   q.task_done();
/// });
/// worker.start();
/// for (int i = 0; i < 10; ++i) q.put(i);
/// q.put(-1);
/// q.join();            // all 11 items were processed
/// worker.join();
/// @endcode
template <class T>
class JoinableQueue : public Queue<T> {
public:
  /// As the Queue constructor: at most `maxsize` items (0: no item limit); no unfinished task.
  explicit JoinableQueue(std::size_t maxsize = 0, QueueOptions options = {}) : Queue<T>(maxsize, options) {}

  /// Marks one task as done (call it once per item taken with get(), when
  /// the work on it is finished). Never blocks. Process- and thread-safe.
  /// @throws mp::ValueError when called more times than items were put.
  void task_done() { this->ring_.task_done(); }

  /// Blocks until every item put so far has had its task_done().
  void join() { (void)this->ring_.join(Deadline(Timeout::forever())); }
  /// Blocks at most `timeout`; returns whether every task is done (Python's
  /// join takes no timeout: this is an addition).
  [[nodiscard]] bool join(Timeout timeout) { return this->ring_.join(Deadline(timeout)); }

  /// Items put and not yet marked done (approximate while others work).
  [[nodiscard]] std::size_t unfinished_tasks() const noexcept { return this->ring_.unfinished_tasks(); }
};

}  // namespace mp
