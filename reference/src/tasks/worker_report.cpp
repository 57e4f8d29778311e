// The reporter side of the worker engine (see worker_engine.hpp): what each
// finished call becomes in Redis (a result, a retry, a dead letter) and the
// transaction that stores it together with the acknowledgement.
#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

#include "broker_ops.hpp"
#include "mp/error.hpp"
#include "worker_engine.hpp"

namespace mp::tasks::detail {
namespace {

using nlohmann::json;

ExceptionInfo read_error(const json& e) {
  return ExceptionInfo{e.value("exc_type", "Exception"), e.value("exc_module", "builtins"),
                       e.value("exc_message", "")};
}

std::string cpp_traceback(const TaskMessage& m, const ExceptionInfo& e, const std::string& host) {
  return "Traceback (a C++ task; no Python frames):\n  task " + m.task + "[" + m.id + "] on " + host + "\n" +
         e.type + ": " + e.message + "\n";
}

std::chrono::milliseconds backoff_for(const TaskOptions& o, int retries) {
  const double factor = std::pow(2.0, std::min(retries, 30));
  const auto ms = static_cast<long long>(static_cast<double>(o.retry_backoff.count()) * factor);
  return std::min(std::chrono::milliseconds(ms), o.retry_backoff_max);
}

}  // namespace

void WorkerEngine::finish(Completion c) {
  const std::lock_guard lock(mutex_);
  done_.push_back(std::move(c));
  changed_.notify_all();
}

std::vector<std::vector<std::string>> WorkerEngine::plan(const Completion& c, WorkerStats& delta) const {
  const TaskMessage& m = c.message;
  const std::string now = iso8601(Clock::now());
  ResultMeta r{m.id, State::success, nullptr, "", std::nullopt, now};
  std::vector<std::vector<std::string>> cmds;
  if (c.record) {
    r = *c.record;
    if (r.date_done.empty() && is_ready(r.state)) r.date_done = now;
  } else if (c.error) {
    // The pool process died (its hard time limit, or something else) or the pool failed.
    bool lost = false;
    try {
      std::rethrow_exception(c.error);
    } catch (const WorkerLost&) {
      lost = true;
    } catch (...) {
    }
    const double ran = std::chrono::duration<double>(std::chrono::steady_clock::now() - c.started).count();
    r.state = State::failure;
    if (lost && c.hard_limit > 0 && ran >= c.hard_limit * 0.95) {
      r.exception = ExceptionInfo{"TimeLimitExceeded", "celery.exceptions", std::to_string(c.hard_limit)};
    } else if (lost) {
      r.exception = ExceptionInfo{"WorkerLostError", "billiard.exceptions", "Worker exited prematurely"};
    } else {
      r.exception = describe(c.error);
    }
    if (lost) ++delta.lost;
    r.traceback = cpp_traceback(m, *r.exception, options_.hostname);
  } else {
    const json out = json::parse(*c.outcome, nullptr, false);
    const bool wants_retry = out.contains("retry") || (out.contains("error") && c.options.autoretry);
    if (out.contains("ok")) {
      r.result = out["ok"];
    } else if (wants_retry && m.retries < c.options.max_retries) {
      const auto countdown = out.contains("countdown_ms") && out["countdown_ms"].is_number()
                                 ? std::chrono::milliseconds(out["countdown_ms"].get<long long>())
                                 : backoff_for(c.options, m.retries);
      TaskMessage again = m;
      again.retries = m.retries + 1;
      again.eta = Clock::now() + countdown;
      again.delivery_tag.clear();
      again.redelivered = false;
      cmds.push_back({"LPUSH", m.queue, encode_message(again)});
      r.state = State::retry;
      r.exception = ExceptionInfo{"Retry", "celery.exceptions",
                                  "Retry in " + std::to_string(countdown.count() / 1000.0) + "s"};
      ++delta.retried;
    } else {
      r.state = State::failure;
      r.exception = out.contains("error") && out["error"].is_object()
                        ? read_error(out["error"])
                        : ExceptionInfo{"MaxRetriesExceededError", "celery.exceptions",
                                        "Can't retry " + m.task + "[" + m.id + "] args:" + m.args.dump()};
      r.traceback = cpp_traceback(m, *r.exception, options_.hostname);
    }
  }
  const std::string doc = encode_result(r);
  const std::string key = result_key(m.id);
  cmds.push_back({"SET", key, doc, "EX", std::to_string(options_.result_expires.count())});
  cmds.push_back({"PUBLISH", key, doc});
  if (c.ack) {
    append_ack(cmds, m.delivery_tag);
    if (r.state == State::success) ++delta.succeeded;
    if (r.state == State::failure || r.state == State::revoked) ++delta.failed;
  }
  return cmds;
}

void WorkerEngine::report(Redis& conn) {
  auto backoff = std::chrono::milliseconds(100);
  bool failing = false;
  auto failing_since = std::chrono::steady_clock::now();
  for (;;) {
    std::deque<Completion> batch;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !done_.empty() || (!consuming_ && inflight_ == 0); });
      if (done_.empty()) return;
      batch.swap(done_);
    }
    WorkerStats delta;
    std::size_t acked = 0;
    std::vector<std::vector<std::string>> cmds{{"MULTI"}};
    for (const auto& c : batch) {
      auto more = plan(c, delta);
      cmds.insert(cmds.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
      if (c.ack) ++acked;
    }
    cmds.push_back({"EXEC"});
    try {
      cmds.erase(cmds.begin());
      cmds.pop_back();
      run_transaction(conn, std::move(cmds));
      failing = false;
      backoff = std::chrono::milliseconds(100);
    } catch (const BrokerError& e) {
      const auto now = std::chrono::steady_clock::now();
      if (!failing) failing_since = now;
      failing = true;
      const bool give_up = stop_.load() && now - failing_since > std::chrono::seconds(10);
      log(std::string("broker: cannot store ") + std::to_string(batch.size()) + " result(s): " + e.what() +
          (give_up ? "; giving up (the messages come back after the visibility timeout)" : "; trying again"));
      if (!give_up) {
        {
          const std::lock_guard lock(mutex_);
          for (auto it = batch.rbegin(); it != batch.rend(); ++it) done_.push_front(std::move(*it));
        }
        std::this_thread::sleep_for(backoff);  // not pause(): it returns at once once stopping
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
        continue;
      }
    }
    const std::lock_guard lock(mutex_);
    for (const auto& c : batch) {
      if (c.ack) holding_.erase(c.message.delivery_tag);
    }
    inflight_ -= std::min(inflight_, acked);
    stats_.succeeded += delta.succeeded;
    stats_.failed += delta.failed;
    stats_.retried += delta.retried;
    stats_.lost += delta.lost;
    changed_.notify_all();
  }
}

}  // namespace mp::tasks::detail
