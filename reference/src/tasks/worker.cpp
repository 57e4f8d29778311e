// mp::tasks::Worker: the consumer side of the engine (see worker_engine.hpp):
// signals, the pool, taking messages within the prefetch limit, ETAs, and the
// periodic restore of lost workers' messages.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>
#include <utility>

#include "broker_ops.hpp"
#include "mp/detail/fault_point.hpp"
#include "mp/pool.hpp"
#include "worker_engine.hpp"

namespace mp::tasks {
namespace detail {
namespace {

std::atomic<WorkerEngine*> signalled_engine{nullptr};
std::atomic<pid_t> engine_pid{0};

// In the worker: a warm shutdown. In a pool process forked before its
// initializer reset the handler: the signal's default action (it must die
// with the worker, which is what its lifeline's SIGTERM asks).
extern "C" void on_stop_signal(int sig) {
  if (::getpid() != engine_pid.load()) {
    std::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  if (WorkerEngine* e = signalled_engine.load()) e->stop();
}

// SIGTERM and SIGINT stop the worker while run() runs; the old handlers come back after.
class StopSignals {
public:
  explicit StopSignals(WorkerEngine* engine) {
    signalled_engine.store(engine);
    engine_pid.store(::getpid());
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &old_term_);
    sigaction(SIGINT, &sa, &old_int_);
  }
  ~StopSignals() {
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGINT, &old_int_, nullptr);
    signalled_engine.store(nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

private:
  struct sigaction old_term_ {};
  struct sigaction old_int_ {};
};

// Pool processes: Ctrl-C reaches the whole process group, but only the worker
// decides when its tasks stop (Celery's children ignore SIGINT too).
void pool_process_signals() {
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_DFL);
}

bool later_eta(const auto& a, const auto& b) { return a.eta > b.eta; }

double limit_or_none(const std::optional<double>& a, const std::optional<double>& b,
                     const std::optional<double>& c) {
  if (a) return *a;
  if (b) return *b;
  if (c) return *c;
  return -1;
}

}  // namespace

WorkerEngine::WorkerEngine(std::string url, WorkerOptions options)
    : url_(std::move(url)), options_(std::move(options)) {
  if (options_.queues.empty()) throw ValueError("mp::tasks::Worker: no queue to consume");
  if (options_.concurrency < 0 || options_.prefetch_multiplier < 1) {
    throw ValueError("mp::tasks::Worker: concurrency must be >= 0 and prefetch_multiplier >= 1");
  }
  if (options_.concurrency == 0)
    options_.concurrency = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  if (options_.hostname.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    options_.hostname = std::string("mp@") + host;
  }
  // Fail now, not in run(), when Redis is not there or too old for BLMOVE (6.2).
  Redis probe(url_);
  const std::string info = probe.command({"INFO", "server"}).str;
  const auto at = info.find("redis_version:");
  if (at != std::string::npos) {
    int major = 0;
    int minor = 0;
    if (std::sscanf(info.c_str() + at + 14, "%d.%d", &major, &minor) == 2 &&
        (major < 6 || (major == 6 && minor < 2))) {
      throw BrokerError("mp::tasks::Worker: Redis " + std::to_string(major) + "." + std::to_string(minor) +
                        " is too old: the worker needs 6.2 or newer (BLMOVE)");
    }
  }
}

void WorkerEngine::add(std::string name, TaskFunction fn, TaskOptions options) {
  if (started_.load()) throw ValueError("mp::tasks::Worker: register tasks before run()");
  registry_[std::move(name)] = Registered{std::move(fn), options};
}

void WorkerEngine::log(const std::string& line) const {
  const std::string full = "[" + options_.hostname + "] " + line;
  if (options_.log) {
    options_.log(full);
  } else {
    std::cerr << full << '\n';
  }
}

void WorkerEngine::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, d, [&] { return stop_.load(); });
}

WorkerStats WorkerEngine::stats() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

void WorkerEngine::run() {
  if (started_.exchange(true)) throw ValueError("mp::tasks::Worker::run() called twice");
  set_process_registry(&registry_);
  id_ = options_.hostname + "." + std::to_string(::getpid()) + "." + new_uuid();
  // The handlers first: a SIGTERM from here on is a warm shutdown that also
  // joins the pool (killed by it while forking, the worker would leave its
  // pool processes to die after it, as orphans).
  const StopSignals signals(this);
  Pool pool(options_.concurrency, pool_process_signals);
  {
    const std::lock_guard lock(mutex_);
    consuming_ = true;
  }
  std::thread reporter([this] {
    Redis conn(url_);  // connects on first use if Redis is away now
    report(conn);
  });
  {
    std::optional<Redis> conn;
    while (!conn && !stop_.load()) {
      try {
        conn.emplace(url_);
      } catch (const BrokerError& e) {
        log(std::string("cannot reach the broker: ") + e.what());
        pause(std::chrono::seconds(1));
      }
    }
    if (conn) {
      log("ready: queues " + options_.queues.front() + (options_.queues.size() > 1 ? ",..." : "") + ", " +
          std::to_string(options_.concurrency) + " processes");
      consume(*conn, pool);
      put_back_held(*conn);
    }
  }
  {
    std::unique_lock lock(mutex_);
    consuming_ = false;
    changed_.notify_all();
  }
  reporter.join();
  pool.close();
  pool.join();
  log("stopped");
}

void WorkerEngine::consume(Redis& conn, Pool& pool) {
  using Steady = std::chrono::steady_clock;
  const std::size_t limit = static_cast<std::size_t>(options_.concurrency) * options_.prefetch_multiplier;
  const auto restore_every = std::clamp(options_.visibility_timeout / 4, std::chrono::milliseconds(50),
                                        std::chrono::milliseconds(5000));
  auto next_restore = Steady::now();
  std::size_t turn = 0;
  auto backoff = std::chrono::milliseconds(100);
  bool reclaim = true;  // at start too: a crashed worker of the same id cannot exist, but it is cheap
  while (!stop_.load()) {
    try {
      if (reclaim) {  // after a broken connection: a take whose reply was lost
        std::set<std::string> holding;
        {
          const std::lock_guard lock(mutex_);
          holding = holding_;
        }
        const std::size_t n = reclaim_own(conn, id_, holding, options_.dead_letter_queue);
        if (n > 0) log("put back " + std::to_string(n) + " message(s) taken as the connection broke");
        reclaim = false;
      }
      if (Steady::now() >= next_restore) {
        const std::size_t n = restore_visible(conn, options_.visibility_timeout, options_.dead_letter_queue);
        if (n > 0) {
          log("restored " + std::to_string(n) + " message(s) of lost workers");
          const std::lock_guard lock(mutex_);
          stats_.restored += n;
        }
        next_restore = Steady::now() + restore_every;
      }
      release_due(pool);
      {
        std::unique_lock lock(mutex_);
        if (inflight_ >= limit) {  // the prefetch limit: wait for a result to be stored
          changed_.wait_for(lock, std::chrono::milliseconds(100),
                            [&] { return inflight_ < limit || stop_.load(); });
          continue;
        }
      }
      auto taken = take(conn, options_.queues, options_.dead_letter_queue, id_);
      backoff = std::chrono::milliseconds(100);
      if (!taken) {
        // Block on one queue at a time; with one queue this wakes at once.
        auto wait =
            options_.queues.size() == 1 ? std::chrono::milliseconds(250) : std::chrono::milliseconds(50);
        if (!held_.empty()) {
          const auto until =
              std::chrono::duration_cast<std::chrono::milliseconds>(held_.front().eta - Clock::now());
          wait = std::clamp(until, std::chrono::milliseconds(1), wait);
        }
        wait_for_message(conn, options_.queues[turn++ % options_.queues.size()], wait);
        continue;
      }
      mp::detail::reach_fault_point("tasks.taken", taken->tag.c_str());
      handle(conn, pool, std::move(taken->queue), std::move(taken->raw), std::move(taken->tag));
    } catch (const BrokerError& e) {
      log(std::string("broker: ") + e.what() + "; trying again in " + std::to_string(backoff.count()) +
          " ms");
      pause(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
  }
}

void WorkerEngine::handle(Redis& conn, Pool& pool, std::string queue, std::string raw, std::string tag) {
  if (tag.empty()) {
    log("a message on " + queue + " has no delivery tag: moved to " + options_.dead_letter_queue);
    const std::lock_guard lock(mutex_);
    ++stats_.dead_lettered;
    return;
  }
  {
    const std::lock_guard lock(mutex_);
    holding_.insert(tag);
  }
  TaskMessage m;
  try {
    m = decode_message(raw);
  } catch (const ProtocolError& e) {
    log(std::string("unreadable message on ") + queue + " (" + e.what() + "): moved to " +
        options_.dead_letter_queue);
    std::vector<std::vector<std::string>> cmds{{"LPUSH", options_.dead_letter_queue, raw}};
    append_ack(cmds, tag);
    run_transaction(conn, std::move(cmds));
    const std::lock_guard lock(mutex_);
    holding_.erase(tag);
    ++stats_.dead_lettered;
    return;
  }
  m.delivery_tag = tag;
  if (m.has_workflow)
    log("task " + m.task + "[" + m.id + "]: chains, chords and callbacks are not supported; ignored");
  if (m.eta && *m.eta > Clock::now()) {
    held_.push_back(Held{*m.eta, std::move(m), std::move(raw)});
    std::push_heap(held_.begin(), held_.end(), later_eta<Held, Held>);
    return;
  }
  submit(pool, std::move(m));
}

void WorkerEngine::release_due(Pool& pool) {
  while (!held_.empty() && held_.front().eta <= Clock::now()) {
    std::pop_heap(held_.begin(), held_.end(), later_eta<Held, Held>);
    Held h = std::move(held_.back());
    held_.pop_back();
    submit(pool, std::move(h.message));
  }
}

void WorkerEngine::put_back_held(Redis& conn) {
  for (const auto& h : held_) {
    try {
      restore_one(conn, h.message.delivery_tag, h.raw, h.message.queue);
      const std::lock_guard lock(mutex_);
      holding_.erase(h.message.delivery_tag);
    } catch (const BrokerError& e) {
      log(std::string("could not put back a waiting message (it comes back after the visibility timeout): ") +
          e.what());
    }
  }
  held_.clear();
}

void WorkerEngine::submit(Pool& pool, TaskMessage m) {
  {
    const std::lock_guard lock(mutex_);
    ++inflight_;
  }
  Completion c;
  c.message = std::move(m);
  c.started = std::chrono::steady_clock::now();
  const TaskMessage& msg = c.message;
  if (msg.expires && *msg.expires < Clock::now()) {
    c.record = ResultMeta{msg.id,
                          State::revoked,
                          nullptr,
                          "",
                          ExceptionInfo{"TaskRevokedError", "celery.exceptions", "expired"},
                          iso8601(Clock::now())};
    finish(std::move(c));
    return;
  }
  const auto it = registry_.find(msg.task);
  if (it == registry_.end()) {
    log("received unregistered task " + msg.task + "[" + msg.id + "]");
    c.record = ResultMeta{msg.id,
                          State::failure,
                          nullptr,
                          "",
                          ExceptionInfo{"NotRegistered", "celery.exceptions", "'" + msg.task + "'"},
                          iso8601(Clock::now())};
    finish(std::move(c));
    return;
  }
  c.options = it->second.options;
  const double soft = limit_or_none(msg.soft_time_limit, c.options.soft_time_limit, options_.soft_time_limit);
  c.hard_limit = limit_or_none(msg.time_limit, c.options.time_limit, options_.time_limit);
  if (options_.track_started) {
    Completion started;
    started.message = msg;
    started.ack = false;
    started.record =
        ResultMeta{msg.id, State::started, {{"pid", 0}, {"hostname", options_.hostname}}, "", {}, ""};
    finish(std::move(started));
  }
  auto shared = std::make_shared<Completion>(std::move(c));
  const TaskMessage& sm = shared->message;
  pool.apply_async(&run_in_pool_process, sm.task, sm.args.dump(), sm.kwargs.dump(), sm.id, sm.retries,
                   sm.redelivered, soft, shared->hard_limit,
                   mp::callback([this, shared](const std::string& outcome) {
                     Completion done = std::move(*shared);
                     done.outcome = outcome;
                     finish(std::move(done));
                   }),
                   mp::error_callback([this, shared](std::exception_ptr e) {
                     Completion done = std::move(*shared);
                     done.error = std::move(e);
                     finish(std::move(done));
                   }));
}

}  // namespace detail

Worker::Worker(std::string broker_url, WorkerOptions options)
    : engine_(std::make_unique<detail::WorkerEngine>(std::move(broker_url), std::move(options))) {}
Worker::~Worker() = default;
Worker& Worker::register_json(std::string name, detail::TaskFunction fn, TaskOptions options) {
  engine_->add(std::move(name), std::move(fn), options);
  return *this;
}
void Worker::run() { engine_->run(); }
void Worker::stop() noexcept { engine_->stop(); }
WorkerStats Worker::stats() const { return engine_->stats(); }

}  // namespace mp::tasks
