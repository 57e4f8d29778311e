// Tests of Connection::send_handle / recv_handle: descriptors passed over a
// Unix socket (mp/connection.hpp, src/connection_handles.cpp).
#include <chrono>
#include <string>
#include <tuple>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mp/connection.hpp"
#include "mp/process.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::scaled;

// The inode of a descriptor: two descriptors of one open file share it.
ino_t inode_of(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0);
  return st.st_ino;
}

TEST(ConnectionHandles, AHandleReachesAnotherProcessThatWritesThroughIt) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  mp::Connection parent_end;
  mp::Connection child_end;
  std::tie(parent_end, child_end) = mp::Pipe();
  mp::Process child([&] {
    parent_end.close();
    ::close(fds[0]);
    ::close(fds[1]);  // only the one it receives may reach the pipe
    const int w = child_end.recv_handle();
    mp::testing::require(::write(w, "hi", 2) == 2, 1);
  });
  child.start();
  child_end.close();
  parent_end.send_handle(fds[1]);
  ::close(fds[1]);
  char buf[3] = {};
  ASSERT_EQ(::read(fds[0], buf, 2), 2) << "the child wrote through the descriptor it received";
  EXPECT_STREQ(buf, "hi");
  ::close(fds[0]);
  mp::testing::expect_joined_ok(child);
}

TEST(ConnectionHandles, AHandleReadInOneGoWithTheMessagesBeforeItIsKept) {
  auto [a, b] = mp::Pipe();
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  a.send_bytes("first");
  a.send_bytes("second");
  a.send_handle(fds[0]);
  a.send_bytes("after");
  ASSERT_TRUE(b.poll(scaled(5s)));
  EXPECT_EQ(b.recv_bytes(), "first");  // one read takes all four messages into the buffer
  EXPECT_EQ(b.recv_bytes(), "second");
  const int got = b.recv_handle();
  EXPECT_NE(got, fds[0]) << "a descriptor of its own";
  EXPECT_EQ(inode_of(got), inode_of(fds[0]));
  EXPECT_EQ(::fcntl(got, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(b.recv_bytes(), "after");
  ::close(got);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(ConnectionHandles, APlainMessageIsNotAHandle) {
  mp::Connection a;
  mp::Connection b;
  std::tie(a, b) = mp::Pipe();
  a.send_bytes("not a handle");
  EXPECT_TRUE(mp::testing::throws_with<mp::ValueError>([&] { (void)b.recv_handle(); }, "not a handle"));
  a.send_bytes("next");
  EXPECT_EQ(b.recv_bytes(), "next") << "the connection goes on";
}

TEST(ConnectionHandles, OnlyAUnixSocketCarriesHandles) {
  mp::Connection r;
  mp::Connection w;
  std::tie(r, w) = mp::Pipe(false);
  EXPECT_TRUE(mp::testing::throws_with<mp::ValueError>([&] { w.send_handle(0); }, "only over a Unix socket"));
}

TEST(ConnectionHandles, UnclaimedHandlesAreClosedWithTheConnection) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  {
    auto [a, b] = mp::Pipe();
    a.send_handle(fds[1]);
    a.send_bytes("x");
    (void)b.recv_bytes();  // the handle's own message, taken as plain bytes: the descriptor stays unclaimed
    EXPECT_EQ(b.recv_bytes(), "x");
  }
  ::close(fds[1]);
  char c = 0;
  EXPECT_EQ(::read(fds[0], &c, 1), 0) << "no copy of the write end is left open: end of file";
  ::close(fds[0]);
}

}  // namespace
