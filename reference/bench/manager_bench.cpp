// mp::Manager proxies used from a child process, as Python's baseline does
// (scripts/bench.py): a forked child times `ops` calls and sends the time back;
// the benchmark reports calls per second (manual time). The floor: the same
// calls as bare request/response round trips on a Unix socket pair to a
// server process holding an unordered_map (one round trip per call), and the
// same through a bare shared-memory mailbox where both sides only spin: the
// floor of the manager's own design (mp/detail/manager_channel.hpp), which
// adds sleeping, death detection and the request encoding to it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mp/connection.hpp"
#include "mp/detail/spin.hpp"
#include "mp/manager.hpp"
#include "mp/process.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int ops = 5000;

// Runs `body()` in a forked child once per iteration; the child's own timing
// of the body is the iteration's time.
template <class Body>
void time_in_child(benchmark::State& state, Body body) {
  for (auto _ : state) {
    mp::Connection r;
    mp::Connection w;
    std::tie(r, w) = mp::Pipe(false);
    mp::Process child([&r, &w, &body] {
      r.close();
      const auto t0 = Clock::now();
      body();
      w.send(std::chrono::duration<double>(Clock::now() - t0).count());
    });
    child.start();
    w.close();
    const double seconds = r.recv<double>();
    child.join();
    state.SetIterationTime(seconds);
  }
  state.SetItemsProcessed(state.iterations() * ops);
}

std::string key(int i) { return "key" + std::to_string(i); }

void BM_manager_dict_set(benchmark::State& state) {
  mp::Manager manager;
  auto d = manager.dict<std::string, std::string>();
  const std::string value(16, 'v');
  time_in_child(state, [&] {
    for (int i = 0; i < ops; ++i) d[key(i)] = value;
  });
}
BENCHMARK(BM_manager_dict_set)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_manager_dict_get(benchmark::State& state) {
  mp::Manager manager;
  auto d = manager.dict<std::string, std::string>();
  const std::string value(16, 'v');
  for (int i = 0; i < ops; ++i) d[key(i)] = value;
  time_in_child(state, [&] {
    for (int i = 0; i < ops; ++i) benchmark::DoNotOptimize(d.at(key(i)));
  });
}
BENCHMARK(BM_manager_dict_get)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_manager_list_append_1KiB(benchmark::State& state) {
  mp::Manager manager;
  auto l = manager.list<std::string>();
  const std::string item(1024, 'x');
  time_in_child(state, [&] {
    for (int i = 0; i < ops; ++i) l.append(item);
  });
}
BENCHMARK(BM_manager_list_append_1KiB)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_manager_namespace_read(benchmark::State& state) {
  mp::Manager manager;
  auto ns = manager.make_namespace();
  ns.set("x", 42);
  time_in_child(state, [&] {
    for (int i = 0; i < ops; ++i) benchmark::DoNotOptimize(ns.get<int>("x"));
  });
}
BENCHMARK(BM_manager_namespace_read)->UseManualTime()->Unit(benchmark::kMillisecond);

// 1,000 objects made (one proxy each): ms per 1,000.
void BM_manager_create_1000(benchmark::State& state) {
  mp::Manager manager;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) benchmark::DoNotOptimize(manager.value<int>(i).id());
  }
}
BENCHMARK(BM_manager_create_1000)->UseRealTime()->Unit(benchmark::kMillisecond);

// Manager() start + shutdown.
void BM_manager_start_shutdown(benchmark::State& state) {
  for (auto _ : state) {
    mp::Manager manager;
    manager.shutdown();
  }
}
BENCHMARK(BM_manager_start_shutdown)->UseRealTime()->Unit(benchmark::kMillisecond);

// The floor: a server process answering length-prefixed requests with an
// unordered_map, one round trip per call, over a Unix socket pair.
void BM_floor_unix_socket_rpc(benchmark::State& state) {
  mp::Connection client;
  mp::Connection server_end;
  std::tie(client, server_end) = mp::Pipe();
  mp::Process server([&client, &server_end] {
    client.close();
    std::unordered_map<std::string, std::string> map;
    std::string request;
    for (;;) {
      try {
        server_end.recv_bytes_into(request);
      } catch (const mp::EOFError&) {
        return;
      }
      const auto space = request.find(' ');
      map[request.substr(0, space)] = request.substr(space + 1);
      server_end.send_bytes("ok");
    }
  });
  server.start();
  server_end.close();
  const std::string value(16, 'v');
  time_in_child(state, [&] {
    std::string reply;
    for (int i = 0; i < ops; ++i) {
      client.send_bytes(key(i) + " " + value);
      client.recv_bytes_into(reply);
    }
  });
  client.close();
  server.join();
}
BENCHMARK(BM_floor_unix_socket_rpc)->UseManualTime()->Unit(benchmark::kMillisecond);

// A mailbox in shared memory: the client writes "key value" and sets state
// 1; the server spins until it sees 1, stores the pair, writes "ok", sets 2.
struct Mailbox {
  std::atomic<std::uint32_t> state{0};  // 0 idle, 1 request, 2 reply, 3 stop
  std::uint32_t length = 0;
  char data[4096];
};

void BM_floor_shm_mailbox_rpc(benchmark::State& state) {
  void* region = ::mmap(nullptr, sizeof(Mailbox), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) {
    state.SkipWithError("mmap failed");
    return;
  }
  auto* box = new (region) Mailbox();
  const auto wait_for = [box](std::uint32_t want) {
    std::uint32_t s = 0;
    while ((s = box->state.load(std::memory_order_acquire)) != want && s != 3) mp::detail::cpu_relax();
    return s == want;
  };
  mp::Process server([box, &wait_for] {
    std::unordered_map<std::string, std::string> map;
    while (wait_for(1)) {
      const std::string request(box->data, box->length);
      const auto space = request.find(' ');
      map[request.substr(0, space)] = request.substr(space + 1);
      box->length = 2;
      std::memcpy(box->data, "ok", 2);
      box->state.store(2, std::memory_order_release);
    }
  });
  server.start();
  const std::string value(16, 'v');
  time_in_child(state, [&] {
    for (int i = 0; i < ops; ++i) {
      const std::string request = key(i) + " " + value;
      std::memcpy(box->data, request.data(), request.size());
      box->length = static_cast<std::uint32_t>(request.size());
      box->state.store(1, std::memory_order_release);
      wait_for(2);
      benchmark::DoNotOptimize(std::string(box->data, box->length));
    }
  });
  box->state.store(3, std::memory_order_release);
  server.join();
  ::munmap(region, sizeof(Mailbox));
}
BENCHMARK(BM_floor_shm_mailbox_rpc)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
