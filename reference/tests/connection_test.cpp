// mp::Pipe / mp::Connection: messages whole and in order between processes,
// EOF and broken-pipe behaviour when the other end goes away (closed, exited,
// killed mid-message), misuse errors, and poll's timing.
//
// The other end runs in a child made with mp::Process. Every blocking call
// is bounded: poll/join take deadlines, and each test runs under an alarm()
// watchdog, so a recv that wrongly blocks fails the run (SIGALRM) instead of
// hanging it. Children are forked before any thread exists (no test starts one).
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>
#include <csignal>

#include "mp/connection.hpp"
#include "mp/detail/sigpipe_block.hpp"
#include "mp/process.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::peak_rss;
using mp::testing::reset_peak_rss;
using mp::testing::scaled;
using mp::testing::throws_with;

// Waits for the child within the deadline; kills it otherwise, so that a
// failing test never leaves a process behind or blocks in ~Process.
[[nodiscard]] bool finish(mp::Process& p, std::chrono::milliseconds deadline = 5000ms) {
  if (p.join(scaled(deadline))) return true;
  p.kill();
  p.join();
  return false;
}

// Starts `body` in a child that keeps only `theirs`: `ours` is closed there
// and `theirs` here, or EOF could never arrive at either end.
template <class Body>
mp::Process start_peer(mp::Connection& ours, mp::Connection& theirs, Body body) {
  mp::Process p([&ours, body] {
    ours.close();
    body();
  });
  p.start();
  theirs.close();
  return p;
}

// Writes raw bytes to a descriptor, bypassing the framing.
void raw_write(int fd, const void* data, std::size_t n) {
  ASSERT_EQ(::write(fd, data, n), static_cast<ssize_t>(n));
}

// A header as the wire format documents it: 4-byte native-endian length.
std::string header(std::uint32_t n) { return std::string(reinterpret_cast<const char*>(&n), sizeof n); }

// Bytes that depend on the seed and the position, repeating with a prime
// period, so that a chunk delivered twice, dropped or misplaced shows.
std::string pattern(std::size_t n, unsigned seed) {
  constexpr std::size_t period = 65'521;
  std::string unit(std::min(n, period), '\0');
  for (std::size_t i = 0; i < unit.size(); ++i)
    unit[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 8)) & 0xFF);
  std::string s;
  s.reserve(n);
  while (s.size() < n) s.append(unit, 0, std::min(unit.size(), n - s.size()));
  return s;
}

class PipeTest : public ::testing::Test {
protected:
  // The watchdog: a test that blocks where it should not dies by SIGALRM.
  void SetUp() override { ::alarm(static_cast<unsigned>(scaled(30s).count() / 1000)); }
  void TearDown() override { ::alarm(0); }
};

// ---- Python's example and basic traffic ----

TEST_F(PipeTest, PythonExampleTupleFromChild) {
  using Msg = std::tuple<int, std::optional<int>, std::string>;  // [42, None, 'hello']
  mp::Connection parent_conn, child_conn;
  std::tie(parent_conn, child_conn) = mp::Pipe();
  mp::Process p = start_peer(parent_conn, child_conn, [&] {
    child_conn.send(Msg{42, std::nullopt, "hello"});
    child_conn.send(std::vector<int>{1, 2, 3});
  });
  EXPECT_EQ(parent_conn.recv<Msg>(), (Msg{42, std::nullopt, "hello"}));
  EXPECT_EQ(parent_conn.recv<std::vector<int>>(), (std::vector<int>{1, 2, 3}));
  ASSERT_TRUE(finish(p));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(PipeTest, DuplexCarriesBothDirections) {
  mp::Connection a, b;
  std::tie(a, b) = mp::Pipe();
  EXPECT_TRUE(a.readable() && a.writable() && b.readable() && b.writable());
  mp::Process p = start_peer(a, b, [&] {
    // Echo with a twist until EOF: each request gets its answer.
    for (;;) {
      std::map<std::string, int> request;
      try {
        request = b.recv<std::map<std::string, int>>();
      } catch (const mp::EOFError&) {
        return;
      }
      request["seen"] = static_cast<int>(request.size());
      b.send(request);
    }
  });
  for (int i = 0; i < 50; ++i) {
    a.send(std::map<std::string, int>{{"i", i}, {"square", i * i}});
    const auto reply = a.recv<std::map<std::string, int>>();
    EXPECT_EQ(reply, (std::map<std::string, int>{{"i", i}, {"seen", 2}, {"square", i * i}}));
  }
  a.close();  // the child's recv sees EOF and it returns
  ASSERT_TRUE(finish(p));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(PipeTest, SimplexFirstEndReceivesSecondEndSends) {
  auto [r, w] = mp::Pipe(false);
  EXPECT_TRUE(r.readable());
  EXPECT_FALSE(r.writable());
  EXPECT_FALSE(w.readable());
  EXPECT_TRUE(w.writable());
  EXPECT_THROW(r.send(1), mp::ValueError);
  EXPECT_THROW(r.send_bytes("x"), mp::ValueError);
  EXPECT_THROW((void)w.recv<int>(), mp::ValueError);
  EXPECT_THROW((void)w.recv_bytes(), mp::ValueError);
  EXPECT_THROW((void)w.poll(), mp::ValueError);
  w.send(std::string("one way"));
  EXPECT_EQ(r.recv<std::string>(), "one way");
  ASSERT_TRUE(throws_with<mp::ValueError>([&read_end = r] { read_end.send_bytes("x"); }, "read-only"))
      << "send on the read end must throw";
}

TEST_F(PipeTest, ManyMessagesArriveInOrder) {
  constexpr int n = 10'000;
  mp::Connection r, w;
  std::tie(r, w) = mp::Pipe(false);
  mp::Process p = start_peer(r, w, [&] {
    for (int i = 0; i < n; ++i) w.send(i);
  });
  for (int i = 0; i < n; ++i) ASSERT_EQ(r.recv<int>(), i);
  EXPECT_THROW((void)r.recv<int>(), mp::EOFError);  // and nothing more
  ASSERT_TRUE(finish(p));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(PipeTest, MixedSizesIncludingEmptyAndBufferBoundaries) {
  // Sizes straddle the receive buffer (64 KiB) and the header: each message
  // must come out whole, with its own bytes, in order.
  std::vector<std::size_t> sizes = {0,      1,      3,      4,      5, 100,     65'531,
                                    65'532, 65'533, 65'536, 70'000, 0, 300'000, 7};
  std::mt19937 rng(12345);
  for (int i = 0; i < 200; ++i) sizes.push_back(std::uniform_int_distribution<std::size_t>(0, 150'000)(rng));
  mp::Connection a, b;
  std::tie(a, b) = mp::Pipe();
  mp::Process p = start_peer(a, b, [&] {
    for (std::size_t i = 0; i < sizes.size(); ++i) b.send_bytes(pattern(sizes[i], static_cast<unsigned>(i)));
  });
  std::string reused;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::string expected = pattern(sizes[i], static_cast<unsigned>(i));
    if (i % 3 == 0) {
      ASSERT_EQ(a.recv_bytes(), expected) << "message " << i;
    } else if (i % 3 == 1) {
      ASSERT_EQ(a.recv_bytes_into(reused), sizes[i]);
      ASSERT_EQ(reused, expected) << "message " << i;
    } else {
      ASSERT_EQ(a.recv<std::string>(), expected) << "message " << i;
    }
  }
  EXPECT_THROW((void)a.recv_bytes(), mp::EOFError);
  ASSERT_TRUE(finish(p));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(PipeTest, SixtyFourMebibyteMessageThroughChildAndBack) {
  const std::string big = pattern(64u << 20, 42);
  mp::Connection a, b;
  std::tie(a, b) = mp::Pipe();
  mp::Process p = start_peer(a, b, [&] {
    std::string got = b.recv_bytes();
    std::reverse(got.begin(), got.end());  // prove the child saw every byte
    b.send_bytes(got);
  });
  a.send_bytes(big);
  std::string back = a.recv_bytes();
  ASSERT_EQ(back.size(), big.size());
  std::reverse(back.begin(), back.end());
  EXPECT_TRUE(back == big);
  ASSERT_TRUE(finish(p, 20s));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(PipeTest, LargeMessagesThroughSimplexPipe) {
  mp::Connection r, w;
  std::tie(r, w) = mp::Pipe(false);
  mp::Process p = start_peer(r, w, [&] {
    for (unsigned i = 0; i < 4; ++i) w.send_bytes(pattern((1u << 20) + i, i));
  });
  for (unsigned i = 0; i < 4; ++i)
    ASSERT_TRUE(r.recv_bytes() == pattern((1u << 20) + i, i)) << "message " << i;
  ASSERT_TRUE(finish(p));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(PipeTest, ManyWritersOnOneSimplexPipeExactMultiset) {
  // Messages up to PIPE_BUF - 4 bytes are written atomically: with 4 writers
  // at once, every message arrives whole, each writer's in its own order.
  constexpr int writers = 4;
  constexpr int per_writer = 2'000;
  using Msg = std::pair<int, int>;  // (writer, sequence)
  mp::Connection r, w;
  std::tie(r, w) = mp::Pipe(false);
  std::vector<mp::Process> procs;
  for (int id = 0; id < writers; ++id) {
    procs.emplace_back([&, id] {
      r.close();
      for (int s = 0; s < per_writer; ++s) w.send(Msg{id, s});
      // Also one maximal atomic message per writer, to check the bound.
      w.send_bytes(std::string(PIPE_BUF - 4, static_cast<char>('a' + id)));
    });
  }
  for (auto& p : procs) p.start();
  w.close();
  std::vector<int> next(writers, 0);
  int big_seen = 0;
  for (;;) {
    std::string m;
    try {
      m = r.recv_bytes();
    } catch (const mp::EOFError&) {
      break;
    }
    if (m.size() == PIPE_BUF - 4) {
      const int id = m[0] - 'a';
      ASSERT_TRUE(id >= 0 && id < writers);
      EXPECT_EQ(m, std::string(PIPE_BUF - 4, m[0]));
      EXPECT_EQ(next[static_cast<std::size_t>(id)], per_writer)
          << "big message came before the writer's last";
      ++big_seen;
      continue;
    }
    const auto [id, seq] = mp::loads<Msg>(m);
    ASSERT_TRUE(id >= 0 && id < writers);
    ASSERT_EQ(seq, next[static_cast<std::size_t>(id)]) << "writer " << id;
    ++next[static_cast<std::size_t>(id)];
  }
  EXPECT_EQ(big_seen, writers);
  for (int id = 0; id < writers; ++id) EXPECT_EQ(next[static_cast<std::size_t>(id)], per_writer);
  for (auto& p : procs) {
    ASSERT_TRUE(finish(p));
    EXPECT_EQ(p.exitcode(), 0);
  }
}

// ---- poll ----

TEST_F(PipeTest, PollZeroIsFalseOnEmptyAndTrueWithData) {
  auto [a, b] = mp::Pipe();
  EXPECT_FALSE(a.poll());
  EXPECT_FALSE(a.poll(0ms));
  b.send(7);
  EXPECT_TRUE(a.poll());
  EXPECT_TRUE(a.poll());  // poll does not consume
  EXPECT_EQ(a.recv<int>(), 7);
  EXPECT_FALSE(a.poll());
}

TEST_F(PipeTest, PollTimesOutAfterItsTimeout) {
  auto [a, b] = mp::Pipe();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(a.poll(100ms));
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, scaled(1000ms));
}

TEST_F(PipeTest, PollWakesWhenAChildSends) {
  mp::Connection a, b;
  std::tie(a, b) = mp::Pipe();
  mp::Process p = start_peer(a, b, [&] { b.send(std::string("wake")); });
  EXPECT_TRUE(a.poll(scaled(5000ms)));
  EXPECT_EQ(a.recv<std::string>(), "wake");
  ASSERT_TRUE(finish(p));
  EXPECT_TRUE(a.poll());  // EOF is "ready" too: recv raises at once
  EXPECT_THROW((void)a.recv_bytes(), mp::EOFError);
}

TEST_F(PipeTest, PollSeesMessagesAlreadyBuffered) {
  // One read takes both messages into the connection's buffer; the socket is
  // then empty, but the second message is ready and poll must say so.
  auto [a, b] = mp::Pipe();
  b.send(1);
  b.send(2);
  ASSERT_TRUE(a.poll(scaled(1000ms)));
  EXPECT_EQ(a.recv<int>(), 1);
  EXPECT_TRUE(a.poll());
  EXPECT_EQ(a.recv<int>(), 2);
  EXPECT_FALSE(a.poll());
}

// ---- EOF: the other end goes away ----

TEST_F(PipeTest, EOFErrorAfterChildExits) {
  mp::Connection a, b;
  std::tie(a, b) = mp::Pipe();
  mp::Process p = start_peer(a, b, [&] { b.send(std::string("last words")); });
  EXPECT_EQ(a.recv<std::string>(), "last words");
  EXPECT_THROW((void)a.recv<std::string>(), mp::EOFError);
  EXPECT_THROW((void)a.recv_bytes(), mp::EOFError);  // and again: EOF stays EOF
  ASSERT_TRUE(finish(p));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(PipeTest, EOFErrorWhenPeerExitsWithOurMessageUnread) {
  // A Unix socket closed with unread data makes the peer's reads fail with
  // ECONNRESET: that is still "the other end is closed", an EOFError.
  mp::Connection a, b;
  std::tie(a, b) = mp::Pipe();
  a.send(std::string("never read"));
  mp::Process p = start_peer(a, b, [&] {
    b.send(1);  // answer, but never read what the parent sent
  });
  ASSERT_TRUE(finish(p));
  EXPECT_EQ(a.recv<int>(), 1);
  EXPECT_THROW((void)a.recv<int>(), mp::EOFError);
}

TEST_F(PipeTest, EOFErrorWhenPeerDiesMidMessage) {
  for (const bool duplex : {true, false}) {
    SCOPED_TRACE(duplex ? "duplex" : "simplex");
    mp::Connection r, w;
    std::tie(r, w) = mp::Pipe(duplex);
    mp::Process p = start_peer(r, w, [&] {
      const std::string partial = header(1000) + "only ten b";  // announces 1000, sends 10
      raw_write(w.fileno(), partial.data(), partial.size());
      ::_exit(0);
    });
    ASSERT_TRUE(throws_with<mp::EOFError>([&] { (void)r.recv_bytes(); }, "truncated"))
        << "a truncated message must raise EOFError";
    ASSERT_TRUE(finish(p));
  }
}

TEST_F(PipeTest, EOFErrorWhenSenderIsKilledMidMessage) {
  // The child blocks sending 16 MiB that nobody reads yet; SIGKILL it, and the
  // part that arrived must end in EOFError, not a hang.
  mp::Connection a, b;
  std::tie(a, b) = mp::Pipe();
  mp::Process p = start_peer(a, b, [&] {
    b.send_bytes(std::string(16u << 20, 'k'));  // far more than the socket holds
  });
  ASSERT_TRUE(a.poll(scaled(5000ms)));  // the first bytes are in
  p.kill();
  ASSERT_TRUE(finish(p));
  EXPECT_EQ(p.exitcode(), -SIGKILL);
  EXPECT_THROW((void)a.recv_bytes(), mp::EOFError);
}

// ---- sending to a closed peer ----

TEST_F(PipeTest, SendToClosedPeerRaisesEPIPEWithoutSIGPIPE) {
  for (const bool duplex : {true, false}) {
    SCOPED_TRACE(duplex ? "duplex" : "simplex");
    auto [r, w] = mp::Pipe(duplex);
    r.close();
    try {
      w.send(std::string("into the void"));
      FAIL() << "send to a closed peer must throw";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EPIPE) << e.what();
    }
    // Still alive (SIGPIPE's default would have killed us), SIGPIPE not left
    // pending, and the thread's signal mask is as it was.
    sigset_t pending, mask;
    sigemptyset(&pending);
    ASSERT_EQ(::sigpending(&pending), 0);
    EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, nullptr, &mask), 0);
    EXPECT_EQ(sigismember(&mask, SIGPIPE), 0);
  }
}

TEST_F(PipeTest, SendToPeerThatExitedRaisesInAChildToo) {
  // A writer process whose reader is gone: the child gets the error (exit
  // code 3 from the handler), not death by SIGPIPE (exit code -13).
  mp::Connection r, w;
  std::tie(r, w) = mp::Pipe(false);
  mp::Process p = start_peer(r, w, [&] {
    try {
      for (;;) w.send_bytes(std::string(4096, 'x'));  // fills the pipe, then the reader is gone
    } catch (const std::system_error& e) {
      mp::exit(e.code().value() == EPIPE ? 3 : 4);
    }
  });
  ASSERT_TRUE(r.poll(scaled(5000ms)));
  r.close();  // the last read end: the child's next write fails
  ASSERT_TRUE(finish(p));
  EXPECT_EQ(p.exitcode(), 3);
}

// What Python does at start, the first simplex send does: a default SIGPIPE
// becomes ignored for the whole process; a program's own handler is kept and
// never called by the runtime's sends (the signal is blocked and taken off).
TEST_F(PipeTest, SimplexSendIgnoresADefaultSigpipeAndKeepsAHandler) {
  mp::Process p([] {
    int failures = 0;
    auto check = [&](bool ok) { failures += ok ? 0 : 1; };
    auto send_to_closed = [] {
      auto [r, w] = mp::Pipe(false);
      r.close();
      try {
        w.send(1);
      } catch (const std::system_error& e) {
        return e.code().value() == EPIPE;
      }
      return false;
    };
    struct sigaction now {};
    ::signal(SIGPIPE, SIG_DFL);
    mp::detail::forget_sigpipe_decision();
    check(send_to_closed());
    check(::sigaction(SIGPIPE, nullptr, &now) == 0 && now.sa_handler == SIG_IGN);

    static volatile sig_atomic_t handled = 0;
    struct sigaction handler {};
    handler.sa_handler = [](int) { handled = 1; };
    sigemptyset(&handler.sa_mask);
    ::sigaction(SIGPIPE, &handler, nullptr);
    mp::detail::forget_sigpipe_decision();
    check(send_to_closed());
    check(send_to_closed());
    check(handled == 0);
    check(::sigaction(SIGPIPE, nullptr, &now) == 0 && now.sa_handler == handler.sa_handler);
    sigset_t pending;
    sigemptyset(&pending);
    check(::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 0);
    mp::exit(failures);
  });
  p.start();
  ASSERT_TRUE(finish(p));
  EXPECT_EQ(p.exitcode(), 0) << "checks failed in the child (see the test's code)";
}

// ---- message limits ----

TEST_F(PipeTest, MaxlengthTooSmallRaisesAndKeepsTheMessage) {
  auto [a, b] = mp::Pipe();
  b.send_bytes("hello world");
  b.send_bytes("next");
  try {
    (void)a.recv_bytes(4);
    FAIL() << "an 11-byte message with maxlength 4 must throw";
  } catch (const mp::BufferTooShort& e) {
    EXPECT_EQ(e.message_size(), 11u);
    EXPECT_EQ(e.room(), 4u);
    const std::string what = e.what();
    EXPECT_NE(what.find("11"), std::string::npos) << what;
    EXPECT_NE(what.find('4'), std::string::npos) << what;
  }
  EXPECT_THROW((void)a.recv_bytes(10), mp::Error);  // still pending
  EXPECT_EQ(a.recv_bytes(11), "hello world");
  EXPECT_EQ(a.recv_bytes(4), "next");
}

TEST_F(PipeTest, MaxlengthKeepsALargeMessageNotYetRead) {
  auto [a, b] = mp::Pipe();
  const std::string big = pattern(150'000, 3);  // larger than the receive buffer
  b.send_bytes(big);
  EXPECT_THROW((void)a.recv_bytes(1000), mp::BufferTooShort);
  EXPECT_TRUE(a.recv<std::string>() == big);
}

TEST_F(PipeTest, RecvBytesIntoSpanWithOffset) {
  auto [a, b] = mp::Pipe();
  b.send_bytes("abcdef");
  b.send_bytes("xyz");
  std::vector<std::byte> buf(8, std::byte{'.'});
  EXPECT_THROW((void)a.recv_bytes_into(buf, 9), mp::ValueError);
  EXPECT_THROW((void)a.recv_bytes_into(buf, 3), mp::BufferTooShort);  // 6 bytes, room for 5
  EXPECT_EQ(a.recv_bytes_into(buf, 2), 6u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), buf.size()), "..abcdef");
  EXPECT_EQ(a.recv_bytes_into(std::span<std::byte>(buf)), 3u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), 3), "xyz");
}

TEST_F(PipeTest, SendBytesWithOffsetAndSize) {
  auto [a, b] = mp::Pipe();
  const std::string s = "0123456789";
  b.send_bytes(s, 3);
  b.send_bytes(s, 2, 4);
  b.send_bytes(s, 10, 0);
  const std::vector<std::byte> bytes = {std::byte{1}, std::byte{2}};
  b.send_bytes(std::span<const std::byte>(bytes));
  EXPECT_THROW(b.send_bytes(s, 11), mp::ValueError);
  EXPECT_THROW(b.send_bytes(s, 8, 3), mp::ValueError);
  EXPECT_EQ(a.recv_bytes(), "3456789");
  EXPECT_EQ(a.recv_bytes(), "2345");
  EXPECT_EQ(a.recv_bytes(), "");
  EXPECT_EQ(a.recv_bytes(), std::string("\x01\x02"));
  EXPECT_FALSE(a.poll());  // the refused sends sent nothing
}

// ---- memory follows the bytes that arrive ----

// A long header as the wire format documents it: 0xFFFFFFFF, then an 8-byte length.
std::string long_header(std::uint64_t n) {
  const std::uint32_t marker = 0xFFFFFFFFU;
  return std::string(reinterpret_cast<const char*>(&marker), sizeof marker) +
         std::string(reinterpret_cast<const char*>(&n), sizeof n);
}

// The receiving calls that allocate for the message they receive.
enum class Api { recv_bytes, recv_value, recv_bytes_into_string };
const char* name_of(Api api) {
  switch (api) {
    case Api::recv_bytes: return "recv_bytes()";
    case Api::recv_value: return "recv<std::vector<char>>()";
    case Api::recv_bytes_into_string: return "recv_bytes_into(std::string&)";
  }
  return "?";
}
void receive_with(mp::Connection& c, Api api) {
  std::string into;
  switch (api) {
    case Api::recv_bytes: (void)c.recv_bytes(); break;
    case Api::recv_value: (void)c.recv<std::vector<char>>(); break;
    case Api::recv_bytes_into_string: (void)c.recv_bytes_into(into); break;
  }
}

constexpr std::size_t mib = std::size_t{1} << 20;

TEST_F(PipeTest, AnnouncedGibibyteCostsNoMemoryWhenNothingFollows) {
  // A peer that announces 1 GiB and closes without sending any of it: the
  // receiver raises EOFError (truncated message), and its memory must not
  // follow the announcement (it used to allocate and zero the whole GiB).
  for (const bool duplex : {true, false}) {
    for (const Api api : {Api::recv_bytes, Api::recv_value, Api::recv_bytes_into_string}) {
      SCOPED_TRACE(std::string(duplex ? "duplex " : "simplex ") + name_of(api));
      mp::Connection r, w;
      std::tie(r, w) = mp::Pipe(duplex);
      const std::string h = header(1u << 30);
      raw_write(w.fileno(), h.data(), h.size());
      w.close();
      ASSERT_TRUE(reset_peak_rss()) << "cannot reset VmHWM (/proc/self/clear_refs)";
      const std::size_t before = peak_rss();
      EXPECT_TRUE(throws_with<mp::EOFError>([&] { receive_with(r, api); }, "truncated"));
      const std::size_t growth = peak_rss() - before;
      EXPECT_LT(growth, 4 * mib * mp::testing::memory_slack)
          << "the peak RSS grew by " << growth / 1024 << " KiB for 0 bytes received";
    }
  }
}

TEST_F(PipeTest, AnnouncedGibibyteCostsMemoryInProportionToWhatArrives) {
  // The peer announces 1 GiB, sends 3 MiB of it and dies: memory follows the
  // 3 MiB that arrived (in steps), not the 1 GiB announced.
  for (const Api api : {Api::recv_bytes, Api::recv_value, Api::recv_bytes_into_string}) {
    SCOPED_TRACE(name_of(api));
    mp::Connection a, b;
    std::tie(a, b) = mp::Pipe();
    ASSERT_TRUE(reset_peak_rss()) << "cannot reset VmHWM (/proc/self/clear_refs)";
    const std::size_t before = peak_rss();
    mp::Process p = start_peer(a, b, [&] {
      const std::string partial = header(1u << 30) + pattern(3 * mib, 5);
      raw_write(b.fileno(), partial.data(), partial.size());
      ::_exit(0);
    });
    EXPECT_TRUE(throws_with<mp::EOFError>([&] { receive_with(a, api); }, "truncated"));
    const std::size_t growth = peak_rss() - before;
    EXPECT_LT(growth, 24 * mib * mp::testing::memory_slack)
        << "the peak RSS grew by " << growth / 1024 << " KiB for 3 MiB received";
    ASSERT_TRUE(finish(p));
  }
}

TEST_F(PipeTest, TebibyteAnnouncementRaisesEOFErrorNotBadAlloc) {
  // 2^40 bytes announced, then the peer closes: every receiving call raises
  // an mp::Error (here EOFError, or BufferTooShort where the caller's room is
  // smaller), never std::bad_alloc.
  const std::string h = long_header(std::uint64_t{1} << 40);
  for (const Api api : {Api::recv_bytes, Api::recv_value, Api::recv_bytes_into_string}) {
    SCOPED_TRACE(name_of(api));
    auto [a, b] = mp::Pipe();
    raw_write(b.fileno(), h.data(), h.size());
    b.close();
    EXPECT_THROW(receive_with(a, api), mp::EOFError);
  }
  auto [a, b] = mp::Pipe();
  raw_write(b.fileno(), h.data(), h.size());
  b.close();
  std::vector<std::byte> room(64);
  EXPECT_THROW((void)a.recv_bytes_into(room), mp::BufferTooShort);
  EXPECT_THROW((void)a.recv_bytes(mib), mp::BufferTooShort);
  EXPECT_THROW((void)a.recv_bytes(), mp::EOFError);
}

TEST_F(PipeTest, ImpossibleLengthIsABadMessageLength) {
  // A length no process could hold (2^63 bytes: more than PTRDIFF_MAX) means
  // the stream is corrupt: SerializationError naming the length, at once.
  for (const std::uint64_t n : {std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    auto ends = mp::Pipe();  // not a structured binding: clang 14 cannot capture one in a lambda
    mp::Connection& a = ends.first;
    mp::Connection& b = ends.second;
    const std::string h = long_header(n);
    raw_write(b.fileno(), h.data(), h.size());
    EXPECT_TRUE(throws_with<mp::SerializationError>([&] { (void)a.recv_bytes(); }, "bad message length"));
    EXPECT_TRUE(
        throws_with<mp::SerializationError>([&] { (void)a.recv<std::vector<int>>(); }, std::to_string(n)));
    std::string into;
    EXPECT_THROW((void)a.recv_bytes_into(into), mp::SerializationError);
    std::vector<std::byte> room(64);
    EXPECT_THROW((void)a.recv_bytes_into(room), mp::SerializationError);
  }
}

TEST_F(PipeTest, LargeMessagesArriveWholeThroughEveryReceivingCall) {
  // Sizes around the steps in which a receiver's memory grows (1 MiB, then
  // doubling) and the 4 MiB from which it asks for huge pages.
  const std::vector<std::size_t> sizes = {mib - 1, mib, mib + 1, 2 * mib + 3, 4 * mib + 1, 9 * mib + 7};
  mp::Connection a, b;
  std::tie(a, b) = mp::Pipe();
  mp::Process p = start_peer(a, b, [&] {
    for (unsigned i = 0; i < sizes.size(); ++i) {
      const std::string m = pattern(sizes[i], i);
      b.send_bytes(m);
      b.send(std::vector<char>(m.begin(), m.end()));
      b.send_bytes(m);
      b.send_bytes(m);
    }
  });
  std::string reused = "old contents";
  for (unsigned i = 0; i < sizes.size(); ++i) {
    SCOPED_TRACE(sizes[i]);
    const std::string m = pattern(sizes[i], i);
    EXPECT_TRUE(a.recv_bytes() == m);
    const auto v = a.recv<std::vector<char>>();
    EXPECT_TRUE(std::string(v.begin(), v.end()) == m);
    std::string fresh;
    EXPECT_EQ(a.recv_bytes_into(fresh), m.size());
    EXPECT_TRUE(fresh == m);
    EXPECT_EQ(a.recv_bytes_into(reused), m.size());  // capacity from the previous, smaller message
    EXPECT_TRUE(reused == m);
  }
  ASSERT_TRUE(finish(p, 20s));
  EXPECT_EQ(p.exitcode(), 0);
}

// ---- malformed and foreign messages ----

TEST_F(PipeTest, MalformedMessageRaisesAndTheNextOneIsFine) {
  mp::Connection a, b;
  std::tie(a, b) = mp::Pipe();
  mp::Process p = start_peer(a, b, [&] {
    const std::string garbage = header(3) + "\xff\xff\xff";  // a framed message that is no vector
    raw_write(b.fileno(), garbage.data(), garbage.size());
    b.send(std::vector<int>{4, 5});
    b.send(2.5);  // 8 bytes, received as an int: foreign
    b.send(std::int32_t{9});
  });
  EXPECT_THROW((void)a.recv<std::vector<int>>(), mp::SerializationError);
  EXPECT_EQ(a.recv<std::vector<int>>(), (std::vector<int>{4, 5}));
  EXPECT_THROW((void)a.recv<std::int32_t>(), mp::SerializationError);
  EXPECT_EQ(a.recv<std::int32_t>(), 9);
  ASSERT_TRUE(finish(p));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(PipeTest, LargeMalformedMessageIsConsumedToo) {
  auto [a, b] = mp::Pipe();
  b.send_bytes(std::string(100'000, '\xff'));  // past the receive buffer: the scratch path
  b.send(std::vector<int>{1});
  EXPECT_THROW((void)a.recv<std::vector<int>>(), mp::SerializationError);
  EXPECT_EQ(a.recv<std::vector<int>>(), std::vector<int>{1});
}

// ---- lifetime and misuse ----

TEST_F(PipeTest, ClosedConnectionRaisesValueError) {
  auto [a, b] = mp::Pipe();
  EXPECT_FALSE(a.closed());
  EXPECT_GE(a.fileno(), 0);
  a.close();
  EXPECT_TRUE(a.closed());
  a.close();  // twice is fine
  EXPECT_THROW(a.send(1), mp::ValueError);
  EXPECT_THROW((void)a.recv<int>(), mp::ValueError);
  EXPECT_THROW((void)a.recv_bytes(), mp::ValueError);
  EXPECT_THROW((void)a.poll(), mp::ValueError);
  EXPECT_THROW((void)a.fileno(), mp::ValueError);
  try {
    a.send_bytes("x");
  } catch (const mp::ValueError& e) {
    EXPECT_STREQ(e.what(), "connection is closed");
  }
  EXPECT_THROW((void)b.recv_bytes(), mp::EOFError);  // the peer sees it closed
}

TEST_F(PipeTest, MoveTransfersOwnership) {
  auto [a, b] = mp::Pipe();
  b.send(5);
  b.send(6);
  EXPECT_EQ(a.recv<int>(), 5);  // buffers 6 too
  mp::Connection moved(std::move(a));
  EXPECT_TRUE(a.closed());          // NOLINT(bugprone-use-after-move): moved-from is documented closed
  EXPECT_EQ(moved.recv<int>(), 6);  // the buffered message moved with it
  mp::Connection other;
  EXPECT_TRUE(other.closed());
  other = std::move(moved);
  other.send(7);
  EXPECT_EQ(b.recv<int>(), 7);
}

TEST_F(PipeTest, AdoptsADescriptor) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  mp::Connection r(fds[0], true, false);
  mp::Connection w(fds[1], false, true);
  w.send(std::string("adopted"));
  EXPECT_EQ(r.recv<std::string>(), "adopted");
  EXPECT_THROW(mp::Connection(-1, true, true), mp::ValueError);
}

TEST_F(PipeTest, StringLikeValuesTravelAsStrings) {
  auto [a, b] = mp::Pipe();
  b.send("literal");
  b.send(std::string_view("view"));
  EXPECT_EQ(a.recv<std::string>(), "literal");
  EXPECT_EQ(a.recv_bytes(), "view");
}

}  // namespace
