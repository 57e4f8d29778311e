// mp::tasks against Python's Celery (scripts/bench_celery.py), end to end on a
// redis-server of the benchmark's own: one delay() -> get() round trip, and
// the rate of trivial tasks through 1 and 2 worker processes (send them all,
// then wait for every result).
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "mp/process.hpp"
#include "mp/tasks.hpp"

namespace {

int add(int x, int y) { return x + y; }

// A redis-server on a free loopback port, no persistence, gone with the object.
class Redis {
public:
  Redis() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    port_ = std::to_string(ntohs(a.sin_port));
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execlp("redis-server", "redis-server", "--port", port_.c_str(), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", "/tmp", "--logfile", "/dev/null", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 500; ++i) {  // up within 5 s
      try {
        mp::tasks::Redis r(url());
        return;
      } catch (const mp::tasks::BrokerError&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    std::abort();
  }
  ~Redis() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Redis(const Redis&) = delete;
  Redis& operator=(const Redis&) = delete;
  [[nodiscard]] std::string url() const { return "redis://127.0.0.1:" + port_ + "/0"; }

private:
  std::string port_;
  pid_t pid_ = 0;
};

mp::Process worker(const std::string& url, int processes) {
  mp::Process p([url, processes] {
    mp::tasks::Worker w(url, {.concurrency = processes, .log = [](std::string_view) {}});
    w.register_task("bench.add", add);
    w.run();
  });
  p.start();
  return p;
}

// One delay() -> get() round trip (Celery: several ms).
void BM_tasks_delay_get_roundtrip(benchmark::State& state) {
  Redis redis;
  auto w = worker(redis.url(), 1);
  mp::tasks::App app(redis.url());
  auto task = app.task<int(int, int)>("bench.add");
  (void)task.delay(1, 1).get();  // the worker is up
  for (auto _ : state) benchmark::DoNotOptimize(task.delay(1, 2).get());
  w.terminate();
  (void)w.join(std::chrono::seconds(10));
}

// Trivial tasks per second end to end, through `processes` pool processes.
void tasks_rate(benchmark::State& state, int processes) {
  Redis redis;
  auto w = worker(redis.url(), processes);
  mp::tasks::App app(redis.url());
  auto task = app.task<int(int, int)>("bench.add");
  (void)task.delay(1, 1).get();
  constexpr int n = 2000;
  for (auto _ : state) {
    std::vector<mp::tasks::AsyncResult<int>> rs;
    rs.reserve(n);
    for (int i = 0; i < n; ++i) rs.push_back(task.delay(i, 1));
    for (auto& r : rs) benchmark::DoNotOptimize(r.get());
  }
  state.SetItemsProcessed(state.iterations() * n);
  w.terminate();
  (void)w.join(std::chrono::seconds(10));
}
void BM_tasks_rate_1_process(benchmark::State& state) { tasks_rate(state, 1); }
void BM_tasks_rate_2_processes(benchmark::State& state) { tasks_rate(state, 2); }

BENCHMARK(BM_tasks_delay_get_roundtrip)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_tasks_rate_1_process)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_tasks_rate_2_processes)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
