// mp::wait (Python's multiprocessing.connection.wait): which of several connections and
// processes are ready, in the order given; timeouts; a dead peer and an ended process
// wake a waiter that has no deadline; misuse errors. Children are forked before any
// thread exists; every wait that should end has a deadline.
#include <chrono>
#include <csignal>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "mp/connection.hpp"
#include "mp/error.hpp"
#include "mp/process.hpp"
#include "mp/wait.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::scaled;
using Clock = std::chrono::steady_clock;

struct Duplex {
  mp::Connection near, far;
  Duplex() { std::tie(near, far) = mp::Pipe(); }
};

}  // namespace

TEST(Wait, ReturnsTheReadyConnectionsInTheOrderGiven) {
  Duplex a, b, c;
  b.far.send(2);
  EXPECT_EQ(mp::wait({a.near, b.near, c.near}, scaled(5s)), std::vector<mp::Waitable>{b.near});
  a.far.send(1);
  EXPECT_EQ(mp::wait({a.near, b.near, c.near}, scaled(5s)), (std::vector<mp::Waitable>{a.near, b.near}))
      << "every ready one, in the order given, not only the first";
  EXPECT_EQ(a.near.recv<int>(), 1);
  EXPECT_EQ(b.near.recv<int>(), 2);
}

TEST(Wait, TimesOutWhenNothingIsReady) {
  Duplex a, b;
  auto t0 = Clock::now();
  EXPECT_TRUE(mp::wait({a.near, b.near}, 50ms).empty());
  EXPECT_GE(Clock::now() - t0, 50ms);
  t0 = Clock::now();
  EXPECT_TRUE(mp::wait({a.near}, mp::Timeout::zero()).empty());
  EXPECT_TRUE(mp::wait({a.near}, -5s).empty()) << "a negative timeout only looks";
  EXPECT_LT(Clock::now() - t0, scaled(1s));
}

// The second message arrived in the same read as the first: it is in the
// connection's buffer, not in the descriptor, and still counts.
TEST(Wait, AMessageAlreadyBufferedIsReady) {
  Duplex a;
  a.far.send(1);
  a.far.send(2);
  ASSERT_EQ(a.near.recv<int>(), 1);
  EXPECT_EQ(mp::wait({a.near}, scaled(5s)).size(), 1U);
  EXPECT_EQ(a.near.recv<int>(), 2);
}

TEST(Wait, AClosedPeerIsReadyAndItsRecvRaisesEOF) {
  Duplex a, b;
  a.far.close();
  EXPECT_EQ(mp::wait({b.near, a.near}, scaled(5s)), std::vector<mp::Waitable>{a.near});
  EXPECT_THROW((void)a.near.recv<int>(), mp::EOFError);
}

// A peer SIGKILLed while the parent waits with no deadline wakes it (its end closes).
TEST(Wait, APeerKilledWhileWeWaitWakesUs) {
  Duplex data, go;
  mp::Process p([&] {
    data.near.close();
    go.near.close();
    (void)go.far.recv<int>();  // holds data.far open until told
    ::raise(SIGKILL);
  });
  p.start();
  data.far.close();
  go.far.close();
  go.near.send(1);
  EXPECT_EQ(mp::wait({data.near}), std::vector<mp::Waitable>{data.near});
  EXPECT_THROW((void)data.near.recv<int>(), mp::EOFError);
  ASSERT_TRUE(p.join(scaled(5s)));
  EXPECT_EQ(p.exitcode(), -SIGKILL);
}

TEST(Wait, AnEndedProcessIsReady) {
  Duplex go;
  mp::Process p([&] { (void)go.far.recv<int>(); });
  p.start();
  EXPECT_TRUE(mp::wait({p}, 20ms).empty()) << "it waits for our message: not ended";
  go.near.send(1);
  EXPECT_EQ(mp::wait({go.near, p}, scaled(5s)), std::vector<mp::Waitable>{p});
  ASSERT_TRUE(p.join(scaled(5s)));
  EXPECT_EQ(mp::wait({p}, mp::Timeout::zero()).size(), 1U) << "and stays ready after join";
}

TEST(Wait, ARawDescriptorIsReadyWhenReadable) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const auto r = mp::Waitable::descriptor(fds[0]);
  EXPECT_TRUE(mp::wait({r}, mp::Timeout::zero()).empty());
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  EXPECT_EQ(mp::wait({r}, scaled(5s)), std::vector<mp::Waitable>{r});
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(Wait, MisuseIsAnError) {
  Duplex a;
  a.near.close();
  EXPECT_THROW((void)mp::wait({a.near}, 10ms), mp::ValueError) << "a closed connection";
  auto [reader, writer] = mp::Pipe(false);
  EXPECT_THROW((void)mp::wait({writer}, 10ms), mp::ValueError) << "a write-only end";
  mp::Process never_started([] {});
  EXPECT_THROW((void)mp::wait({never_started}, 10ms), mp::ValueError) << "a process not started";
  EXPECT_THROW((void)mp::wait(std::vector<mp::Waitable>{}), mp::ValueError) << "nothing, forever";
  EXPECT_TRUE(mp::wait(std::vector<mp::Waitable>{}, 10ms).empty());
}
