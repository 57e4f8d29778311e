// See tasks_support.hpp.
#include "tasks_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "test_support.hpp"

namespace mp::testing {
namespace {

std::string& task_url() {
  static std::string url;
  return url;
}

int add(int x, int y) { return x + y; }
int boom(int x) { throw std::invalid_argument("bad " + std::to_string(x)); }
int sleep_ms(int ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    mp::tasks::checkpoint();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return ms;
}
std::string flaky(std::string key, int fails) {
  mp::tasks::Redis r(task_url());
  const long long n = r.command({"INCR", key}).integer;
  if (n <= fails) throw std::runtime_error("failure " + std::to_string(n));
  return "ok after " + std::to_string(n - 1) + " failures";
}
long long hold(std::string key) {
  mp::tasks::Redis r(task_url());
  const long long n = r.command({"INCR", key}).integer;
  while (r.command({"EXISTS", "release"}).integer == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return n;
}
std::string echo(std::string s) { return s; }
std::string netns() { return std::filesystem::read_symlink("/proc/self/ns/net").string(); }

}  // namespace

void register_test_tasks(mp::tasks::Worker& w, const std::string& url) {
  task_url() = url;
  w.register_task("tests.add", add)
      .register_task("tests.boom", boom)
      .register_task("tests.sleep_ms", sleep_ms)
      .register_task("tests.flaky", flaky,
                     {.max_retries = 5, .autoretry = true, .retry_backoff = std::chrono::milliseconds(20)})
      .register_task("tests.hold", hold)
      .register_task("tests.echo", echo)
      .register_task("tests.netns", netns);
}

WorkerProcess::WorkerProcess(const std::string& url, mp::tasks::WorkerOptions options)
    : process_([url, options]() mutable {
        if (!options.log && std::getenv("MP_TASKS_LOG") == nullptr)
          options.log = [](std::string_view) {};  // MP_TASKS_LOG=1: to stderr
        mp::tasks::Worker w(url, options);
        register_test_tasks(w, url);
        w.run();
      }) {
  process_.start();
}

WorkerProcess::~WorkerProcess() {
  if (process_.is_alive()) kill();
}

void WorkerProcess::stop() {
  process_.terminate();
  expect_joined_ok(process_, std::chrono::seconds(20));
}

void WorkerProcess::kill() {
  process_.kill();
  (void)process_.join(scaled(std::chrono::seconds(10)));
}

std::chrono::milliseconds result_wait() { return scaled(std::chrono::seconds(20)); }

}  // namespace mp::testing
