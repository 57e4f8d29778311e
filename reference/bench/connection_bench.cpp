// mp::Pipe / mp::Connection against raw socketpair and pipe(2) floors:
// 8-byte ping-pong round trips (latency) and 1 MiB messages (bandwidth).
// The other end is a child process; it stops when the parent closes its end.
//
// Every benchmark is one transport (a Link) run through one of two scaffolds,
// ping_pong or stream_1mib, so that ours and the floors do exactly the same
// work around the part that differs.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp/connection.hpp"
#include "mp/process.hpp"

namespace {

constexpr std::size_t mib = 1u << 20;

// ---- raw descriptors (the floors) ----

// One raw descriptor. A socket is written with send(MSG_NOSIGNAL) so that a
// gone reader is an error, not SIGPIPE; send(2) does not take a pipe.
struct Fd {
  int fd = -1;
  bool socket = false;
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

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

bool write_full(const Fd& f, const void* src, std::size_t n) {
  const auto* p = static_cast<const char*>(src);
  while (n > 0) {
    const ssize_t r = f.socket ? ::send(f.fd, p, n, MSG_NOSIGNAL) : ::write(f.fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// ---- one message each way, false once the peer is gone ----

template <class V>
bool send_value(Fd& f, const V& v) {
  static_assert(std::is_trivially_copyable_v<V>);
  return write_full(f, &v, sizeof v);
}
template <class V>
bool recv_value(Fd& f, V& v) {
  static_assert(std::is_trivially_copyable_v<V>);
  return read_full(f.fd, &v, sizeof v);
}
bool send_block(Fd& f, std::string_view block) { return write_full(f, block.data(), block.size()); }

template <class V>
bool send_value(mp::Connection& c, const V& v) {
  try {
    c.send(v);
    return true;
  } catch (const std::system_error&) {  // EPIPE: the reader is done
    return false;
  }
}
template <class V>
bool recv_value(mp::Connection& c, V& v) {
  try {
    v = c.recv<V>();
    return true;
  } catch (const mp::EOFError&) {
    return false;
  }
}
bool send_block(mp::Connection& c, std::string_view block) {
  try {
    c.send_bytes(block);
    return true;
  } catch (const std::system_error&) {  // EPIPE: the reader is done
    return false;
  }
}

// ---- links: the ends a parent and its child talk over ----

// N ends of one transport (mp::Connection or Fd). Each side sends on its tx
// end and receives on its rx end (one end for both on a duplex transport;
// -1 where a one-way link has none); a side closes its own ends when done and
// the other side's right after the fork, so that EOF reaches whoever is left.
template <class C, std::size_t N>
struct Link {
  struct Side {
    int tx;
    int rx;
  };
  std::array<C, N> ends{};
  Side parent{-1, -1};
  Side child{-1, -1};
  const char* error = nullptr;  // set when the transport could not be made

  Link(std::array<C, N> e, Side p, Side c) : ends(std::move(e)), parent(p), child(c) {}
  explicit Link(const char* why) : error(why) {}

  C& tx(Side s) { return ends[static_cast<std::size_t>(s.tx)]; }
  C& rx(Side s) { return ends[static_cast<std::size_t>(s.rx)]; }
  void close(Side s) {
    if (s.tx >= 0) tx(s).close();
    if (s.rx >= 0 && s.rx != s.tx) rx(s).close();
  }
};

// One duplex mp::Pipe(): each side has one end.
Link<mp::Connection, 2> mp_duplex() {
  auto [a, b] = mp::Pipe();
  return {{std::move(a), std::move(b)}, {0, 0}, {1, 1}};
}

// One simplex mp::Pipe(false), one way: the child sends, the parent receives.
Link<mp::Connection, 2> mp_simplex_to_parent() {
  auto [r, w] = mp::Pipe(false);
  return {{std::move(r), std::move(w)}, {-1, 0}, {1, -1}};
}

// Two simplex mp::Pipe(false), one each way (Python's "2x Pipe(duplex=False)").
Link<mp::Connection, 4> mp_simplex_pair() {
  auto [down_r, down_w] = mp::Pipe(false);
  auto [up_r, up_w] = mp::Pipe(false);
  return {{std::move(down_r), std::move(down_w), std::move(up_r), std::move(up_w)}, {1, 2}, {3, 0}};
}

Link<Fd, 2> raw_socketpair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return Link<Fd, 2>("socketpair failed");
  return {{Fd{sv[0], true}, Fd{sv[1], true}}, {0, 0}, {1, 1}};
}

// Two pipe(2)s, one each way.
Link<Fd, 4> raw_pipes() {
  int to_child[2];
  int to_parent[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(to_parent, O_CLOEXEC) != 0)
    return Link<Fd, 4>("pipe2 failed");
  return {{Fd{to_child[0], false}, Fd{to_child[1], false}, Fd{to_parent[0], false}, Fd{to_parent[1], false}},
          {1, 2},
          {3, 0}};
}

// ---- the child at the other end ----

// mp's transports run it in an mp::Process and check its exit code; the
// floors in a bare fork, so that they measure the kernel alone.
class MpChild {
public:
  template <class Fn>
  explicit MpChild(Fn fn) : p_(std::move(fn)) {
    p_.start();
  }
  void reap(benchmark::State& state) {
    p_.join();
    if (p_.exitcode() != 0) state.SkipWithError("the child process failed");
  }

private:
  mp::Process p_;
};

class RawChild {
public:
  template <class Fn>
  explicit RawChild(Fn fn) : pid_(::fork()) {
    if (pid_ == 0) {
      fn();
      ::_exit(0);
    }
  }
  void reap(benchmark::State& /*state*/) { ::waitpid(pid_, nullptr, 0); }

private:
  pid_t pid_;
};

template <class C>
using ChildOf = std::conditional_t<std::is_same_v<C, Fd>, RawChild, MpChild>;

// ---- the scaffolds ----

// Runs child_body in a child that keeps only the child's ends, and
// parent_body here with only the parent's; then closes them and reaps it.
template <class C, std::size_t N, class ChildBody, class ParentBody>
void run_link(benchmark::State& state, Link<C, N>& link, ChildBody child_body, ParentBody parent_body) {
  if (link.error != nullptr) {
    state.SkipWithError(link.error);
    return;
  }
  ChildOf<C> child([&] {
    link.close(link.parent);
    child_body();
  });
  link.close(link.child);
  parent_body();
  link.close(link.parent);
  child.reap(state);
}

// Round trips: the parent sends x, the child answers echo(x), which the
// parent sends next; one iteration is one round trip.
template <class C, std::size_t N, class V, class Echo>
void ping_pong(benchmark::State& state, Link<C, N> link, V x, Echo echo) {
  run_link(
      state, link,
      [&] {
        V v{};
        while (recv_value(link.rx(link.child), v)) {
          v = echo(std::move(v));
          if (!send_value(link.tx(link.child), v)) break;
        }
      },
      [&] {
        C& out = link.tx(link.parent);
        C& in = link.rx(link.parent);
        for (auto _ : state) {
          if (!send_value(out, x) || !recv_value(in, x)) {
            state.SkipWithError("peer gone");
            break;
          }
        }
        benchmark::DoNotOptimize(x);
      });
}

// Bandwidth: the child sends 1 MiB messages until the parent closes its end;
// measure(state, in) is the benchmark's loop, taking one message per iteration.
template <class C, std::size_t N, class Measure>
void stream_1mib(benchmark::State& state, Link<C, N> link, Measure measure) {
  run_link(
      state, link,
      [&] {
        const std::string block(mib, 'x');
        while (send_block(link.tx(link.child), block)) {
        }
      },
      [&] {
        measure(state, link.rx(link.parent));
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                                static_cast<std::int64_t>(mib));
      });
}

// ---- round trips ----

// 8 bytes each way: a counter that the child increments.
template <class C, std::size_t N>
void ping_pong_8b(benchmark::State& state, Link<C, N> link) {
  ping_pong(state, std::move(link), std::uint64_t{0}, [](std::uint64_t v) { return v + 1; });
}

// Both processes on the CPU this one runs on, for the scope's life (the child
// inherits the mask). Where the scheduler puts the two sides decides most of
// a free-running round trip on a VM (waking an idle CPU costs tens of us);
// on one core only the software's own cost and two context switches remain.
class OneCore {
public:
  OneCore() {
    pinned_ = ::sched_getaffinity(0, sizeof old_, &old_) == 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(::sched_getcpu(), &one);
    pinned_ = pinned_ && ::sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~OneCore() {
    if (pinned_) ::sched_setaffinity(0, sizeof old_, &old_);
  }
  OneCore(const OneCore&) = delete;
  OneCore& operator=(const OneCore&) = delete;

private:
  cpu_set_t old_{};
  bool pinned_ = false;
};

template <class C, std::size_t N>
void ping_pong_8b_one_core(benchmark::State& state, Link<C, N> link) {
  const OneCore pin;
  ping_pong_8b(state, std::move(link));
}

void BM_pipe_roundtrip_8B(benchmark::State& state) { ping_pong_8b(state, mp_duplex()); }
BENCHMARK(BM_pipe_roundtrip_8B)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_floor_socketpair_roundtrip_8B(benchmark::State& state) { ping_pong_8b(state, raw_socketpair()); }
BENCHMARK(BM_floor_socketpair_roundtrip_8B)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_floor_pipe_roundtrip_8B(benchmark::State& state) { ping_pong_8b(state, raw_pipes()); }
BENCHMARK(BM_floor_pipe_roundtrip_8B)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The same round trips with both processes on one core: the software's cost.
void BM_pipe_roundtrip_8B_one_core(benchmark::State& state) { ping_pong_8b_one_core(state, mp_duplex()); }
BENCHMARK(BM_pipe_roundtrip_8B_one_core)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_floor_socketpair_roundtrip_8B_one_core(benchmark::State& state) {
  ping_pong_8b_one_core(state, raw_socketpair());
}
BENCHMARK(BM_floor_socketpair_roundtrip_8B_one_core)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_pipe_simplex_roundtrip_8B_one_core(benchmark::State& state) {
  ping_pong_8b_one_core(state, mp_simplex_pair());
}
BENCHMARK(BM_pipe_simplex_roundtrip_8B_one_core)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_floor_pipe_roundtrip_8B_one_core(benchmark::State& state) {
  ping_pong_8b_one_core(state, raw_pipes());
}
BENCHMARK(BM_floor_pipe_roundtrip_8B_one_core)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Extra: Python's "2x Pipe(duplex=False) ping-pong" row, against BM_floor_pipe_roundtrip_8B.
void BM_pipe_simplex_roundtrip_8B(benchmark::State& state) { ping_pong_8b(state, mp_simplex_pair()); }
BENCHMARK(BM_pipe_simplex_roundtrip_8B)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Extra: Python's "Connection.send/recv small dict RT" row: an encoded object each way.
void BM_pipe_roundtrip_small_map(benchmark::State& state) {
  using Dict = std::map<std::string, int>;
  ping_pong(state, mp_duplex(), Dict{{"a", 1}, {"b", 2}, {"c", 3}}, [](Dict d) { return d; });
}
BENCHMARK(BM_pipe_roundtrip_small_map)->UseRealTime()->Unit(benchmark::kMicrosecond);

// ---- bandwidth ----

// The receiving loops: one 1 MiB message per iteration.
void recv_new_strings(benchmark::State& state, mp::Connection& in) {
  for (auto _ : state) {
    std::string m = in.recv_bytes();
    benchmark::DoNotOptimize(m.data());
  }
}

void recv_into_one_string(benchmark::State& state, mp::Connection& in) {
  std::string m;
  for (auto _ : state) {
    in.recv_bytes_into(m);
    benchmark::DoNotOptimize(m.data());
  }
}

void read_into_one_buffer(benchmark::State& state, Fd& in) {
  std::vector<char> buf(mib);
  for (auto _ : state) {
    if (!read_full(in.fd, buf.data(), buf.size())) {
      state.SkipWithError("peer gone");
      break;
    }
    benchmark::DoNotOptimize(buf.data());
  }
}

void BM_pipe_bandwidth_1MiB(benchmark::State& state) { stream_1mib(state, mp_duplex(), recv_new_strings); }
BENCHMARK(BM_pipe_bandwidth_1MiB)->UseRealTime();

// Extra: the same, reusing one string (recv_bytes_into): no allocation per message.
void BM_pipe_bandwidth_1MiB_into(benchmark::State& state) {
  stream_1mib(state, mp_duplex(), recv_into_one_string);
}
BENCHMARK(BM_pipe_bandwidth_1MiB_into)->UseRealTime();

// Extra: Python's "Pipe(duplex=False) 1 MiB msgs bandwidth" row.
void BM_pipe_simplex_bandwidth_1MiB(benchmark::State& state) {
  stream_1mib(state, mp_simplex_to_parent(), recv_new_strings);
}
BENCHMARK(BM_pipe_simplex_bandwidth_1MiB)->UseRealTime();

void BM_floor_socketpair_bandwidth_1MiB(benchmark::State& state) {
  stream_1mib(state, raw_socketpair(), read_into_one_buffer);
}
BENCHMARK(BM_floor_socketpair_bandwidth_1MiB)->UseRealTime();

}  // namespace
