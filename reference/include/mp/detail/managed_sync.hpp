#pragma once
/// @file
/// @brief The synchronisation objects a manager holds for its proxies
/// (detail): an event, a (bounded) semaphore, a condition with its own
/// recursive lock, a barrier, and a queue (joinable). Blocking methods block
/// the calling client's server thread only, at most their timeout (ns; -1:
/// forever), on the object's condition variable.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "mp/detail/managed_types.hpp"
#include "mp/error.hpp"

namespace mp::detail::manager {

/// Waits on `cv` until `ready()` or `timeout_ns` (-1: forever); whether ready.
template <class Ready>
bool wait_ns(std::condition_variable& cv, std::unique_lock<std::mutex>& lk, std::int64_t timeout_ns,
             Ready ready) {
  if (timeout_ns < 0) {
    cv.wait(lk, ready);
    return true;
  }
  return cv.wait_for(lk, std::chrono::nanoseconds(timeout_ns), ready);
}

/// Python's Event.
class ManagedEvent final : public ManagedObject {
public:
  static std::string type_name() { return "event"; }
  /// Args: none.
  explicit ManagedEvent(std::string_view /*args*/) {}
  std::string call(std::string_view m, std::string_view a, const CallContext& ctx) override;

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool flag_ = false;
};

/// Python's Semaphore, or BoundedSemaphore (release past the initial value raises).
class ManagedSemaphore final : public ManagedObject {
public:
  static std::string type_name() { return "semaphore"; }
  /// Args: std::tuple<std::int64_t value, bool bounded> (none: 1, not bounded).
  explicit ManagedSemaphore(std::string_view args);
  std::string call(std::string_view m, std::string_view a, const CallContext& ctx) override;

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::int64_t value_ = 1;
  std::int64_t initial_ = 1;
  bool bounded_ = false;
};

/// Python's Condition over its own recursive lock, owned by a client: wait()
/// releases it fully and takes it back; notify() needs it held. A client
/// that dies holding it releases it.
class ManagedCondition final : public ManagedObject {
public:
  static std::string type_name() { return "condition"; }
  /// Args: none.
  explicit ManagedCondition(std::string_view /*args*/) {}
  std::string call(std::string_view m, std::string_view a, const CallContext& ctx) override;
  void client_gone(std::uint64_t client) override;

private:
  bool take(std::unique_lock<std::mutex>& lk, std::uint64_t client, std::int64_t timeout_ns);
  void require_owner(std::uint64_t client, const char* what) const;

  std::mutex mutex_;
  std::condition_variable lock_cv_;    // the lock became free
  std::condition_variable notify_cv_;  // a notify came
  std::uint64_t owner_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t waiting_ = 0;  // waiters in wait()
  std::uint64_t tickets_ = 0;  // notifications not yet taken by a waiter
};

/// Python's Barrier(parties): wait() returns 0..parties-1; a timeout or
/// abort() breaks it (mp::BrokenBarrierError for every waiter, and later
/// ones); reset() makes the current waiters raise and mends it.
class ManagedBarrier final : public ManagedObject {
public:
  static std::string type_name() { return "barrier"; }
  /// Args: std::tuple<std::int64_t parties>.
  explicit ManagedBarrier(std::string_view args);
  std::string call(std::string_view m, std::string_view a, const CallContext& ctx) override;

private:
  enum class State { filling, draining, resetting, broken };
  std::mutex mutex_;
  std::condition_variable cv_;
  std::int64_t parties_ = 1;
  std::int64_t count_ = 0;  // callers inside wait()
  State state_ = State::filling;
};

/// Python's Queue / JoinableQueue of T (maxsize 0: unbounded). An item got
/// by a client whose reply cannot be sent (it died in get()) goes back to the
/// front: a killed consumer loses no item.
template <class T>
class ManagedQueue final : public ManagedObject {
public:
  static std::string type_name() { return "queue<" + name_of<T>() + ">"; }
  /// Args: std::tuple<std::int64_t maxsize> (none: unbounded).
  explicit ManagedQueue(std::string_view args) {
    if (args.empty()) return;
    std::tuple<std::int64_t> init;
    mp::load(args, init);
    maxsize_ = std::get<0>(init);
  }

  std::string call(std::string_view m, std::string_view a, const CallContext& /*ctx*/) override {
    std::unique_lock lk(mutex_);
    if (m == "put") {
      return apply_encoded<T, bool, std::int64_t>(a, [&](T& item, bool block, std::int64_t timeout_ns) {
        const auto room = [&] {
          return maxsize_ <= 0 || static_cast<std::int64_t>(items_.size()) < maxsize_;
        };
        if (!room() && (!block || !wait_ns(cv_, lk, timeout_ns, room)))
          throw Full("put(): the queue is full");
        items_.push_back(std::move(item));
        ++unfinished_;
        cv_.notify_all();
      });
    }
    if (m == "get") {
      return apply_encoded<bool, std::int64_t>(a, [&](bool block, std::int64_t timeout_ns) {
        const auto some = [&] { return !items_.empty(); };
        if (!some() && (!block || !wait_ns(cv_, lk, timeout_ns, some)))
          throw Empty("get(): the queue is empty");
        T item = std::move(items_.front());
        items_.pop_front();
        cv_.notify_all();
        return item;
      });
    }
    if (m == "task_done") {
      return apply_encoded<>(a, [&] {
        if (unfinished_ == 0) throw ValueError("task_done() called too many times");
        if (--unfinished_ == 0) cv_.notify_all();
      });
    }
    if (m == "join") {
      return apply_encoded<std::int64_t>(a, [&](std::int64_t timeout_ns) {
        return wait_ns(cv_, lk, timeout_ns, [&] { return unfinished_ == 0; });
      });
    }
    if (m == "qsize") return apply_encoded<>(a, [&] { return static_cast<std::uint64_t>(items_.size()); });
    throw_no_method(type_name(), m);
  }

  void reply_failed(std::string_view method, std::string_view result) override {
    if (method != "get") return;
    T item{};
    mp::load(result, item);
    std::lock_guard lk(mutex_);
    items_.push_front(std::move(item));
    cv_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<T> items_;
  std::int64_t maxsize_ = 0;
  std::uint64_t unfinished_ = 0;  // put and not yet task_done()
};

}  // namespace mp::detail::manager
