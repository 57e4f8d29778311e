// The manager's event, semaphore, condition and barrier (mp/detail/managed_sync.hpp).
#include "mp/detail/managed_sync.hpp"

#include <string>
#include <tuple>
#include <utility>

namespace mp::detail::manager {

namespace {
const bool sync_registered =
    ManagedType<ManagedEvent>::registered && ManagedType<ManagedSemaphore>::registered &&
    ManagedType<ManagedCondition>::registered && ManagedType<ManagedBarrier>::registered;
}  // namespace

// ================================================================ Event

std::string ManagedEvent::call(std::string_view m, std::string_view a, const CallContext& /*ctx*/) {
  (void)sync_registered;
  std::unique_lock lk(mutex_);
  if (m == "set") {
    return apply_encoded<>(a, [&] {
      flag_ = true;
      cv_.notify_all();
    });
  }
  if (m == "clear") return apply_encoded<>(a, [&] { flag_ = false; });
  if (m == "is_set") return apply_encoded<>(a, [&] { return flag_; });
  if (m == "wait") {
    return apply_encoded<std::int64_t>(
        a, [&](std::int64_t timeout_ns) { return wait_ns(cv_, lk, timeout_ns, [&] { return flag_; }); });
  }
  throw_no_method(type_name(), m);
}

// ================================================================ Semaphore

ManagedSemaphore::ManagedSemaphore(std::string_view args) {
  if (args.empty()) return;
  std::tuple<std::int64_t, bool> init;
  mp::load(args, init);
  if (std::get<0>(init) < 0) throw ValueError("Semaphore: the initial value must be >= 0");
  value_ = initial_ = std::get<0>(init);
  bounded_ = std::get<1>(init);
}

std::string ManagedSemaphore::call(std::string_view m, std::string_view a, const CallContext& /*ctx*/) {
  std::unique_lock lk(mutex_);
  if (m == "acquire") {
    return apply_encoded<bool, std::int64_t>(a, [&](bool block, std::int64_t timeout_ns) {
      const auto some = [&] { return value_ > 0; };
      if (!some() && (!block || !wait_ns(cv_, lk, timeout_ns, some))) return false;
      --value_;
      return true;
    });
  }
  if (m == "release") {
    return apply_encoded<std::int64_t>(a, [&](std::int64_t n) {
      if (n < 1) throw ValueError("Semaphore.release(n): n must be at least 1");
      if (bounded_ && value_ + n > initial_) throw ValueError("BoundedSemaphore released too many times");
      value_ += n;
      cv_.notify_all();
    });
  }
  if (m == "get_value") return apply_encoded<>(a, [&] { return value_; });
  throw_no_method(type_name(), m);
}

// ================================================================ Condition

void ManagedCondition::require_owner(std::uint64_t client, const char* what) const {
  if (owner_ != client)
    throw ValueError(std::string(what) + ": the condition's lock is not held by this caller");
}

bool ManagedCondition::take(std::unique_lock<std::mutex>& lk, std::uint64_t client, std::int64_t timeout_ns) {
  if (!wait_ns(lock_cv_, lk, timeout_ns, [&] { return owner_ == 0; })) return false;
  owner_ = client;
  count_ = 1;
  return true;
}

std::string ManagedCondition::call(std::string_view m, std::string_view a, const CallContext& ctx) {
  std::unique_lock lk(mutex_);
  if (m == "acquire") {
    return apply_encoded<bool, std::int64_t>(a, [&](bool block, std::int64_t timeout_ns) {
      if (owner_ == ctx.client) {
        ++count_;
        return true;
      }
      if (owner_ != 0 && !block) return false;
      return take(lk, ctx.client, timeout_ns);
    });
  }
  if (m == "release") {
    return apply_encoded<>(a, [&] {
      require_owner(ctx.client, "Condition.release()");
      if (--count_ == 0) {
        owner_ = 0;
        lock_cv_.notify_one();
      }
    });
  }
  if (m == "wait") {
    // Releases the lock fully, waits for a notification (at most the
    // timeout), takes the lock back at its depth; whether notified.
    return apply_encoded<std::int64_t>(a, [&](std::int64_t timeout_ns) {
      require_owner(ctx.client, "Condition.wait()");
      const std::uint64_t depth = count_;
      owner_ = 0;
      count_ = 0;
      lock_cv_.notify_one();
      ++waiting_;
      const bool notified = wait_ns(notify_cv_, lk, timeout_ns, [&] { return tickets_ > 0; });
      --waiting_;
      if (notified) --tickets_;
      (void)take(lk, ctx.client, -1);
      count_ = depth;
      return notified;
    });
  }
  if (m == "notify") {
    return apply_encoded<std::int64_t>(a, [&](std::int64_t n) {
      require_owner(ctx.client, "Condition.notify()");
      const std::uint64_t wake = std::min<std::uint64_t>(n < 0 ? waiting_ : static_cast<std::uint64_t>(n),
                                                         waiting_ - std::min(waiting_, tickets_));
      tickets_ += wake;
      notify_cv_.notify_all();
    });
  }
  throw_no_method(type_name(), m);
}

void ManagedCondition::client_gone(std::uint64_t client) {
  std::lock_guard lk(mutex_);
  if (owner_ != client) return;
  owner_ = 0;
  count_ = 0;
  lock_cv_.notify_one();
}

// ================================================================ Barrier

ManagedBarrier::ManagedBarrier(std::string_view args) {
  if (args.empty()) return;
  std::tuple<std::int64_t> init;
  mp::load(args, init);
  if (std::get<0>(init) < 1) throw ValueError("Barrier: parties must be at least 1");
  parties_ = std::get<0>(init);
}

std::string ManagedBarrier::call(std::string_view m, std::string_view a, const CallContext& /*ctx*/) {
  // Python's threading.Barrier, state for state: filling, draining (the
  // last one arrived: the others leave), resetting (reset() while some
  // wait: they raise, then it fills again), broken.
  std::unique_lock lk(mutex_);
  if (m == "wait") {
    return apply_encoded<std::int64_t>(a, [&](std::int64_t timeout_ns) {
      cv_.wait(lk, [&] { return state_ != State::draining && state_ != State::resetting; });
      if (state_ == State::broken) throw BrokenBarrierError("the barrier is broken");
      const std::int64_t index = count_++;
      struct Leave {  // on every way out, as Python's `finally: self._exit()`
        ManagedBarrier& b;
        ~Leave() {
          if (--b.count_ == 0 && (b.state_ == State::draining || b.state_ == State::resetting)) {
            b.state_ = State::filling;
            b.cv_.notify_all();
          }
        }
      } leave{*this};
      if (index + 1 == parties_) {
        state_ = State::draining;
        cv_.notify_all();
        return index;
      }
      if (!wait_ns(cv_, lk, timeout_ns, [&] { return state_ != State::filling; })) {
        state_ = State::broken;  // a timeout breaks the barrier for everyone
        cv_.notify_all();
      }
      if (state_ == State::broken || state_ == State::resetting) {
        throw BrokenBarrierError("the barrier is broken");
      }
      return index;
    });
  }
  if (m == "abort") {
    return apply_encoded<>(a, [&] {
      state_ = State::broken;
      cv_.notify_all();
    });
  }
  if (m == "reset") {
    return apply_encoded<>(a, [&] {
      if (count_ > 0) {
        // Waiters raise; the last one out sets it filling (or a draining round ends as it would).
        state_ = state_ == State::draining ? State::draining : State::resetting;
      } else {
        state_ = State::filling;
      }
      cv_.notify_all();
    });
  }
  if (m == "n_waiting")
    return apply_encoded<>(a, [&] { return state_ == State::filling ? count_ : std::int64_t{0}; });
  if (m == "broken") return apply_encoded<>(a, [&] { return state_ == State::broken; });
  throw_no_method(type_name(), m);
}

}  // namespace mp::detail::manager
