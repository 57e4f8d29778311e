#pragma once
// What the mp::tasks suites share: a real redis-server of their own on a free
// loopback port in a temporary directory (stopped and removed with the
// object), and a worker run in a child process.
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mp/process.hpp"
#include "mp/tasks.hpp"

namespace mp::testing {

/// A redis-server started for one test (Debian's `redis-server`).
class RedisServer {
public:
  /// Starts it; `append_only` turns persistence on (every write fsynced), so
  /// that a restart keeps queues and unacked messages. Fails the test (throws
  /// std::runtime_error) when it does not answer PING within 10 s.
  /// `bind`: the address it listens on (another host's, in a network namespace test).
  explicit RedisServer(bool append_only = false, std::string bind = "127.0.0.1");
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  /// `redis://127.0.0.1:PORT/0`.
  [[nodiscard]] std::string url() const;
  [[nodiscard]] int port() const noexcept { return port_; }
  /// Stops it (SIGTERM: it saves), waits for it to exit.
  void stop();
  /// Starts it again on the same port and directory.
  void start();
  /// Its pid (0 when stopped).
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

private:
  std::string dir_;
  int port_ = 0;
  bool append_only_;
  std::string bind_;
  pid_t pid_ = 0;
};

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
