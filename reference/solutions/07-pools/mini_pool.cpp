// Lesson 07, exercise 2: MiniPool (see mini_pool.hpp for the contract).
// Reference solution: one duplex pipe per worker, one task at a time per worker
// (so that a worker's death names the task it was running), no thread: every call
// first does what is due (pump), and get() sleeps in mp::wait on the pipes and
// the processes together.
#include "mini_pool.hpp"

#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <mp/connection.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>
#include <mp/wait.hpp>

namespace lesson07 {

namespace {

using Request = std::tuple<std::uint64_t, std::uint64_t, std::int64_t>;       // ticket, fn, arg
using Response = std::tuple<std::uint64_t, bool, std::int64_t, std::string>;  // ticket, ok, value, error

// The worker's loop: run each task received, send its result back; the caller
// closing its end (EOF) means: stop.
void serve(mp::Connection& conn) {
  for (;;) {
    Request task;
    try {
      task = conn.recv<Request>();
    } catch (const mp::EOFError&) {
      return;
    }
    const auto [ticket, fn, arg] = task;
    Response out{ticket, true, 0, ""};
    try {
      std::get<2>(out) = reinterpret_cast<Task>(static_cast<std::uintptr_t>(fn))(arg);
    } catch (const std::exception& e) {
      out = Response{ticket, false, 0, e.what()};
    } catch (...) {
      out = Response{ticket, false, 0, "an exception of a type not derived from std::exception"};
    }
    conn.send(out);
  }
}

}  // namespace

struct MiniPool::State {
  struct Worker {
    mp::Process process;
    mp::Connection conn;                   // the caller's end of this worker's pipe
    std::optional<std::uint64_t> running;  // the ticket it runs, if any
  };
  struct Queued {
    std::uint64_t ticket;
    Task fn;
    std::int64_t arg;
  };
  enum class Kind { value, error, lost, broken };
  struct Outcome {
    Kind kind;
    std::int64_t value = 0;
    std::string message;
    long pid = 0;
    int exitcode = 0;
  };

  std::vector<std::unique_ptr<Worker>> workers;  // stable addresses: the workers' lambdas refer to them
  std::deque<Queued> queue;                      // submitted, not yet handed to a worker
  std::map<std::uint64_t, Outcome> done;
  std::uint64_t next_ticket = 1;
  bool terminated = false;

  // Forks a worker into slot `k`. The child closes every caller's end it inherited:
  // its own (so that EOF can reach it) and the other workers' (so that theirs can).
  void spawn(std::size_t k) {
    mp::Connection here, there;
    std::tie(here, there) = mp::Pipe();
    auto w = std::make_unique<Worker>(Worker{mp::Process([this, &here, &there] {
                                               for (auto& other : workers)
                                                 if (other) other->conn.close();
                                               here.close();
                                               serve(there);
                                             }),
                                             mp::Connection(), std::nullopt});
    w->process.start();
    there.close();
    w->conn = std::move(here);
    workers[k] = std::move(w);
  }

  // Records what a worker's ending means for its task, and replaces it.
  void replace(std::size_t k) {
    Worker& w = *workers[k];
    w.process.join();
    if (w.running) {
      const long pid = static_cast<long>(w.process.pid().value_or(0));
      const int code = w.process.exitcode().value_or(0);
      done[*w.running] =
          Outcome{Kind::lost, 0,
                  "MiniPool: the worker (pid " + std::to_string(pid) + ") running task " +
                      std::to_string(*w.running) + " ended with exit code " + std::to_string(code),
                  pid, code};
    }
    w.conn.close();
    workers[k].reset();
    spawn(k);
  }

  // Everything that is due, without blocking: results that arrived, workers that
  // ended (their results first: one may have sent its result, then died), tasks for
  // idle workers.
  void pump() {
    for (std::size_t k = 0; k < workers.size(); ++k) {
      Worker& w = *workers[k];
      const bool ended = !w.process.is_alive();
      bool eof = false;
      while (!eof && w.conn.poll()) {
        try {
          const auto [ticket, ok, value, error] = w.conn.recv<Response>();
          done[ticket] = ok ? Outcome{Kind::value, value, "", 0, 0} : Outcome{Kind::error, 0, error, 0, 0};
          w.running.reset();
        } catch (const mp::EOFError&) {
          eof = true;
        }
      }
      if (ended || eof) {
        if (!ended) w.process.join();  // EOF: it is exiting
        replace(k);
      }
    }
    for (auto& w : workers) {
      if (queue.empty()) break;
      if (w->running) continue;
      const Queued q = queue.front();
      try {
        w->conn.send(Request{q.ticket, reinterpret_cast<std::uintptr_t>(q.fn), q.arg});
      } catch (const std::system_error&) {
        continue;  // it died just now (EPIPE): the next pump replaces it; the task waits
      }
      queue.pop_front();
      w->running = q.ticket;
    }
  }
};

MiniPool::MiniPool(int workers) {
  if (workers < 1)
    throw mp::ValueError("MiniPool: workers must be at least 1, not " + std::to_string(workers));
  state_ = std::make_unique<State>();
  state_->workers.resize(static_cast<std::size_t>(workers));
  try {
    for (std::size_t k = 0; k < state_->workers.size(); ++k) state_->spawn(k);
  } catch (...) {
    terminate();
    throw;
  }
}

MiniPool::~MiniPool() { terminate(); }

std::uint64_t MiniPool::apply_async(Task fn, std::int64_t arg) {
  State& s = *state_;
  if (s.terminated) throw mp::ValueError("MiniPool: terminated");
  const std::uint64_t ticket = s.next_ticket++;
  s.queue.push_back({ticket, fn, arg});
  s.pump();
  return ticket;
}

std::int64_t MiniPool::get(std::uint64_t ticket, mp::Timeout timeout) {
  State& s = *state_;
  if (ticket == 0 || ticket >= s.next_ticket)
    throw mp::ValueError("MiniPool::get: no task has ticket " + std::to_string(ticket));
  const mp::Deadline deadline(timeout);
  for (;;) {
    if (!s.terminated) s.pump();
    if (const auto it = s.done.find(ticket); it != s.done.end()) {
      const State::Outcome& o = it->second;
      switch (o.kind) {
        case State::Kind::value: return o.value;
        case State::Kind::error: throw mp::RemoteError("std::exception", o.message);
        case State::Kind::lost: throw mp::WorkerLost(o.message, o.pid, o.exitcode);
        case State::Kind::broken: throw mp::BrokenPool(o.message);
      }
    }
    if (s.terminated)
      throw mp::BrokenPool("MiniPool: terminated before task " + std::to_string(ticket) + " was done");
    if (deadline.expired())
      throw mp::TimeoutError("MiniPool::get: task " + std::to_string(ticket) + " is not done");
    // Sleep until a result, an EOF or a worker's end, or the deadline.
    std::vector<mp::Waitable> watch;
    for (auto& w : s.workers) {
      watch.emplace_back(w->conn);
      watch.emplace_back(w->process);
    }
    (void)mp::wait(watch, deadline.is_forever() ? mp::Timeout::forever() : mp::Timeout(deadline.remaining()));
  }
}

std::vector<pid_t> MiniPool::worker_pids() {
  State& s = *state_;
  if (s.terminated) return {};
  s.pump();
  std::vector<pid_t> pids;
  for (auto& w : s.workers) pids.push_back(w->process.pid().value_or(0));
  return pids;
}

void MiniPool::terminate() noexcept {
  if (!state_ || state_->terminated) return;
  State& s = *state_;
  s.terminated = true;
  for (auto& w : s.workers) {
    if (!w) continue;
    try {
      if (w->process.is_alive()) w->process.kill();
      w->process.join();
    } catch (...) {
    }
    w->conn.close();
    if (w->running && !s.done.count(*w->running))
      s.done[*w->running] =
          State::Outcome{State::Kind::broken, 0,
                         "MiniPool: terminated while task " + std::to_string(*w->running) + " ran", 0, 0};
  }
  for (const auto& q : s.queue)
    s.done[q.ticket] =
        State::Outcome{State::Kind::broken, 0,
                       "MiniPool: terminated before task " + std::to_string(q.ticket) + " ran", 0, 0};
  s.queue.clear();
  s.workers.clear();
}

}  // namespace lesson07
