// mp::Pipe / mp::Connection against raw socketpair and pipe(2) floors:
// 8-byte ping-pong round trips (latency) and 1 MiB messages (bandwidth).
// The other end is a child process; it stops when the parent closes its end.
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp/connection.hpp"
#include "mp/process.hpp"

namespace {

constexpr std::size_t mib = 1u << 20;

bool read_full(int fd, void* dst, std::size_t n) {
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool write_full(int fd, const void* src, std::size_t n) {
  const auto* p = static_cast<const char*>(src);
  while (n > 0) {
    const ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// A raw child: fork, run fn, _exit. Floors use it so that they measure the
// kernel alone.
template <class Fn>
pid_t fork_raw(Fn fn) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    fn();
    ::_exit(0);
  }
  return pid;
}

void check_child(benchmark::State& state, mp::Process& p) {
  p.join();
  if (p.exitcode() != 0) state.SkipWithError("the child process failed");
}

// ---- round trips ----

void BM_pipe_roundtrip_8B(benchmark::State& state) {
  mp::Connection parent, child;
  std::tie(parent, child) = mp::Pipe();
  mp::Process echo([&] {
    parent.close();
    try {
      for (;;) child.send(child.recv<std::uint64_t>() + 1);
    } catch (const mp::EOFError&) {
    }
  });
  echo.start();
  child.close();
  std::uint64_t x = 0;
  for (auto _ : state) {
    parent.send(x);
    x = parent.recv<std::uint64_t>();
  }
  benchmark::DoNotOptimize(x);
  parent.close();
  check_child(state, echo);
}
BENCHMARK(BM_pipe_roundtrip_8B)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_floor_socketpair_roundtrip_8B(benchmark::State& state) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  const pid_t pid = fork_raw([&] {
    ::close(sv[0]);
    std::uint64_t v = 0;
    while (read_full(sv[1], &v, sizeof v)) {
      ++v;
      if (!write_full(sv[1], &v, sizeof v)) break;
    }
  });
  ::close(sv[1]);
  std::uint64_t x = 0;
  for (auto _ : state) {
    if (!write_full(sv[0], &x, sizeof x) || !read_full(sv[0], &x, sizeof x)) {
      state.SkipWithError("peer gone");
      break;
    }
  }
  benchmark::DoNotOptimize(x);
  ::close(sv[0]);
  ::waitpid(pid, nullptr, 0);
}
BENCHMARK(BM_floor_socketpair_roundtrip_8B)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_floor_pipe_roundtrip_8B(benchmark::State& state) {
  int to_child[2];
  int to_parent[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(to_parent, O_CLOEXEC) != 0) {
    state.SkipWithError("pipe2 failed");
    return;
  }
  const pid_t pid = fork_raw([&] {
    ::close(to_child[1]);
    ::close(to_parent[0]);
    std::uint64_t v = 0;
    while (read_full(to_child[0], &v, sizeof v)) {
      ++v;
      if (::write(to_parent[1], &v, sizeof v) != sizeof v) break;
    }
  });
  ::close(to_child[0]);
  ::close(to_parent[1]);
  std::uint64_t x = 0;
  for (auto _ : state) {
    if (::write(to_child[1], &x, sizeof x) != sizeof x || !read_full(to_parent[0], &x, sizeof x)) {
      state.SkipWithError("peer gone");
      break;
    }
  }
  benchmark::DoNotOptimize(x);
  ::close(to_child[1]);
  ::close(to_parent[0]);
  ::waitpid(pid, nullptr, 0);
}
BENCHMARK(BM_floor_pipe_roundtrip_8B)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Extra: Python's "2x Pipe(duplex=False) ping-pong" row, against BM_floor_pipe_roundtrip_8B.
void BM_pipe_simplex_roundtrip_8B(benchmark::State& state) {
  mp::Connection down_r, down_w, up_r, up_w;
  std::tie(down_r, down_w) = mp::Pipe(false);
  std::tie(up_r, up_w) = mp::Pipe(false);
  mp::Process echo([&] {
    down_w.close();
    up_r.close();
    try {
      for (;;) up_w.send(down_r.recv<std::uint64_t>() + 1);
    } catch (const mp::EOFError&) {
    }
  });
  echo.start();
  down_r.close();
  up_w.close();
  std::uint64_t x = 0;
  for (auto _ : state) {
    down_w.send(x);
    x = up_r.recv<std::uint64_t>();
  }
  benchmark::DoNotOptimize(x);
  down_w.close();
  check_child(state, echo);
}
BENCHMARK(BM_pipe_simplex_roundtrip_8B)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Extra: Python's "Connection.send/recv small dict RT" row: an encoded object each way.
void BM_pipe_roundtrip_small_map(benchmark::State& state) {
  using Dict = std::map<std::string, int>;
  mp::Connection parent, child;
  std::tie(parent, child) = mp::Pipe();
  mp::Process echo([&] {
    parent.close();
    try {
      for (;;) child.send(child.recv<Dict>());
    } catch (const mp::EOFError&) {
    }
  });
  echo.start();
  child.close();
  Dict d{{"a", 1}, {"b", 2}, {"c", 3}};
  for (auto _ : state) {
    parent.send(d);
    d = parent.recv<Dict>();
  }
  benchmark::DoNotOptimize(d);
  parent.close();
  check_child(state, echo);
}
BENCHMARK(BM_pipe_roundtrip_small_map)->UseRealTime()->Unit(benchmark::kMicrosecond);

// ---- bandwidth ----

// A child that sends 1 MiB messages on `out` until the parent closes its end.
void send_forever(mp::Connection& out) {
  const std::string block(mib, 'x');
  try {
    for (;;) out.send_bytes(block);
  } catch (const std::system_error&) {  // EPIPE: the reader is done
  }
}

void BM_pipe_bandwidth_1MiB(benchmark::State& state) {
  mp::Connection parent, child;
  std::tie(parent, child) = mp::Pipe();
  mp::Process sender([&] {
    parent.close();
    send_forever(child);
  });
  sender.start();
  child.close();
  for (auto _ : state) {
    std::string m = parent.recv_bytes();
    benchmark::DoNotOptimize(m.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(mib));
  parent.close();
  check_child(state, sender);
}
BENCHMARK(BM_pipe_bandwidth_1MiB)->UseRealTime();

// Extra: the same, reusing one string (recv_bytes_into): no allocation per message.
void BM_pipe_bandwidth_1MiB_into(benchmark::State& state) {
  mp::Connection parent, child;
  std::tie(parent, child) = mp::Pipe();
  mp::Process sender([&] {
    parent.close();
    send_forever(child);
  });
  sender.start();
  child.close();
  std::string m;
  for (auto _ : state) {
    parent.recv_bytes_into(m);
    benchmark::DoNotOptimize(m.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(mib));
  parent.close();
  check_child(state, sender);
}
BENCHMARK(BM_pipe_bandwidth_1MiB_into)->UseRealTime();

// Extra: Python's "Pipe(duplex=False) 1 MiB msgs bandwidth" row.
void BM_pipe_simplex_bandwidth_1MiB(benchmark::State& state) {
  mp::Connection r, w;
  std::tie(r, w) = mp::Pipe(false);
  mp::Process sender([&] {
    r.close();
    send_forever(w);
  });
  sender.start();
  w.close();
  for (auto _ : state) {
    std::string m = r.recv_bytes();
    benchmark::DoNotOptimize(m.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(mib));
  r.close();
  check_child(state, sender);
}
BENCHMARK(BM_pipe_simplex_bandwidth_1MiB)->UseRealTime();

void BM_floor_socketpair_bandwidth_1MiB(benchmark::State& state) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  const pid_t pid = fork_raw([&] {
    ::close(sv[0]);
    const std::vector<char> block(mib, 'x');
    while (write_full(sv[1], block.data(), block.size())) {
    }
  });
  ::close(sv[1]);
  std::vector<char> buf(mib);
  for (auto _ : state) {
    if (!read_full(sv[0], buf.data(), buf.size())) {
      state.SkipWithError("peer gone");
      break;
    }
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(mib));
  ::close(sv[0]);
  ::waitpid(pid, nullptr, 0);
}
BENCHMARK(BM_floor_socketpair_bandwidth_1MiB)->UseRealTime();

} // namespace
