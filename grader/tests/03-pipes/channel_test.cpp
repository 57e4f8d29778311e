// Lesson 03, exercise 2: Channel (contract: exercises/03-pipes/channel.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): the Channels live in a
// child that loaded the student's code, which returns what it saw (sizes, hashes,
// exception types); the checks run here. The peer is often the runtime's own
// mp::Connection or a raw write(2), which the student's code cannot bend.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mp/connection.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>

#include "channel.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson03::Channel;
using lesson03::channel_pair;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::scaled;
using mp::testing::threw;
using Clock = std::chrono::steady_clock;

constexpr const char* reread_framing = "reread lessons/03-pipes/README.md, \"Exercise 2: channel\"";

// A message of `n` bytes whose content depends on `seed` (zero bytes included).
std::string message(std::size_t n, std::uint64_t seed) {
  std::string m(n, '\0');
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& c : m) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x % 7 == 0 ? 0 : x);
  }
  return m;
}

std::uint64_t hash(std::string_view s) {  // FNV-1a
  std::uint64_t h = 1469598103934665603ull;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

// A raw socketpair, for a peer that is not a Channel.
std::pair<int, int> raw_pair() {
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw std::system_error(errno, std::generic_category(), "socketpair");
  return {fds[0], fds[1]};
}

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::system_error(errno, std::generic_category(), "write");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string header(std::uint32_t length) {
  std::string h(4, '\0');
  std::memcpy(h.data(), &length, 4);
  return h;
}

using Sizes = std::vector<std::size_t>;

TEST(Channel, MessagesArriveWholeAndInOrder) {
  const Sizes sizes{0, 1, 3, 4, 5, 100, 4096, 65536, 100'000, 7};
  // What the receiver got: the size and hash of each message.
  const auto got = in_student([&] {
    Channel a, b;
    std::tie(a, b) = channel_pair();
    std::vector<std::pair<std::size_t, std::uint64_t>> seen;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      a.send_bytes(message(sizes[i], i));
      const std::string m = b.recv_bytes();
      seen.emplace_back(m.size(), hash(m));
    }
    return seen;
  });
  ASSERT_EQ(got.size(), sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_EQ(got[i].first, sizes[i])
        << "message " << i << " arrived with the wrong size; " << reread_framing;
    EXPECT_EQ(got[i].second, hash(message(sizes[i], i))) << "message " << i << " arrived with other bytes";
  }
}

// Small messages sent 100 at a time before any is received: a read brings several at
// once, and one may end in the middle of the next one's length.
TEST(Channel, ABurstOfSmallMessagesIsSplitCorrectly) {
  const auto got = in_student([] {
    Channel a, b;
    std::tie(a, b) = channel_pair();
    std::vector<std::uint64_t> hashes;
    for (std::uint64_t round = 0; round < 30; ++round) {  // 100 at a time: what the socket holds
      for (std::uint64_t i = round * 100; i < (round + 1) * 100; ++i) a.send_bytes(message(i % 13, i));
      for (int i = 0; i < 100; ++i) hashes.push_back(hash(b.recv_bytes()));
    }
    return hashes;
  });
  ASSERT_EQ(got.size(), 3000U);
  for (std::uint64_t i = 0; i < 3000; ++i) {
    ASSERT_EQ(got[i], hash(message(i % 13, i)))
        << "message " << i << " of a burst differs: after one message, "
        << "keep what the read brought beyond it for the next; " << reread_framing;
  }
}

// 16 MiB each way between two processes: far more than the kernel buffers, so send
// and recv both go through many partial writes and reads.
TEST(Channel, LargeMessagesBetweenProcesses) {
  const auto got = in_student([] {
    Channel a, b;
    std::tie(a, b) = channel_pair();
    mp::Process echo([&] {
      a.close();
      b.send_bytes(b.recv_bytes());
    });
    echo.start();
    b.close();
    a.send_bytes(message(16 << 20, 99));
    const std::string back = a.recv_bytes();
    const bool ended = echo.join(scaled(20s));
    return std::vector<std::uint64_t>{back.size(), hash(back), ended ? 1u : 0u};
  });
  EXPECT_EQ(got[0], 16u << 20) << "a 16 MiB message came back with another size: send and read in a loop "
                                  "until all is sent and received";
  EXPECT_EQ(got[1], hash(message(16 << 20, 99)));
  EXPECT_EQ(got[2], 1u);
}

// The format is mp::Connection's: each side can talk to the other.
TEST(Channel, SpeaksMpConnectionsFormat) {
  const auto got = in_student([] {
    auto [fa, fb] = raw_pair();
    Channel ch(fa);
    mp::Connection conn(fb, true, true);
    ch.send_bytes("from a Channel");
    std::vector<std::string> seen{conn.recv_bytes()};
    conn.send_bytes("from an mp::Connection");
    seen.push_back(ch.recv_bytes());
    return seen;
  });
  EXPECT_EQ(got, (std::vector<std::string>{"from a Channel", "from an mp::Connection"}))
      << "the header is the payload's length as a 4-byte unsigned integer in this machine's byte order; "
      << reread_framing;
}

TEST(Channel, EOFWhenThePeerCloses) {
  const auto obs = in_student([] {
    Observations o;
    Channel a, b;
    std::tie(a, b) = channel_pair();
    a.send_bytes("last words");
    a.close();
    o["recv of the last message"] = b.recv_bytes() == "last words";
    o["poll at EOF"] = b.poll(1s);
    o["recv at EOF raises EOFError"] = threw<mp::EOFError>([&] { (void)b.recv_bytes(); });
    o["and again"] = threw<mp::EOFError>([&] { (void)b.recv_bytes(); });
    return o;
  });
  EXPECT_EQ(obs.at("recv of the last message"), 1) << "a message sent before close() must still arrive";
  EXPECT_EQ(obs.at("poll at EOF"), 1) << "poll() is true at EOF: recv_bytes() has something to report";
  EXPECT_EQ(obs.at("recv at EOF raises EOFError"), 1) << "read() returning 0 is EOF: throw mp::EOFError";
  EXPECT_EQ(obs.at("and again"), 1);
}

// A peer that wrote part of a message and died: recv must not hang, and must not
// return the part.
TEST(Channel, EOFInTheMiddleOfAMessageIsNotAMessage) {
  const auto obs = in_student([] {
    Observations o;
    {
      auto [fa, fb] = raw_pair();
      Channel ch(fb);
      write_all(fa, header(100) + std::string(10, 'x'));
      ::close(fa);
      o["payload cut"] = threw<mp::EOFError>([&] { (void)ch.recv_bytes(); });
    }
    {
      auto [fa, fb] = raw_pair();
      Channel ch(fb);
      write_all(fa, header(100).substr(0, 2));
      ::close(fa);
      o["length cut"] = threw<mp::EOFError>([&] { (void)ch.recv_bytes(); });
    }
    {  // a process SIGKILLed halfway through a message
      const auto fds = raw_pair();
      const int fa = fds.first;
      Channel ch(fds.second);
      mp::Process writer([&] {
        write_all(fa, header(1 << 20) + std::string(1000, 'y'));
        ::raise(SIGKILL);
      });
      writer.start();
      ::close(fa);
      o["writer killed"] = threw<mp::EOFError>([&] { (void)ch.recv_bytes(); });
      o["writer joined"] = writer.join(scaled(5s));
    }
    return o;
  });
  EXPECT_EQ(obs.at("payload cut"), 1) << "the peer closed after 10 of 100 bytes: mp::EOFError, not a short "
                                         "message (and not a wait that never ends)";
  EXPECT_EQ(obs.at("length cut"), 1) << "the peer closed after 2 bytes of a length: mp::EOFError";
  EXPECT_EQ(obs.at("writer killed"), 1) << "a writer killed halfway: mp::EOFError";
  EXPECT_EQ(obs.at("writer joined"), 1);
}

TEST(Channel, PollWaitsAtMostItsTimeout) {
  const auto obs = in_student([] {
    Observations o;
    Channel a, b;
    std::tie(a, b) = channel_pair();
    auto t0 = Clock::now();
    o["nothing, zero"] = b.poll(mp::Timeout::zero());
    o["nothing, 100ms"] = b.poll(100ms);
    o["ms waited"] = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    a.send_bytes("x");
    a.send_bytes("y");
    o["a message"] = b.poll(1s);
    o["recv"] = b.recv_bytes() == "x";
    o["the second, read ahead or not"] = b.poll(mp::Timeout::zero());
    o["recv again"] = b.recv_bytes() == "y";
    return o;
  });
  EXPECT_EQ(obs.at("nothing, zero"), 0);
  EXPECT_EQ(obs.at("nothing, 100ms"), 0);
  EXPECT_GE(obs.at("ms waited"), 100) << "poll(100ms) with nothing to receive must wait 100 ms";
  EXPECT_LT(obs.at("ms waited"), scaled(2s).count());
  EXPECT_EQ(obs.at("a message"), 1);
  EXPECT_EQ(obs.at("recv"), 1);
  EXPECT_EQ(obs.at("the second, read ahead or not"), 1)
      << "the second message may already be in pending_ (read with the first): poll() must count it";
  EXPECT_EQ(obs.at("recv again"), 1);
}

// Sending to a closed peer is an error the caller can handle, never a SIGPIPE death.
TEST(Channel, SendToAClosedPeerRaisesEPIPE) {
  const auto obs = in_student([] {
    Observations o;
    Channel a, b;
    std::tie(a, b) = channel_pair();
    b.close();
    int code = 0;
    try {
      for (int i = 0; i < 100; ++i) a.send_bytes(std::string(100'000, 'z'));
    } catch (const std::system_error& e) {
      code = e.code().value();
    }
    o["errno"] = code;
    return o;
  });
  EXPECT_EQ(obs.at("errno"), EPIPE) << "send to a closed peer: std::system_error with EPIPE (send(2) with "
                                       "MSG_NOSIGNAL, or the process dies of SIGPIPE)";
}

TEST(Channel, AClosedChannelRefusesEverything) {
  const auto obs = in_student([] {
    Observations o;
    Channel a, b;
    std::tie(a, b) = channel_pair();
    a.close();
    a.close();
    o["closed"] = a.closed();
    o["send"] = threw<mp::ValueError>([&] { a.send_bytes("x"); });
    o["recv"] = threw<mp::ValueError>([&] { (void)a.recv_bytes(); });
    o["poll"] = threw<mp::ValueError>([&] { (void)a.poll(); });
    Channel moved(std::move(b));
    o["moved from is closed"] = b.closed();  // NOLINT(bugprone-use-after-move): that is the point
    o["moved to is open"] = !moved.closed();
    o["bad fd"] = threw<mp::ValueError>([] { Channel c(-1); });
    return o;
  });
  for (const char* k :
       {"closed", "send", "recv", "poll", "moved from is closed", "moved to is open", "bad fd"})
    EXPECT_EQ(obs.at(k), 1) << k << ": see the state table in channel.hpp";
}

}  // namespace
