// mp::Process: Python's Process examples, exit codes, misuse, signals, no zombies.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
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

// stdout redirected to a file is fully buffered: what the parent printed
// before start() must come out once, not once more from the child's copy of
// the buffer; and what the child leaves in its buffers (printf, std::cout,
// std::clog) comes out when it ends.
TEST(Process, BufferedOutputIsWrittenOnceOnEachSide) {
  const std::string out = capture(STDOUT_FILENO, [] {
    std::printf("parent printf;");
    std::cout << "parent cout;";
    mp::Process p([] {
      std::printf("child printf;");
      std::cout << "child cout;";
    });
    p.start();
    ASSERT_TRUE(p.join(scaled(5s)));
    EXPECT_EQ(p.exitcode(), 0);
  });
  EXPECT_EQ(out, "parent printf;parent cout;child printf;child cout;");
  const std::string err = capture(STDERR_FILENO, [] {
    std::clog << "parent clog;";
    mp::Process p([] { std::clog << "child clog;"; });
    p.start();
    ASSERT_TRUE(p.join(scaled(5s)));
  });
  EXPECT_EQ(err, "parent clog;child clog;");
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
  // The daemon gets SIGTERM when its parent process dies (its lifeline pipe closes).
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

// Waits until the kernel has released thread `tid` of this process (its
// /proc entry goes then): by that time the thread's exit has reparented the
// children it forked, and sent them a PR_SET_PDEATHSIG signal if any was set.
// Polling, because a thread's release cannot be waited for otherwise.
bool thread_released(pid_t tid, std::chrono::milliseconds deadline) {
  const std::string path = "/proc/self/task/" + std::to_string(tid);
  const auto until = std::chrono::steady_clock::now() + scaled(deadline);
  while (::access(path.c_str(), F_OK) == 0) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);  // polling for an event we cannot block on, not ordering
  }
  return true;
}

// A daemon that answers each byte sent on `request` with the byte + 1 on
// `reply`, until `request` reaches EOF.
struct EchoDaemon {
  int request[2] = {-1, -1};
  int reply[2] = {-1, -1};
  mp::Process process{[this] {
    ::close(request[1]);
    ::close(reply[0]);
    for (char c = 0; ::read(request[0], &c, 1) == 1;) {
      ++c;
      if (::write(reply[1], &c, 1) != 1) mp::exit(2);
    }
  }};

  EchoDaemon() {
    if (::pipe2(request, O_CLOEXEC) != 0 || ::pipe2(reply, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    process.set_daemon(true);
  }
  ~EchoDaemon() {
    for (int fd : {request[0], request[1], reply[0], reply[1]})
      if (fd >= 0) ::close(fd);
  }
  EchoDaemon(const EchoDaemon&) = delete;
  EchoDaemon& operator=(const EchoDaemon&) = delete;

  // Starts the daemon from a std::thread that waits for the daemon's first
  // answer (so the daemon is running its target: whatever it set up at start
  // is in place) and then ends; waits until the kernel has released that
  // thread. Returns false when the daemon did not answer or the thread was
  // not released in time.
  bool start_from_a_thread_that_ends() {
    pid_t tid = 0;
    bool answered = false;
    std::thread t([&] {
      tid = static_cast<pid_t>(::gettid());
      process.start();
      ::close(std::exchange(request[0], -1));  // the daemon's ends: only it holds them now
      ::close(std::exchange(reply[1], -1));
      answered = answers('0');
    });
    t.join();
    return answered && thread_released(tid, 5000ms);
  }

  // One round trip: whether the daemon is alive and answers within the deadline.
  bool answers(char c) {
    if (::write(request[1], &c, 1) != 1) return false;
    pollfd p{reply[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(scaled(5s).count())) != 1) return false;
    char got = 0;
    return ::read(reply[0], &got, 1) == 1 && got == c + 1;
  }
};

// Issue 8: PR_SET_PDEATHSIG fires when the *thread* that forked the child
// ends, not the process: a daemon started from a short-lived thread (a Pool
// made in a worker thread) was killed with it. It must outlive its thread.
TEST(Process, DaemonOutlivesTheThreadThatStartedIt) {
  EchoDaemon d;
  ASSERT_TRUE(d.start_from_a_thread_that_ends()) << "the thread was not released in time";
  EXPECT_TRUE(d.process.is_alive()) << "the daemon died with the thread that started it";
  EXPECT_TRUE(d.answers('a')) << "the daemon does not answer after its starting thread ended";
  EXPECT_TRUE(d.answers('x'));
  ::close(std::exchange(d.request[1], -1));  // EOF: the daemon returns
  ASSERT_TRUE(d.process.join(scaled(5s)));
  EXPECT_EQ(d.process.exitcode(), 0);
}

// The intermediate process of the next test: starts an echo daemon from a
// thread that ends, checks that the daemon lives on, reports the daemon's pid
// on stdout and dies by SIGKILL (no atexit handler, no destructor runs).
void parent_with_daemon_started_by_a_thread() {
  EchoDaemon d;
  if (!d.start_from_a_thread_that_ends()) ::_exit(10);  // no answer, or the thread lives on
  if (!d.answers('a')) ::_exit(11);                     // the daemon died with its thread
  const pid_t daemon = *d.process.pid();
  (void)!::write(STDOUT_FILENO, &daemon, sizeof daemon);
  ::kill(::getpid(), SIGKILL);
}

// ... and a daemon started from a thread must still die with its parent *process*.
TEST(Process, DaemonStartedByAnEndedThreadStillDiesWithItsParent) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);  // the orphaned daemon becomes our child
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t mid = ::fork();
  if (mid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    parent_with_daemon_started_by_a_thread();
    ::_exit(12);
  }
  ::close(out[1]);
  pid_t daemon = 0;
  const bool got = ::read(out[0], &daemon, sizeof daemon) == static_cast<ssize_t>(sizeof daemon);
  ::close(out[0]);
  int mid_status = 0;
  ::waitpid(mid, &mid_status, 0);
  if (!got) {
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    FAIL() << "the intermediate process failed: exit code "
           << (WIFEXITED(mid_status) ? WEXITSTATUS(mid_status) : -WTERMSIG(mid_status))
           << " (11: the daemon died with the thread that started it)";
  }
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
  ASSERT_EQ(r, daemon) << "the daemon outlived its killed parent";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

TEST(Process, SentinelBeforeStartRaisesValueError) {
  mp::Process p([] {});
  EXPECT_TRUE(mp::testing::throws_with<mp::ValueError>([&] { (void)p.sentinel(); }, "process not started"));
  p.start();
  EXPECT_GE(p.sentinel(), 0);
  mp::testing::expect_joined_ok(p);
}

// Python's close(): refused while the child runs; afterwards the object is unusable.
TEST(Process, CloseRefusedWhileRunningThenEveryUseRaisesValueError) {
  mp::Process p([] { ::pause(); });
  p.start();
  EXPECT_TRUE(mp::testing::throws_with<mp::ValueError>([&] { p.close(); }, "still running"));
  EXPECT_FALSE(p.closed());
  EXPECT_TRUE(p.is_alive()) << "a refused close() must leave the process alone";
  p.terminate();
  ASSERT_TRUE(p.join(scaled(5s)));
  const int sentinel = p.sentinel();
  p.close();
  EXPECT_TRUE(p.closed());
  EXPECT_EQ(::fcntl(sentinel, F_GETFD), -1) << "close() must release the sentinel descriptor";
  using mp::testing::throws_with;
  const char* closed = "process object is closed";
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { p.start(); }, closed));
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { p.join(); }, closed));
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { (void)p.join(1ms); }, closed));
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { (void)p.is_alive(); }, closed));
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { (void)p.exitcode(); }, closed));
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { (void)p.pid(); }, closed));
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { (void)p.sentinel(); }, closed));
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { p.terminate(); }, closed));
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { p.kill(); }, closed));
  EXPECT_FALSE(p.name().empty()) << "the name stays readable, as in Python";
  EXPECT_NO_THROW(p.close()) << "closing twice does nothing";

  mp::Process never_started([] {});
  never_started.close();
  EXPECT_TRUE(throws_with<mp::ValueError>([&] { never_started.start(); }, closed));
}

// close() releases the target and what it holds, as Python drops the object's resources.
TEST(Process, CloseReleasesTheTarget) {
  auto held = std::make_shared<int>(7);
  mp::Process p([held] { mp::exit(*held == 7 ? 0 : 1); });
  p.start();
  mp::testing::expect_joined_ok(p);
  EXPECT_EQ(held.use_count(), 2);
  p.close();
  EXPECT_EQ(held.use_count(), 1);
}

bool contains(const std::vector<mp::Process*>& v, const mp::Process* p) {
  return std::find(v.begin(), v.end(), p) != v.end();
}

// Python's active_children(): the running children, joining those that ended.
TEST(Process, ActiveChildrenListsRunningChildrenAndJoinsEndedOnes) {
  EXPECT_TRUE(mp::active_children().empty());
  mp::Process sleeper([] { ::pause(); });
  mp::Process daemon([] { ::pause(); });
  daemon.set_daemon(true);
  mp::Process quick([] { mp::exit(3); });
  mp::Process not_started([] {});
  mp::Process moved([] {});
  // Should a check throw, the destructors would wait for the sleeper forever: kill first.
  struct KillOnExit {
    std::vector<mp::Process*> ps;
    ~KillOnExit() {
      for (mp::Process* p : ps) {
        try {
          p->kill();
        } catch (const mp::Error&) {  // never started, or moved from
        }
      }
    }
  } guard{{&sleeper, &daemon, &moved}};
  sleeper.start();
  daemon.start();
  quick.start();
  const pid_t quick_pid = *quick.pid();
  // Wait for quick's end without reaping it: its sentinel becomes readable.
  pollfd pfd{quick.sentinel(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, static_cast<int>(scaled(5s).count())), 1);

  std::vector<mp::Process*> active = mp::active_children();
  EXPECT_EQ(active.size(), 2U);
  EXPECT_TRUE(contains(active, &sleeper));
  EXPECT_TRUE(contains(active, &daemon));
  EXPECT_FALSE(contains(active, &quick)) << "an ended child is not active";
  EXPECT_FALSE(contains(active, &not_started));
  // Joined by active_children(): no zombie left, and its object knows how it ended.
  EXPECT_EQ(::waitpid(quick_pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_FALSE(quick.is_alive());
  EXPECT_EQ(quick.exitcode(), 3);
  EXPECT_TRUE(quick.join(scaled(1s)));

  // A moved Process is listed under its new address.
  moved = std::move(sleeper);
  active = mp::active_children();
  EXPECT_TRUE(contains(active, &moved));
  EXPECT_FALSE(contains(active, &sleeper));

  // In a child, the parent's children are not its own.
  mp::Process child([] { mp::testing::require(mp::active_children().empty(), 2); });
  child.start();
  mp::testing::expect_joined_ok(child);

  for (mp::Process* p : mp::active_children()) p->terminate();
  ASSERT_TRUE(moved.join(scaled(5s)));
  ASSERT_TRUE(daemon.join(scaled(5s)));
  EXPECT_EQ(moved.exitcode(), -SIGTERM);
  EXPECT_TRUE(mp::active_children().empty());
}

TEST(Process, ParentProcessIsNoneInTheMainProcess) { EXPECT_FALSE(mp::parent_process().has_value()); }

// Python's parent_process(): name and pid of the parent; is_alive(); join(timeout).
TEST(Process, ParentProcessDescribesAndWaitsForTheParent) {
  mp::Process p([parent = ::getpid()] {
    using mp::testing::require;
    const auto me = mp::parent_process();
    require(me.has_value(), 2);
    require(me->pid() == parent, 3);
    require(me->name() == "MainProcess", 4);
    require(me->is_alive(), 5);
    require(!me->join(10ms), 6);  // the parent waits for us: it cannot end first
  });
  p.start();
  mp::testing::expect_joined_ok(p);
}

// A grandchild sees its parent by name, and join() returns when that parent
// ends (here: the middle process ends while the grandchild waits for it).
TEST(Process, ParentProcessJoinReturnsWhenTheParentEnds) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);  // the orphaned grandchild becomes our child
  int report[2];
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  mp::Process middle([&] {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) mp::exit(2);
    mp::Process grandchild([&] {
      ::close(ready[0]);
      auto parent = mp::parent_process();
      char result = 'a';  // 'a': all well
      if (!parent || parent->name() != "middle" || !parent->is_alive()) result = 'n';
      (void)!::write(ready[1], "r", 1);  // the parent may end now
      ::close(ready[1]);
      if (result == 'a' && !parent->join(scaled(5s))) result = 'j';
      if (result == 'a' && parent->is_alive()) result = 'l';
      (void)!::write(report[1], &result, 1);
    });
    grandchild.start();
    ::close(ready[1]);
    char r = 0;
    if (::read(ready[0], &r, 1) != 1) mp::exit(3);
    ::_exit(0);  // ends without joining the grandchild (no destructor runs)
  });
  middle.set_name("middle");
  middle.start();
  ::close(report[1]);
  mp::testing::expect_joined_ok(middle);
  pollfd pfd{report[0], POLLIN, 0};
  char result = 0;
  const bool got =
      ::poll(&pfd, 1, static_cast<int>(scaled(10s).count())) == 1 && ::read(report[0], &result, 1) == 1;
  ::close(report[0]);
  // Reap the grandchild, reparented to us.
  const auto until = std::chrono::steady_clock::now() + scaled(5s);
  while (::waitpid(-1, nullptr, WNOHANG) == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(1ms);  // polling for the end of a process we cannot block on, not ordering
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  ASSERT_TRUE(got) << "the grandchild did not report";
  EXPECT_EQ(result, 'a') << "n: wrong name or not alive; j: join timed out; l: alive after join";
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

}  // namespace
