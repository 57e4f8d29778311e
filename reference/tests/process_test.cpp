// mp::Process: Python's Process examples, exit codes, misuse, signals, no zombies.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp/process.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using mp::testing::exit_zero_if_throws;
using mp::testing::scaled;

namespace {

void say_hello(const std::string& name) { std::cout << "hello " << name << '\n'; }

// Runs `body` with stdout (or stderr) redirected to a temporary file and
// returns what was written there, children's output included.
template <class Body>
std::string capture(int fd, Body body) {
  char path[] = "/tmp/mp_process_test_XXXXXX";
  const int tmp = ::mkstemp(path);
  ::unlink(path);
  std::cout.flush();
  std::fflush(nullptr);
  const int saved = ::dup(fd);
  ::dup2(tmp, fd);
  body();
  std::cout.flush();
  std::fflush(nullptr);
  ::dup2(saved, fd);
  ::close(saved);
  std::string out;
  char buf[4096];
  ::lseek(tmp, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(tmp, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(tmp);
  return out;
}

TEST(Process, HelloBob) {
  const std::string out = capture(STDOUT_FILENO, [] {
    mp::Process p(say_hello, std::string("bob"));
    p.start();
    ASSERT_TRUE(p.join(scaled(5s)));
    EXPECT_EQ(p.exitcode(), 0);
  });
  EXPECT_EQ(out, "hello bob\n");
}

TEST(Process, PidsAndNames) {
  mp::Process p([parent = ::getpid()] {
    const auto me = mp::current_process();
    if (mp::parent_pid() != parent) mp::exit(2);
    if (me.pid != ::getpid()) mp::exit(3);
    if (me.name != "worker") mp::exit(4);
  });
  EXPECT_EQ(mp::current_process().name, "MainProcess");
  EXPECT_FALSE(p.pid().has_value());
  EXPECT_FALSE(p.exitcode().has_value());
  p.set_name("worker");
  p.start();
  ASSERT_TRUE(p.pid().has_value());
  EXPECT_NE(*p.pid(), ::getpid());
  ASSERT_TRUE(p.join(scaled(5s)));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST(Process, DefaultNamesCount) {
  mp::Process a([] {});
  mp::Process b([] {});
  EXPECT_EQ(a.name().rfind("Process-", 0), 0U);
  EXPECT_NE(a.name(), b.name());
}

TEST(Process, ExitCodes) {
  mp::Process ok([] {});
  mp::Process code([] { mp::exit(7); });
  mp::Process raised([] { throw std::runtime_error("boom"); });
  ok.start();
  code.start();
  std::string err = capture(STDERR_FILENO, [&] {
    raised.start();
    ASSERT_TRUE(raised.join(scaled(5s)));
  });
  ASSERT_TRUE(ok.join(scaled(5s)));
  ASSERT_TRUE(code.join(scaled(5s)));
  EXPECT_EQ(ok.exitcode(), 0);
  EXPECT_EQ(code.exitcode(), 7);
  EXPECT_EQ(raised.exitcode(), 1);
  EXPECT_NE(err.find("std::runtime_error: boom"), std::string::npos) << err;
  EXPECT_NE(err.find(raised.name()), std::string::npos) << err;
}

TEST(Process, KilledBySignalGivesMinusSignal) {
  mp::Process p([] { ::pause(); });
  p.start();
  p.kill();
  ASSERT_TRUE(p.join(scaled(5s)));
  EXPECT_EQ(p.exitcode(), -SIGKILL);

  mp::Process q([] { ::pause(); });
  q.start();
  q.terminate();
  ASSERT_TRUE(q.join(scaled(5s)));
  EXPECT_EQ(q.exitcode(), -SIGTERM);
}

TEST(Process, SegfaultingChildIsReported) {
  mp::Process p([] { std::raise(SIGSEGV); });
  p.start();
  ASSERT_TRUE(p.join(scaled(5s)));
  EXPECT_EQ(p.exitcode(), -SIGSEGV);
}

TEST(Process, JoinWithTimeoutReturnsWhileChildRuns) {
  mp::Process p([] { ::pause(); });
  p.start();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(p.join(100ms));
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, scaled(1s));
  EXPECT_TRUE(p.is_alive());
  EXPECT_FALSE(p.exitcode().has_value());
  p.terminate();
  ASSERT_TRUE(p.join(scaled(5s)));
  EXPECT_FALSE(p.is_alive());
}

TEST(Process, Misuse) {
  mp::Process p([] {});
  EXPECT_THROW(p.join(), mp::ProcessError);
  EXPECT_THROW(p.terminate(), mp::ProcessError);
  p.start();
  EXPECT_THROW(p.start(), mp::ProcessError);
  EXPECT_THROW(p.set_daemon(true), mp::ProcessError);
  p.join();
  EXPECT_THROW(p.start(), mp::ProcessError);
}

TEST(Process, ChildCannotJoinItsSibling) {
  mp::Process sibling([] { ::pause(); });
  sibling.start();
  mp::Process p([&sibling] { exit_zero_if_throws<mp::ProcessError>([&] { sibling.join(); }); });
  p.start();
  ASSERT_TRUE(p.join(scaled(5s)));
  EXPECT_EQ(p.exitcode(), 0);
  sibling.kill();
}

TEST(Process, SubclassOverridesRun) {
  struct Worker : mp::Process {
    void run() override { mp::exit(5); }
  };
  Worker w;
  w.start();
  ASSERT_TRUE(w.join(scaled(5s)));
  EXPECT_EQ(w.exitcode(), 5);
}

TEST(Process, DestructorReapsFinishedAndRunningChildren) {
  pid_t finished = 0;
  pid_t daemon = 0;
  {
    mp::Process a([] {});
    a.start();
    finished = *a.pid();
    mp::Process d([] { ::pause(); });
    d.set_daemon(true);
    d.start();
    daemon = *d.pid();
  }  // a: joined; d: killed and reaped
  EXPECT_EQ(::waitpid(finished, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_EQ(::waitpid(daemon, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

// A daemon child must die with its parent, even when the parent is killed.
void parent_with_daemon() {
  int fds[2];
  if (::pipe(fds) != 0) ::_exit(10);
  mp::Process d([fd = fds[1]] {
    const pid_t me = ::getpid();
    (void)!::write(fd, &me, sizeof me);
    ::pause();
  });
  d.set_daemon(true);
  d.start();
  pid_t child = 0;
  if (::read(fds[0], &child, sizeof child) != sizeof child) ::_exit(11);
  // Tell the grandparent who the daemon is through stdout, then die hard.
  (void)!::write(STDOUT_FILENO, &child, sizeof child);
  ::kill(::getpid(), SIGKILL);
}

TEST(Process, DaemonDiesWithItsParent) {
  // Become the subreaper so the orphaned daemon is reparented to us and we can
  // wait for it (and reap it) instead of guessing when init does.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t mid = ::fork();
  if (mid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    parent_with_daemon();
    ::_exit(12);
  }
  ::close(out[1]);
  pid_t daemon = 0;
  const bool got = ::read(out[0], &daemon, sizeof daemon) == static_cast<ssize_t>(sizeof daemon);
  ::close(out[0]);
  ::waitpid(mid, nullptr, 0);
  ASSERT_TRUE(got);
  // PR_SET_PDEATHSIG delivers SIGTERM to the daemon when its parent dies.
  int status = 0;
  const auto until = std::chrono::steady_clock::now() + scaled(5s);
  pid_t r = 0;
  while ((r = ::waitpid(daemon, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(1ms);  // polling for the end of a process we cannot block on, not ordering
  }
  if (r == 0) {
    ::kill(daemon, SIGKILL);
    ::waitpid(daemon, nullptr, 0);
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  ASSERT_EQ(r, daemon) << "daemon child outlived its killed parent";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

TEST(Process, ManyChildrenAllReaped) {
  std::vector<mp::Process> procs;
  for (int i = 0; i < 20; ++i) procs.emplace_back([i] { mp::exit(i % 3); });
  for (auto& p : procs) p.start();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(procs[i].join(scaled(5s)));
    EXPECT_EQ(procs[i].exitcode(), i % 3);
  }
}

TEST(Process, CpuCountIsPositive) { EXPECT_GE(mp::cpu_count(), 1); }

} // namespace
