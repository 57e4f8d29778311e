#pragma once
/// @file
/// @brief IMapJob: the job of imap, imap_unordered and an executor's map, which
/// reads its input as the results are consumed. See mp/detail/job.hpp.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "mp/detail/job.hpp"
#include "mp/error.hpp"

namespace mp::detail {

/// How many parts a lazy imap keeps submitted ahead of its consumer: enough
/// for every worker to have a few queued (no worker idles while the consumer
/// reads), few enough that the input is not read far ahead of the results.
inline std::size_t imap_window(int workers) {
  return std::max<std::size_t>(1024, 64 * static_cast<std::size_t>(workers > 0 ? workers : 1));
}

/// imap / imap_unordered / executor map: results are read one by one as they
/// come, in input order (`ordered`) or in completion order. A failed chunk
/// raises its exception once, at its place, and the iteration goes on after it.
///
/// The job is open: a Source reads the caller's input and submits it chunk by
/// chunk, at most `window` parts ahead of what next() consumed (0: all at
/// once). Only the thread iterating (next), close() (feed_rest) and the last
/// handle's release (abandon_iteration) read the input, one at a time (feed_mutex_).
template <class R>
class IMapJob final : public JobBase {
public:
  /// The caller's input, read chunk by chunk; made by the pools (mp/pool.hpp).
  class Source {
  public:
    virtual ~Source() = default;
    /// Reads up to `n` items and submits them as the next part of `job`
    /// (add_part, then the pool's submit). At the end of the input it seals
    /// the job, and when the input throws, it seals it with that exception
    /// (after submitting the items read before it). Returns false when no
    /// more will come (input ended or failed, or the job ended).
    virtual bool submit_next(const std::shared_ptr<IMapJob>& job, std::size_t n) = 0;
  };

  IMapJob(std::shared_ptr<CoreBase> owner, std::size_t chunksize, bool ordered, std::size_t window)
      : JobBase(std::move(owner), 0, true), chunksize_(chunksize), ordered_(ordered), window_(window) {}

  /// The input (before the first feed()).
  void set_source(std::unique_ptr<Source> source) {
    std::lock_guard fl(feed_mutex_);
    source_ = std::move(source);
    feeding_.store(static_cast<bool>(source_), std::memory_order_release);
  }

  /// Submits parts until `window` are submitted and not yet consumed (the
  /// whole input with `all`, or when there is no window). Refills only once
  /// half the window was consumed, so that parts leave in batches.
  void feed(bool all) {
    if (!feeding_.load(std::memory_order_acquire)) return;
    if (!all && window_ != 0 && outstanding() > window_ / 2) return;
    std::lock_guard fl(feed_mutex_);
    if (!source_) return;
    const auto self = std::static_pointer_cast<IMapJob>(shared_from_this());
    bool more = true;
    while (more && (all || window_ == 0 || outstanding() < window_)) {
      try {
        more = source_->submit_next(self, chunksize_);
      } catch (...) {  // the pool's own failure (memory): end the iteration with it
        (void)seal(std::current_exception());
        more = false;
      }
    }
    if (!more) {
      source_.reset();  // the input (a view the job owns) goes now
      feeding_.store(false, std::memory_order_release);
    }
  }
  void feed_rest() noexcept override {
    try {
      feed(true);
    } catch (...) {
    }
  }
  [[nodiscard]] bool feeding() const noexcept override { return feeding_.load(std::memory_order_acquire); }

  /// The last handle on the iteration is gone: reads no more input, and for
  /// an executor map cancels the parts not handed over (Python closes the
  /// map's generator, which cancels its futures).
  void abandon_iteration() noexcept {
    try {
      {
        std::lock_guard fl(feed_mutex_);
        source_.reset();
        feeding_.store(false, std::memory_order_release);
      }
      (void)seal();
      if (parts_cancellable()) cancel_pending_work();
    } catch (...) {
    }
  }

  /// Thread pools: moves a chunk's results into place.
  bool deliver_chunk(std::uint64_t part, std::vector<R>&& values) {
    return this->deliver_with(part, [&] { place(part, std::move(values)); });
  }

  /// One step of the iteration, or nullopt at the end. Throws a failed
  /// chunk's exception once at its place; mp::TimeoutError at the deadline.
  std::optional<R> next(const Deadline& deadline) {
    for (;;) {
      feed(false);
      if (!wait_until([this] { return next_ready(); }, deadline)) {
        throw TimeoutError("imap: the next result did not arrive in time");
      }
      std::lock_guard lk(mutex_);
      if (ordered_) {
        if (chunks_.empty()) return std::nullopt;  // sealed, all consumed
        Chunk& c = chunks_.front();
        if (!c.arrived) continue;
        if (c.error) {
          std::exception_ptr e = std::exchange(c.error, nullptr);
          pop_chunk();
          std::rethrow_exception(e);
        }
        if (cursor_item_ < c.values.size()) {
          R out = std::move(c.values[cursor_item_++]);
          if (cursor_item_ == c.values.size()) pop_chunk();
          return out;
        }
        pop_chunk();  // an empty chunk
        continue;
      }
      if (ready_.empty()) return std::nullopt;  // done
      Entry front = std::move(ready_.front());
      ready_.pop_front();
      if (front.ends_part) consumed_.fetch_add(1, std::memory_order_relaxed);
      if (front.error) std::rethrow_exception(front.error);
      return std::move(*front.value);
    }
  }

protected:
  void store_bytes(std::uint64_t part, std::string_view bytes) override {
    std::vector<R> values;
    mp::load(bytes, values);
    if (values.size() != chunk_size(part))
      throw SerializationError("malformed result: wrong number of items in a chunk");
    place(part, std::move(values));
  }
  void store_error(std::uint64_t part, std::exception_ptr e) override {
    if (ordered_) {
      Chunk& c = chunk(part);
      c.error = std::move(e);
      c.arrived = true;
    } else {
      ready_.push_back(Entry{std::nullopt, std::move(e), true});
    }
  }
  [[nodiscard]] bool error_finishes() const noexcept override { return false; }
  void on_part_added(std::uint64_t part, std::size_t items) override {
    if (ordered_) chunks_.emplace_back();
    if (items != 0 && items != chunksize_) {  // the input's last items: one such part at most
      short_part_ = part;
      short_items_ = items;
    }
  }

private:
  struct Chunk {
    std::vector<R> values;
    std::exception_ptr error;
    bool arrived = false;
  };
  struct Entry {
    std::optional<R> value;
    std::exception_ptr error;
    bool ends_part;  // the last entry of its part: the part is consumed with it
  };

  [[nodiscard]] std::uint64_t outstanding() const noexcept {
    return parts() - consumed_.load(std::memory_order_relaxed);
  }
  // Ordered (mutex_ held): chunks_ starts at the first part not consumed.
  Chunk& chunk(std::uint64_t part) {
    return chunks_[static_cast<std::size_t>(part - consumed_.load(std::memory_order_relaxed))];
  }
  void pop_chunk() {
    chunks_.pop_front();
    cursor_item_ = 0;
    consumed_.fetch_add(1, std::memory_order_relaxed);
  }
  [[nodiscard]] std::size_t chunk_size(std::uint64_t part) const noexcept {
    return part == short_part_ ? short_items_ : chunksize_;
  }
  void place(std::uint64_t part, std::vector<R>&& values) {
    if (ordered_) {
      Chunk& c = chunk(part);
      c.values = std::move(values);
      c.arrived = true;
    } else {
      for (std::size_t i = 0; i < values.size(); ++i) {
        ready_.push_back(Entry{std::move(values[i]), nullptr, i + 1 == values.size()});
      }
    }
  }
  // Whether next() can answer without waiting.
  bool next_ready() {
    std::lock_guard lk(mutex_);
    if (ordered_) return chunks_.empty() ? sealed_locked() : chunks_.front().arrived;
    return !ready_.empty() || done();
  }

  const std::size_t chunksize_;
  const bool ordered_;
  const std::size_t window_;  // parts ahead of the consumer; 0: no limit

  std::mutex feed_mutex_;             // one reader of the input at a time
  std::unique_ptr<Source> source_;    // (feed_mutex_) null once the input ended
  std::atomic<bool> feeding_{false};  // source_ is set (written under feed_mutex_)
  /// Parts fully consumed by next() (written under mutex_; read by feed() relaxed).
  std::atomic<std::uint64_t> consumed_{0};

  std::uint64_t short_part_ = ~std::uint64_t{0};  // (mutex_) the part with fewer than chunksize items
  std::size_t short_items_ = 0;                   // (mutex_)
  std::deque<Chunk> chunks_;                      // ordered (mutex_): from the first part not consumed
  std::size_t cursor_item_ = 0;                   // ordered (mutex_)
  std::deque<Entry> ready_;                       // unordered (mutex_)
};

}  // namespace mp::detail
