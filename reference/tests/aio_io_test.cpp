// Tests of mp::aio's I/O and executor bridges: readable / writable on
// descriptors, streams (open_connection, start_server, readers, writers) and
// to_thread / run_in_executor (mp/aio/fd.hpp, streams.hpp, executor.hpp).
// Loopback only. Every test runs under a watchdog that cancels it after a
// deadline; orders come from the loop's rules or from events, never from
// wall-clock sleeps (sleep(0s) is a yield: every ready task runs once).
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "mp/aio/executor.hpp"
#include "mp/aio/fd.hpp"
#include "mp/aio/loop.hpp"
#include "mp/aio/run.hpp"
#include "mp/aio/sleep.hpp"
#include "mp/aio/streams.hpp"
#include "mp/executor.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
namespace aio = mp::aio;
using mp::testing::scaled;
using mp::testing::wait_until;

// Runs `main` under aio::run; cancels it (a test failure) if it is not done
// within `limit` (scaled for sanitizers).
template <class T>
T run_bounded(aio::Task<T> main, std::chrono::seconds limit = 30s) {
  auto wrapper = [](aio::Task<T> m, std::chrono::steady_clock::duration lim) -> aio::Task<T> {
    aio::Future<T> f = aio::create_task(std::move(m));
    auto stop =
        aio::EventLoop::running().call_later(lim, [f]() mutable { f.cancel("watchdog: the test hung"); });
    try {
      if constexpr (std::is_void_v<T>) {
        co_await f;
        stop();
      } else {
        T v = co_await f;
        stop();
        co_return v;
      }
    } catch (const aio::CancelledError& e) {
      ADD_FAILURE() << "cancelled: " << e.what();
      throw;
    }
  };
  return aio::run(wrapper(std::move(main), scaled(limit)));
}

// Yields until `pred()` or `limit` passes (a wait with a deadline, not an order).
template <class Pred>
aio::Task<bool> yield_until(Pred pred, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + scaled(limit);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) co_return false;
    co_await aio::sleep(1ms);
  }
  co_return true;
}

struct Pipe {
  int r = -1;
  int w = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
      throw std::system_error(errno, std::generic_category(), "pipe2");
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    ::close(r);
    ::close(w);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
};

// ---------------------------------------------------------------- readable / writable

TEST(AioIo, ReadableAndWritableOnAPipe) {
  const Pipe p;
  const auto reader = [&p]() -> aio::Task<std::string> {
    co_await aio::readable(p.r);
    std::string buf(16, '\0');
    buf.resize(co_await aio::read_some(p.r, buf));
    co_return buf;
  };
  const auto main = [&]() -> aio::Task<void> {
    aio::Future<std::string> got = aio::create_task(reader());
    co_await aio::sleep(0s);
    co_await aio::sleep(0s);
    EXPECT_FALSE(got.done());  // it waits: nothing to read
    EXPECT_EQ(co_await aio::write_some(p.w, "hi"), 2U);
    EXPECT_EQ(co_await got, "hi");

    // Fill the pipe, then wait for room.
    const std::string chunk(4096, 'x');
    while (aio::detail::write_nowait(p.w, chunk.data(), chunk.size()) > 0) {
    }
    bool room = false;
    const auto wait_room = [&]() -> aio::Task<void> {  // named: the coroutine uses its captures
      co_await aio::writable(p.w);
      room = true;
    };
    aio::Future<void> w = aio::create_task(wait_room());
    co_await aio::sleep(0s);
    co_await aio::sleep(0s);
    EXPECT_FALSE(room);
    std::string sink(1 << 20, '\0');
    while (aio::detail::read_nowait(p.r, sink.data(), sink.size()) > 0) {
    }
    co_await w;
    EXPECT_TRUE(room);
  };
  run_bounded(main());
}

TEST(AioIo, CancellingATaskWaitingForReadableRemovesTheWatch) {
  const Pipe p;
  const auto main = [&]() -> aio::Task<void> {
    bool cleaned = false;
    const auto waiter = [&]() -> aio::Task<void> {
      try {
        co_await aio::readable(p.r);
      } catch (const aio::CancelledError&) {
        cleaned = true;
        throw;
      }
      ADD_FAILURE() << "readable() resumed without data";
    };
    aio::Future<void> t = aio::create_task(waiter());
    co_await aio::sleep(0s);
    EXPECT_TRUE(t.cancel("stop"));
    EXPECT_THROW(co_await t, aio::CancelledError);
    EXPECT_TRUE(cleaned);
    EXPECT_TRUE(t.cancelled());
    // The old watch is gone: data now wakes nobody, and a new waiter works.
    EXPECT_EQ(::write(p.w, "z", 1), 1);
    co_await aio::sleep(0s);
    co_await aio::readable(p.r);
    char c = 0;
    EXPECT_EQ(co_await aio::read_some(p.r, std::span<char>(&c, 1)), 1U);
    EXPECT_EQ(c, 'z');
  };
  run_bounded(main());
}

TEST(AioIo, ADescriptorEpollRefusesIsASystemError) {
  const auto main = []() -> aio::Task<void> {
    EXPECT_THROW(co_await aio::readable(-1), std::system_error);  // EBADF
    co_return;
  };
  run_bounded(main());
}

// ---------------------------------------------------------------- streams

aio::Task<void> echo(aio::StreamReader r, aio::StreamWriter w) {
  for (;;) {
    std::string line = co_await r.readline();
    if (line.empty()) break;
    w.write(line);
    co_await w.drain();
  }
  w.close();
  co_await w.wait_closed();
}

TEST(AioStreams, EchoServerServesTwentyConcurrentClients) {
  const auto client = [](int port, int id) -> aio::Task<int> {
    auto conn = co_await aio::open_connection("127.0.0.1", port);
    aio::StreamReader r = std::move(conn.first);
    aio::StreamWriter w = std::move(conn.second);
    int right = 0;
    for (int i = 0; i < 5; ++i) {
      const std::string msg = "client " + std::to_string(id) + " line " + std::to_string(i) + "\n";
      w.write(msg);
      co_await w.drain();
      if (co_await r.readline() == msg) ++right;
    }
    w.write_eof();
    EXPECT_EQ(co_await r.read(), "");  // the server closes after our end
    EXPECT_TRUE(r.at_eof());
    w.close();
    co_await w.wait_closed();
    co_return right;
  };
  const auto main = [&]() -> aio::Task<int> {
    aio::Server server = co_await aio::start_server(echo, "127.0.0.1", 0);
    const int port = server.port();
    EXPECT_GT(port, 0);
    EXPECT_EQ(server.sockets().at(0).first, "127.0.0.1");
    std::vector<aio::Future<int>> clients;
    for (int id = 0; id < 20; ++id) clients.push_back(aio::create_task(client(port, id)));
    int total = 0;
    for (auto& c : clients) total += co_await c;
    server.close();
    co_await server.wait_closed();
    EXPECT_FALSE(server.is_serving());
    co_return total;
  };
  EXPECT_EQ(run_bounded(main()), 20 * 5);
}

// A server whose handler sends `payload` then closes; returns the first client's streams.
aio::Task<std::pair<aio::StreamReader, aio::StreamWriter>> connect_to_sender(
    aio::Server& server, std::string payload, std::size_t limit = aio::stream_limit) {
  // Named, not a temporary inside the co_await: GCC 12 destroys such a
  // temporary twice (a compiler bug with temporaries in co_await expressions).
  aio::ClientConnected send = [payload](aio::StreamReader, aio::StreamWriter w) -> aio::Task<void> {
    w.write(payload);
    w.close();
    co_await w.wait_closed();
  };
  server = co_await aio::start_server(std::move(send), "127.0.0.1", 0);
  co_return co_await aio::open_connection("127.0.0.1", server.port(), limit);
}

TEST(AioStreams, ReadexactlyAtTheEndThrowsIncompleteReadErrorWithThePartial) {
  const auto main = [&]() -> aio::Task<void> {
    aio::Server server;
    auto conn = co_await connect_to_sender(server, "abc");
    EXPECT_EQ(co_await conn.first.readexactly(1), "a");
    try {
      (void)co_await conn.first.readexactly(10);
      ADD_FAILURE() << "no IncompleteReadError";
    } catch (const aio::IncompleteReadError& e) {
      EXPECT_EQ(e.partial, "bc");
      EXPECT_EQ(e.expected, 10U);
    }
    EXPECT_TRUE(conn.first.at_eof());
    EXPECT_EQ(co_await conn.first.read(5), "");
    server.close();
    co_await server.wait_closed();
  };
  run_bounded(main());
}

TEST(AioStreams, ReaduntilPastTheLimitThrowsLimitOverrunErrorAndKeepsTheBytes) {
  const auto main = [&]() -> aio::Task<void> {
    aio::Server server;
    auto conn = co_await connect_to_sender(server, std::string(4096, 'a') + "\nrest", 1024);
    EXPECT_EQ(conn.first.limit(), 1024U);
    EXPECT_THROW((void)co_await conn.first.readuntil("\n"), aio::LimitOverrunError);
    // The bytes stay: they can be read otherwise.
    EXPECT_EQ((co_await conn.first.readexactly(4097)).size(), 4097U);
    try {
      (void)co_await conn.first.readuntil("\n");
      ADD_FAILURE() << "no IncompleteReadError";
    } catch (const aio::IncompleteReadError& e) {
      EXPECT_EQ(e.partial, "rest");
    }
    EXPECT_THROW((void)co_await conn.first.readuntil(""), mp::ValueError);
    server.close();
    co_await server.wait_closed();
  };
  run_bounded(main());
}

TEST(AioStreams, DrainWaitsForASlowReaderThenALargeWriteCompletes) {
  constexpr std::size_t total = std::size_t{16} << 20;  // far more than the socket buffers hold
  const auto pattern = [](std::size_t i) { return static_cast<char>('a' + (i * 7) % 26); };
  const auto main = [&]() -> aio::Task<void> {
    bool accepted = false;
    bool drained = false;
    std::size_t buffered_after_write = 0;
    aio::Future<void> sender_done = aio::create_future<void>();
    aio::Server server = co_await aio::start_server(
        [&](aio::StreamReader, aio::StreamWriter w) -> aio::Task<void> {
          accepted = true;
          std::string data(total, '\0');
          for (std::size_t i = 0; i < total; ++i) data[i] = pattern(i);
          w.write(data);
          buffered_after_write = w.buffer_size();
          co_await w.drain();
          drained = true;
          w.close();
          co_await w.wait_closed();
          sender_done.set_result();
        },
        "127.0.0.1", 0);
    auto conn = co_await aio::open_connection("127.0.0.1", server.port());
    aio::StreamReader r = std::move(conn.first);
    EXPECT_TRUE(co_await yield_until([&] { return buffered_after_write > 0; }));
    // Nobody reads: the writer stays above the low-water mark, drain waits.
    for (int i = 0; i < 20; ++i) co_await aio::sleep(0s);
    EXPECT_TRUE(accepted);
    EXPECT_GT(buffered_after_write, std::size_t{64} * 1024);
    EXPECT_FALSE(drained);
    // The slow reader: small reads, a yield between them.
    std::size_t got = 0;
    bool right = true;
    for (;;) {
      const std::string chunk = co_await r.read(4096);
      if (chunk.empty()) break;
      for (char c : chunk) right = right && c == pattern(got++);
      co_await aio::sleep(0s);
    }
    EXPECT_EQ(got, total);
    EXPECT_TRUE(right);
    co_await sender_done;
    EXPECT_TRUE(drained);
    server.close();
    co_await server.wait_closed();
  };
  run_bounded(main(), 60s);
}

TEST(AioStreams, APeerResetIsASystemErrorAndAClosedPortRefuses) {
  const auto main = [&]() -> aio::Task<void> {
    aio::Server server = co_await aio::start_server(
        [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<void> {
          (void)co_await r.readexactly(1);
          const linger lg{1, 0};  // close with a reset (RST)
          ::setsockopt(w.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
          w.close();
        },
        "127.0.0.1", 0);
    const int port = server.port();
    auto conn = co_await aio::open_connection("127.0.0.1", port);
    conn.second.write("x");
    try {
      (void)co_await conn.first.read();
      ADD_FAILURE() << "no error";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ECONNRESET);
    }
    server.close();
    co_await server.wait_closed();
    EXPECT_THROW((void)co_await aio::open_connection("127.0.0.1", port), std::system_error);
  };
  run_bounded(main());
}

TEST(AioStreams, ServeForeverEndsOnCloseOrOnCancelAndWaitClosedWaitsForClients) {
  const auto main = [&]() -> aio::Task<void> {
    aio::Future<void> release = aio::create_future<void>();
    bool handler_ended = false;
    int accepted = 0;
    aio::ClientConnected hold = [&](aio::StreamReader, aio::StreamWriter w) -> aio::Task<void> {
      ++accepted;
      co_await release;  // a client that stays until released
      w.close();
      handler_ended = true;
    };
    aio::Server a = co_await aio::start_server(hold, "127.0.0.1", 0);
    aio::Future<void> serving = aio::create_task(a.serve_forever());
    auto conn = co_await aio::open_connection("127.0.0.1", a.port());
    EXPECT_TRUE(co_await yield_until([&] { return accepted == 1; }));
    EXPECT_THROW(co_await a.serve_forever(), aio::RuntimeError);  // served already
    a.close();
    co_await serving;  // close() ends it (Python raises CancelledError there)
    EXPECT_FALSE(a.is_serving());
    aio::Future<void> closed = aio::create_task(a.wait_closed());
    co_await aio::sleep(0s);
    EXPECT_FALSE(closed.done());  // a client's handler still runs
    release.set_result();
    co_await closed;
    EXPECT_TRUE(handler_ended);
    EXPECT_EQ(co_await conn.first.read(), "");

    aio::Server b = co_await aio::start_server(hold, "127.0.0.1", 0);
    aio::Future<void> serving_b = aio::create_task(b.serve_forever());
    co_await aio::sleep(0s);
    serving_b.cancel();
    EXPECT_THROW(co_await serving_b, aio::CancelledError);
    EXPECT_FALSE(b.is_serving());
    co_await b.wait_closed();
  };
  run_bounded(main());
}

// ---------------------------------------------------------------- executors

int child_pid(int add) { return static_cast<int>(::getpid()) + add; }

TEST(AioExecutor, ToThreadReturnsAValueAndPropagatesAnException) {
  const auto main = [&]() -> aio::Task<void> {
    const auto loop_thread = std::this_thread::get_id();
    const std::thread::id ran_in = co_await aio::to_thread([] { return std::this_thread::get_id(); });
    EXPECT_NE(ran_in, loop_thread);
    EXPECT_EQ(co_await aio::to_thread([](int a, const std::string& b) { return b + std::to_string(a); }, 4,
                                      std::string("x")),
              "x4");
    EXPECT_THROW(co_await aio::to_thread([] { throw std::invalid_argument("bad"); }), std::invalid_argument);
    int side = 0;
    co_await aio::to_thread([&side] { side = 7; });
    EXPECT_EQ(side, 7);
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);  // it resumes in the loop's thread
  };
  run_bounded(main());
}

TEST(AioExecutor, ABlockingCallInToThreadDoesNotStallOtherTasks) {
  std::atomic<int> ticks{0};
  const auto main = [&]() -> aio::Task<void> {
    const auto tick = [&]() -> aio::Task<void> {
      for (;;) {
        ticks.fetch_add(1);
        co_await aio::sleep(1ms);
      }
    };
    aio::Future<void> ticker = aio::create_task(tick());
    // Blocks its thread until the loop ticked 20 more times (or gives up).
    const bool saw_ticks = co_await aio::to_thread([&ticks] {
      const int start = ticks.load();
      const auto until = std::chrono::steady_clock::now() + scaled(10s);
      while (ticks.load() < start + 20) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::yield();
      }
      return true;
    });
    EXPECT_TRUE(saw_ticks);
    ticker.cancel();
    EXPECT_THROW(co_await ticker, aio::CancelledError);
  };
  run_bounded(main());
}

TEST(AioExecutor, RunInExecutorComputesInAnotherProcess) {
  mp::ProcessPoolExecutor ex(1);
  mp::ThreadPoolExecutor threads(2);
  const auto main = [&]() -> aio::Task<void> {
    const int pid = co_await aio::run_in_executor(ex, child_pid, 0);
    EXPECT_NE(pid, static_cast<int>(::getpid()));
    EXPECT_GT(pid, 0);
    EXPECT_EQ(co_await aio::run_in_executor(threads, child_pid, 1), static_cast<int>(::getpid()) + 1);
    // Several at once, awaited in any order.
    std::vector<aio::Future<int>> fs;
    for (int i = 0; i < 5; ++i) fs.push_back(aio::run_in_executor(ex, child_pid, 0));
    for (auto& f : fs) EXPECT_EQ(co_await f, pid);  // one worker
  };
  run_bounded(main());
}

TEST(AioExecutor, CancellingATaskAwaitingToThreadEndsTheWaitAtOnce) {
  std::atomic<bool> started{false};
  std::atomic<bool> release{false};
  std::atomic<bool> finished{false};
  const auto blocking = [&] {
    started = true;
    const auto until = std::chrono::steady_clock::now() + scaled(20s);
    while (!release.load() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    finished = true;
    return 5;
  };
  const auto main = [&]() -> aio::Task<void> {
    aio::Future<int> t = aio::create_task(aio::to_thread(blocking));
    EXPECT_TRUE(co_await yield_until([&] { return started.load(); }));
    EXPECT_TRUE(t.cancel());
    EXPECT_THROW(co_await t, aio::CancelledError);
    EXPECT_FALSE(finished.load());  // the thread goes on: it cannot be stopped
    release = true;
    EXPECT_TRUE(co_await yield_until([&] { return finished.load(); }));
  };
  run_bounded(main());
}

TEST(AioExecutor, AResultThatComesAfterTheLoopEndedIsDropped) {
  std::atomic<bool> started{false};
  std::atomic<bool> release{false};
  std::atomic<bool> finished{false};
  const auto main = [&]() -> aio::Task<void> {
    // Left running when main ends: aio::run cancels it, the loop closes.
    (void)aio::create_task(aio::to_thread([&] {
      started = true;
      const auto until = std::chrono::steady_clock::now() + scaled(20s);
      while (!release.load() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
      finished = true;
      return 1;
    }));
    // Started: cancelling it cannot cancel the work (a pending one would be).
    EXPECT_TRUE(co_await yield_until([&] { return started.load(); }));
  };
  run_bounded(main());
  release = true;  // the result comes now, to a loop that is gone: the callback drops it
  EXPECT_TRUE(wait_until([&] { return finished.load(); }, 10s));
}

}  // namespace
