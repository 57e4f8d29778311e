#pragma once
// The worker's inside: a consumer (run()'s thread: takes messages, holds ETAs,
// hands calls to the pool) and a reporter thread (stores results, acks,
// publishes retries), each with its own Redis connection; the pool's callbacks
// hand finished calls to the reporter. `inflight_` (taken, not yet acked, not
// waiting for an ETA) is what the prefetch limit bounds.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mp/tasks/redis.hpp"
#include "mp/tasks/worker.hpp"
#include "task_runner.hpp"

namespace mp {
class Pool;
}

namespace mp::tasks::detail {

/// A finished (or never started) call, on its way to the backend.
struct Completion {
  TaskMessage message;                 // as decoded
  std::optional<std::string> outcome;  // the pool process's JSON (task_runner.hpp)
  std::exception_ptr error;            // the pool's error instead (a lost process)
  std::optional<ResultMeta> record;    // or a record made here (NotRegistered, REVOKED, STARTED)
  bool ack = true;                     // false: a STARTED record only
  std::chrono::steady_clock::time_point started{};
  double hard_limit = -1;
  TaskOptions options;
};

class WorkerEngine {
public:
  WorkerEngine(std::string url, WorkerOptions options);
  void add(std::string name, TaskFunction fn, TaskOptions options);
  void run();
  void stop() noexcept { stop_.store(true, std::memory_order_relaxed); }
  WorkerStats stats() const;

private:
  struct Held {  // a message waiting for its ETA
    Clock::time_point eta;
    TaskMessage message;
    std::string raw;
  };
  void consume(Redis& conn, Pool& pool);
  void handle(Redis& conn, Pool& pool, std::string queue, std::string raw, std::string tag);
  void submit(Pool& pool, TaskMessage message);
  void release_due(Pool& pool);
  void put_back_held(Redis& conn);
  void finish(Completion c);  // to the reporter
  void report(Redis& conn);
  std::vector<std::vector<std::string>> plan(const Completion& c, WorkerStats& delta) const;
  void log(const std::string& line) const;
  void pause(std::chrono::milliseconds d);

  std::string url_;
  WorkerOptions options_;
  Registry registry_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> started_{false};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Completion> done_;
  std::size_t inflight_ = 0;
  bool consuming_ = false;
  WorkerStats stats_;
  std::vector<Held> held_;         // consumer only: a heap on eta
  std::string id_;                 // this worker's id in mp.unacked_owner (set by run())
  std::set<std::string> holding_;  // delivery tags taken and not yet acknowledged (mutex_)
};

}  // namespace mp::tasks::detail
