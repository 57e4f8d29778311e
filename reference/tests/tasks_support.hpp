#pragma once
// What the mp::tasks suites share: the tasks their workers run, and a worker
// run in a child process. (Each test's own redis-server is an mp::tasks::LocalRedis.)
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mp/process.hpp"
#include "mp/tasks.hpp"

namespace mp::testing {

/// The tasks every worker of the tests registers: tests.add(x, y), tests.netns() (this
/// process's network namespace, /proc/self/ns/net), tests.boom(x) (throws
/// std::invalid_argument "bad x"), tests.sleep_ms(ms) (returns ms; calls
/// checkpoint() every ms), tests.flaky(key, fails) (INCRs key in Redis, throws
/// until it has failed `fails` times), tests.hold(key) (INCRs key, then
/// waits until key "release" exists), tests.echo(s).
void register_test_tasks(mp::tasks::Worker& w, const std::string& url);

/// A worker in a child process: stop() sends SIGTERM (graceful) and expects
/// it to exit 0; the destructor kills one still running (a test that threw
/// must not wait for it forever).
class WorkerProcess {
public:
  WorkerProcess(const std::string& url, mp::tasks::WorkerOptions options);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;
  /// SIGTERM, then expects exit code 0 within 20 s.
  void stop();
  /// SIGKILL to the worker (its pool processes die with it), reaped.
  void kill();
  /// The underlying process.
  mp::Process& process() noexcept { return process_; }

private:
  mp::Process process_;
};

/// Starts a worker in a child process.
inline std::unique_ptr<WorkerProcess> start_worker(const std::string& url,
                                                   mp::tasks::WorkerOptions options = {}) {
  return std::make_unique<WorkerProcess>(url, std::move(options));
}

/// The time a test may wait for a result (scaled for sanitizers).
std::chrono::milliseconds result_wait();

}  // namespace mp::testing
