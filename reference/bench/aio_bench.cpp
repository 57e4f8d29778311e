// mp::aio against Python's asyncio (scripts/bench.py) and against a minimal
// coroutine scheduler (the floor: a deque of coroutine handles, nothing else):
// 100k tasks created and gathered; the memory of 100k sleeping tasks.
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include "mp/aio.hpp"
#include "mp/connection.hpp"
#include "mp/process.hpp"

namespace {

namespace aio = mp::aio;
using namespace std::chrono_literals;
constexpr int tasks = 100'000;

aio::Task<void> yield_once() { co_await aio::sleep(0s); }

// create_task + gather of 100k tasks that each yield once (asyncio: ~1.8 s here).
void BM_aio_gather_100k(benchmark::State& state) {
  for (auto _ : state) {
    aio::run([]() -> aio::Task<void> {
      std::vector<aio::Future<void>> fs;
      fs.reserve(tasks);
      for (int i = 0; i < tasks; ++i) fs.push_back(aio::create_task(yield_once()));
      co_await aio::gather(std::move(fs));
    }());
  }
}
BENCHMARK(BM_aio_gather_100k)->Unit(benchmark::kMillisecond)->UseRealTime();

// The floor: the least a coroutine scheduler does for the same work.
struct Bare {
  struct promise_type {  // NOLINT(readability-identifier-naming): the name C++ looks up
    Bare get_return_object() { return Bare{std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
};
std::deque<std::coroutine_handle<>>* bare_ready = nullptr;
struct BareYield {
  [[nodiscard]] bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const { bare_ready->push_back(h); }
  void await_resume() const noexcept {}
};
Bare bare_task() { co_await BareYield{}; }

void BM_floor_coro_gather_100k(benchmark::State& state) {
  for (auto _ : state) {
    std::deque<std::coroutine_handle<>> ready;
    bare_ready = &ready;
    std::vector<Bare> all;
    all.reserve(tasks);
    for (int i = 0; i < tasks; ++i) {
      all.push_back(bare_task());
      ready.push_back(all.back().h);
    }
    while (!ready.empty()) {
      auto h = ready.front();
      ready.pop_front();
      h.resume();
    }
    for (auto& b : all) b.h.destroy();
  }
}
BENCHMARK(BM_floor_coro_gather_100k)->Unit(benchmark::kMillisecond)->UseRealTime();

std::size_t vm_hwm_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

std::size_t vm_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

aio::Task<void> sleep_100ms() { co_await aio::sleep(100ms); }

// The memory 100k tasks sleeping at once take: the peak RSS above the RSS
// before, in a fresh child process (asyncio: ~160 MiB here). Counter rss_mib.
void BM_aio_sleepers_100k(benchmark::State& state) {
  double mib = 0;
  for (auto _ : state) {
    mp::Connection r;
    mp::Connection w;
    std::tie(r, w) = mp::Pipe(false);
    mp::Process child([&r, &w] {
      r.close();
      ::malloc_trim(0);  // memory the parent's heap keeps free must not hide the growth
      const int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        (void)!::write(fd, "5", 1);  // peak := now
        ::close(fd);
      }
      const std::size_t before = vm_rss_kib();
      aio::run([]() -> aio::Task<void> {
        std::vector<aio::Future<void>> fs;
        fs.reserve(tasks);
        for (int i = 0; i < tasks; ++i) fs.push_back(aio::create_task(sleep_100ms()));
        co_await aio::gather(std::move(fs));
      }());
      w.send(static_cast<double>(vm_hwm_kib() - before) / 1024.0);
    });
    child.start();
    w.close();
    mib = r.recv<double>();
    child.join();
  }
  state.counters["rss_mib"] = mib;
}
BENCHMARK(BM_aio_sleepers_100k)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

namespace {

// Two tasks handing items back and forth through two queues: hand-offs per
// second (asyncio: ~127k/s here; a bare coroutine ping-pong: ~200M/s).
void BM_aio_queue_handoffs(benchmark::State& state) {
  constexpr int round_trips = 100'000;
  for (auto _ : state) {
    aio::run([]() -> aio::Task<void> {
      aio::Queue<int> there;
      aio::Queue<int> back;
      const auto echo = [&there, &back]() -> aio::Task<void> {
        for (int i = 0; i < round_trips; ++i) co_await back.put(co_await there.get());
      };
      auto other = aio::create_task(echo());
      for (int i = 0; i < round_trips; ++i) {
        co_await there.put(i);
        benchmark::DoNotOptimize(co_await back.get());
      }
      co_await other;
    }());
  }
  state.SetItemsProcessed(state.iterations() * 2 * round_trips);
}
BENCHMARK(BM_aio_queue_handoffs)->Unit(benchmark::kMillisecond)->UseRealTime();

// An echo server and 100 clients over loopback TCP in one loop, each client
// sending 100 lines and reading each echo: requests per second.
void BM_aio_echo_100_clients(benchmark::State& state) {
  constexpr int clients = 100;
  constexpr int requests = 100;
  for (auto _ : state) {
    aio::run([]() -> aio::Task<void> {
      const aio::ClientConnected echo = [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<void> {
        for (;;) {
          std::string line = co_await r.readline();
          if (line.empty()) break;
          w.write(line);
          co_await w.drain();
        }
        w.close();
      };
      aio::Server server = co_await aio::start_server(echo, "127.0.0.1", 0);
      const int port = server.port();
      const auto client = [port]() -> aio::Task<void> {
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port);
        for (int i = 0; i < requests; ++i) {
          w.write("hello, echo server\n");
          co_await w.drain();
          benchmark::DoNotOptimize(co_await r.readline());
        }
        w.close();
        co_await w.wait_closed();
      };
      std::vector<aio::Task<void>> all;
      for (int i = 0; i < clients; ++i) all.push_back(client());
      co_await aio::gather(std::move(all));
      server.close();
      co_await server.wait_closed();
    }());
  }
  state.SetItemsProcessed(state.iterations() * clients * requests);
}
BENCHMARK(BM_aio_echo_100_clients)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
