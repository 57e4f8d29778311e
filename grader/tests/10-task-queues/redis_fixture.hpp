#pragma once
// Lesson 10's tests and benchmarks: a redis-server of their own (a free loopback port, a
// temporary directory, nothing saved) and mp::tasks workers, each in a child process.
//
// The harness kills every process a test's child leaves behind, and the trusted parent
// starts no process of its own (grader/harness/student_code.hpp): so these are made INSIDE
// the function that in_student / time_in_student runs, before the student's function is
// called, and stopped (by their destructors) before that function returns. The grader's
// sandbox gives the run its own network namespace: the loopback is all there is, and all
// it needs.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <mp/process.hpp>
#include <mp/tasks.hpp>

namespace lesson10_testing {

/// A redis-server for one test: started by the constructor, stopped by the destructor.
using RedisHere = mp::tasks::LocalRedis;

/// An mp::tasks::Worker in a child process; `setup` registers its tasks there. The
/// destructor stops it (SIGTERM: a warm shutdown) or, past 10 s, kills it.
class WorkerHere {
public:
  WorkerHere(const std::string& url, mp::tasks::WorkerOptions options,
             std::function<void(mp::tasks::Worker&)> setup)
      : process_([url, options, setup]() mutable {
          if (!options.log) options.log = [](std::string_view) {};
          mp::tasks::Worker w(url, options);
          setup(w);
          w.run();
        }) {
    process_.start();
  }
  ~WorkerHere() {
    if (!process_.is_alive()) {
      (void)process_.join(std::chrono::seconds(1));
      return;
    }
    process_.terminate();
    if (!process_.join(std::chrono::seconds(10))) {
      process_.kill();
      (void)process_.join(std::chrono::seconds(10));
    }
  }
  WorkerHere(const WorkerHere&) = delete;
  WorkerHere& operator=(const WorkerHere&) = delete;

private:
  mp::Process process_;
};

/// Waits (polling Redis every millisecond) until `pred(redis)` holds; false after `limit`.
template <class Pred>
bool wait_for(mp::tasks::Redis& redis, Pred pred, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!pred(redis)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

/// A string reply as a number (0 for nil).
inline long long as_number(const mp::tasks::Reply& r) {
  if (r.kind == mp::tasks::Reply::Kind::integer) return r.integer;
  if (r.kind == mp::tasks::Reply::Kind::string) return std::stoll(r.str);
  return 0;
}

}  // namespace lesson10_testing
