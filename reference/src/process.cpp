#include "mp/process.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <typeinfo>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <stdio_ext.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp/detail/demangle.hpp"
#include "mp/detail/schedule_point.hpp"
#include "mp/detail/syscall.hpp"
#include "mp/error.hpp"
#include "mp/trace.hpp"

namespace mp {

namespace {

std::atomic<int> process_counter{0};  // this process's children so far (Python's _process_counter)
// See detail::child_identity_prefix(); in a function, so that a Process made by another
// file's static initializer finds it constructed.
std::string& identity_prefix() {
  static std::string prefix;
  return prefix;
}

// A child started here that its Process object has not reaped yet.
struct Child {
  Process* process;  // the object that reaps it (follows moves)
  pid_t pid;
  int lifeline;  // a daemon's: the write end of its lifeline pipe (see start()); else -1
};

// A child that active_children() (or the atexit handler) reaped for its
// Process object, which takes the status on its next call.
struct Reaped {
  pid_t pid;
  int status;
};

// What this process knows of itself and of its children, in one object, so
// that a forked child writes to few pages: every page a child writes costs a
// copy-on-write fault (~10 us here).
struct State {
  // Who we are, written in the child right after fork. Points at the running
  // Process's name rather than copying it.
  const std::string* name = nullptr;
  bool daemon = false;
  // Our parent, when we are an mp::Process child (parent_pid 0: the main process).
  pid_t parent_pid = 0;
  const std::string* parent_name = nullptr;  // nullptr: "MainProcess"
  int parent_pidfd = -2;                     // opened on the first parent_process(); -2: not yet; -1: none

  std::mutex mutex;  // guards the two lists below; held across fork() in start()
  std::vector<Child> children;
  std::vector<Reaped> reaped;
  std::atomic<std::size_t> reaped_count{0};  // reaped.size(), read without the lock as a hint
};

// Never destroyed: the atexit handler that reads it may run after static destructors.
State& state() {
  static auto* s = new State;
  return *s;
}

// Reaps every daemon child still running, at the parent's exit: SIGTERM, then
// wait (Python's atexit handler does the same). Their Process objects, if any
// are destroyed later, find the status in `reaped`.
void terminate_daemons() {
  State& st = state();
  std::lock_guard lock(st.mutex);
  if (st.children.empty()) return;
  std::vector<pid_t> pids;
  for (const Child& c : st.children) {
    if (c.lifeline < 0) continue;  // not a daemon
    const bool already =
        std::any_of(st.reaped.begin(), st.reaped.end(), [&](const Reaped& r) { return r.pid == c.pid; });
    if (!already) pids.push_back(c.pid);
  }
  for (pid_t pid : pids) ::kill(pid, SIGTERM);
  for (pid_t pid : pids) {
    int status = 0;
    if (detail::sys_nothrow([&] { return ::waitpid(pid, &status, 0); }) == pid)
      st.reaped.push_back({pid, status});
  }
  st.reaped_count.store(st.reaped.size(), std::memory_order_relaxed);
}

// Takes the status that active_children() or terminate_daemons() reaped for
// `pid`, if any. Cheap when there is none (the common case).
bool take_reaped(pid_t pid, int& status) {
  State& st = state();
  if (st.reaped_count.load(std::memory_order_relaxed) == 0) return false;
  std::lock_guard lock(st.mutex);
  for (auto it = st.reaped.begin(); it != st.reaped.end(); ++it) {
    if (it->pid != pid) continue;
    status = it->status;
    st.reaped.erase(it);
    st.reaped_count.store(st.reaped.size(), std::memory_order_relaxed);
    return true;
  }
  return false;
}

// Removes `process`'s entry once it has reaped its child: closes the lifeline.
void forget_child(const Process* process, pid_t pid) noexcept {
  State& st = state();
  std::lock_guard lock(st.mutex);
  auto& v = st.children;
  const auto it =
      std::find_if(v.begin(), v.end(), [&](const Child& c) { return c.process == process && c.pid == pid; });
  if (it == v.end()) return;
  if (it->lifeline >= 0) ::close(it->lifeline);
  v.erase(it);
}

// The child's entry follows its Process object when the object moves.
void move_child(const Process* from, Process* to, pid_t pid) noexcept {
  State& st = state();
  std::lock_guard lock(st.mutex);
  for (Child& c : st.children)
    if (c.process == from && c.pid == pid) c.process = to;
}

// In a daemon child: die (SIGTERM, as PR_SET_PDEATHSIG would send) when the
// parent *process* ends. The parent holds the only write end of the lifeline
// pipe; when the last writer closes, the kernel signals the read end's owner
// (O_ASYNC, with F_SETSIG choosing the signal). PR_SET_PDEATHSIG instead
// fires when the parent *thread* that forked us exits.
void watch_lifeline(int read_end) {
  f_owner_ex owner{F_OWNER_PID, ::getpid()};
  const int flags = ::fcntl(read_end, F_GETFL);
  const bool armed = ::fcntl(read_end, F_SETOWN_EX, &owner) == 0 &&
                     ::fcntl(read_end, F_SETSIG, SIGTERM) == 0 && flags >= 0 &&
                     ::fcntl(read_end, F_SETFL, flags | O_ASYNC) == 0;
  if (!armed) ::_exit(1);  // cannot watch the parent: do not risk outliving it
  // The parent may have ended before O_ASYNC was set: then no signal comes.
  pollfd p{read_end, POLLIN, 0};
  if (detail::sys_nothrow([&] { return ::poll(&p, 1, 0); }) == 1 && (p.revents & POLLHUP) != 0)
    ::kill(::getpid(), SIGTERM);
}

// std::cout's buffer as the program started: libstdc++'s write-through to
// stdout, which buffers nothing of its own. sync_with_stdio(false) or a
// redirection (rdbuf) replaces it, and then std::cout must be flushed itself.
std::streambuf* const write_through_cout = std::cout.rdbuf();

// Flushes what is pending in the standard streams (what Python flushes
// around a fork: sys.stdout and sys.stderr), touching as little as possible:
// around a fork every page written and every code page run costs a page
// fault (~1 us on this kind of VM), and fflush takes the stream's lock even
// when nothing is pending; __fpending only reads. std::cerr is unit-buffered
// (it never holds anything), std::clog writes through to stderr.
void flush_standard_streams() {
  if (std::cout.rdbuf() != write_through_cout) std::cout.flush();
  if (__fpending(stdout) > 0) std::fflush(stdout);
  if (__fpending(stderr) > 0) std::fflush(stderr);
}

int decode_status(int status) {
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#endif
  return -1;  // old kernel: join(timeout) falls back to polling
}

}  // namespace

const std::string& detail::child_identity_prefix() noexcept { return identity_prefix(); }

Process::Process()
    : identity_(identity_prefix() + std::to_string(++process_counter)), name_("Process-" + identity_) {}

Process::Process(std::unique_ptr<Target> target) : Process() { target_ = std::move(target); }

Process::Process(Process&& other) noexcept
    : target_(std::move(other.target_)),
      identity_(std::move(other.identity_)),
      name_(std::move(other.name_)),
      daemon_(other.daemon_),
      closed_(other.closed_),
      pid_(std::exchange(other.pid_, -1)),
      parent_(other.parent_),
      pidfd_(std::exchange(other.pidfd_, -1)),
      exitcode_(other.exitcode_) {
  if (pid_ > 0 && !exitcode_ && parent_ == ::getpid()) move_child(&other, this, pid_);
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    release();
    target_ = std::move(other.target_);
    identity_ = std::move(other.identity_);
    name_ = std::move(other.name_);
    daemon_ = other.daemon_;
    closed_ = other.closed_;
    pid_ = std::exchange(other.pid_, -1);
    parent_ = other.parent_;
    pidfd_ = std::exchange(other.pidfd_, -1);
    exitcode_ = other.exitcode_;
    if (pid_ > 0 && !exitcode_ && parent_ == ::getpid()) move_child(&other, this, pid_);
  }
  return *this;
}

Process::~Process() { release(); }

void Process::release() noexcept {
  if (pid_ > 0 && !exitcode_ && parent_ == ::getpid()) {
    try {
      // Not a kill first: active_children() may have reaped it, and its pid is free.
      if (!reap(false) && daemon_) ::kill(pid_, SIGKILL);
      reap(true);
    } catch (...) {  // a destructor must not throw; the child is reaped below anyway
      ::waitpid(pid_, nullptr, 0);
      forget_child(this, pid_);
    }
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
}

void Process::run() {
  if (target_) (*target_)();
}

void Process::set_daemon(bool daemon) {
  if (pid_ > 0) throw ProcessError("set_daemon: process " + name_ + " has already been started");
  daemon_ = daemon;
}

void Process::require_open() const {
  if (closed_) throw ValueError("process object is closed (" + name_ + ")");
}

void Process::start() {
  require_open();
  if (pid_ > 0) throw ProcessError("cannot start a process twice (" + name_ + ")");
  if (state().daemon)
    throw ProcessError("daemonic processes are not allowed to have children (Python's rule)");
  // Buffered output would be written twice, once by each process.
  flush_standard_streams();
  State& st = state();
  // Held across fork: the child's copy of the list is whole, and every
  // lifeline write end that exists is in it (the child closes them all, so a
  // daemon's lifeline is held by its parent process alone).
  std::unique_lock lock(st.mutex);
  st.children.reserve(st.children.size() + 1);  // no allocation (no failure) after the fork
  int lifeline[2] = {-1, -1};
  if (daemon_ && ::pipe2(lifeline, O_CLOEXEC) != 0) detail::throw_errno("pipe2");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    for (int fd : lifeline)
      if (fd >= 0) ::close(fd);
    errno = err;
    detail::throw_errno("fork");
  }
  if (pid == 0) {
    lock.unlock();  // the child's copy: this thread, the only one here, held it
    detail::reach_schedule_point("process.forked");
    run_child(parent, lifeline[0], lifeline[1]);
  }
  if (daemon_) ::close(lifeline[0]);
  st.children.push_back(Child{this, pid, lifeline[1]});
  lock.unlock();
  pid_ = pid;
  parent_ = parent;
  pidfd_ = open_pidfd(pid);
  if (trace::enabled()) trace::name_process(name_, pid);  // its row has a name even if it is killed at once
  detail::reach_schedule_point("process.forked");
  if (daemon_) {
    static const bool registered = [] { return std::atexit(terminate_daemons) == 0; }();
    (void)registered;
  }
}

void Process::run_child(pid_t parent, int lifeline_read, int lifeline_write) {
  State& st = state();
  // The parent's children are not ours (one thread here): their lifelines
  // must stay with the parent alone.
  if (!st.children.empty()) {
    for (const Child& c : st.children)
      if (c.lifeline >= 0) ::close(c.lifeline);
    st.children.clear();
  }
  if (!st.reaped.empty()) {
    st.reaped.clear();
    st.reaped_count.store(0, std::memory_order_relaxed);
  }
  if (st.parent_pidfd >= 0) ::close(st.parent_pidfd);  // our grandparent's
  st.parent_pidfd = -2;
  st.parent_pid = parent;
  st.parent_name = st.name;
  st.name = &name_;
  identity_prefix() = identity_ + ":";  // our children: Process-1:1, ... (Python resets the counter so)
  process_counter.store(0, std::memory_order_relaxed);
  st.daemon = daemon_;
  if (daemon_) {
    ::close(lifeline_write);
    watch_lifeline(lifeline_read);  // kept open (close-on-exec) for the life of the daemon
  }
  const std::int64_t traced_from = trace::enabled() ? trace::now_ns() : 0;
  if (traced_from != 0) trace::name_process(name_);
  int code = 0;
  try {
    run();
  } catch (const SystemExit& e) {
    code = e.code;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::fflush(stdout);
    std::fprintf(stderr, "Process %s:\n%s: %s\n", name_.c_str(), detail::demangle(typeid(e).name()).c_str(),
                 e.what());
    code = 1;
  } catch (...) {
    std::fprintf(stderr, "Process %s:\nan exception of unknown type ended the process\n", name_.c_str());
    code = 1;
  }
  // The child ends here: its stack below start() belongs to the parent's
  // program, and atexit handlers and static destructors are the parent's too.
  terminate_daemons();
  flush_standard_streams();
  if (traced_from != 0) {
    trace::complete(name_, "process", traced_from, trace::now_ns(), "\"exitcode\":" + std::to_string(code));
    (void)trace::finish();  // writes this child's part: _exit runs no atexit handler
  }
  ::_exit(code);
}

void Process::require_started(const char* what) const {
  require_open();
  if (pid_ <= 0) throw ProcessError(std::string("can only ") + what + " a started process (" + name_ + ")");
}

// Reaps the child if it has ended (or waits for it when `block`); true once reaped.
bool Process::reap(bool block) {
  if (exitcode_) return true;
  int status = 0;
  if (!take_reaped(pid_, status)) {
    const pid_t r = detail::sys_nothrow([&] { return ::waitpid(pid_, &status, block ? 0 : WNOHANG); });
    if (r == 0) return false;
    // ECHILD: active_children() reaped it in another thread since take_reaped().
    if (r < 0 && !(errno == ECHILD && take_reaped(pid_, status))) detail::throw_errno("waitpid");
  }
  exitcode_ = decode_status(status);
  forget_child(this, pid_);
  return true;
}

void Process::join() {
  require_started("join");
  if (parent_ != ::getpid()) throw ProcessError("can only join a child process (" + name_ + ")");
  reap(true);
}

bool Process::join(Timeout timeout) {
  require_started("join");
  if (parent_ != ::getpid()) throw ProcessError("can only join a child process (" + name_ + ")");
  if (timeout.is_forever()) return reap(true);
  const Deadline deadline(timeout);
  while (!reap(false)) {
    if (deadline.expired()) return false;
    if (pidfd_ >= 0) {
      pollfd pfd{pidfd_, POLLIN, 0};
      detail::sys_nothrow([&] { return ::poll(&pfd, 1, deadline.poll_ms()); });
    } else {
      ::usleep(1000);  // no pidfd (kernel < 5.3): poll the child's state every ms
    }
  }
  return true;
}

bool Process::is_alive() {
  require_open();
  if (pid_ <= 0 || parent_ != ::getpid()) return false;
  return !reap(false);
}

std::optional<int> Process::exitcode() {
  require_open();
  if (pid_ > 0 && parent_ == ::getpid()) reap(false);
  return exitcode_;
}

std::optional<pid_t> Process::pid() const {
  require_open();
  if (pid_ <= 0) return std::nullopt;
  return pid_;
}

int Process::sentinel() const {
  require_open();
  if (pid_ <= 0) throw ValueError("process not started (" + name_ + "): it has no sentinel yet");
  return pidfd_;
}

void Process::terminate() {
  require_started("terminate");
  if (parent_ == ::getpid() && !reap(false)) ::kill(pid_, SIGTERM);
}

void Process::kill() {
  require_started("kill");
  if (parent_ == ::getpid() && !reap(false)) ::kill(pid_, SIGKILL);
}

void Process::close() {
  if (closed_) return;
  if (pid_ > 0 && parent_ == ::getpid() && !reap(false))
    throw ValueError("Cannot close a process while it is still running (" + name_ +
                     "). You should first call join() or terminate().");
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  target_.reset();  // what the target holds is released now, as Python drops the object's resources
  closed_ = true;
}

std::vector<Process*> active_children() {
  State& st = state();
  std::vector<Process*> out;
  std::lock_guard lock(st.mutex);
  out.reserve(st.children.size());
  for (const Child& c : st.children) {
    if (std::any_of(st.reaped.begin(), st.reaped.end(), [&](const Reaped& r) { return r.pid == c.pid; }))
      continue;
    int status = 0;
    const pid_t r = detail::sys_nothrow([&] { return ::waitpid(c.pid, &status, WNOHANG); });
    if (r == 0) {
      out.push_back(c.process);
    } else if (r == c.pid) {
      // Ended: joined now, as Python does; its object takes the status on its next call.
      st.reaped.push_back({c.pid, status});
      st.reaped_count.store(st.reaped.size(), std::memory_order_relaxed);
    }  // r < 0: its own object reaped it meanwhile and is about to forget it
  }
  return out;
}

ProcessInfo current_process() {
  static const std::string main_name = "MainProcess";
  const State& st = state();
  const std::string* name = st.name != nullptr ? st.name : &main_name;
  return ProcessInfo{*name, ::getpid(), st.daemon};
}

std::optional<ParentProcess> parent_process() {
  State& st = state();
  if (st.parent_pid == 0) return std::nullopt;
  int fd = -1;
  {
    std::lock_guard lock(st.mutex);
    if (st.parent_pidfd == -2) {
      st.parent_pidfd = open_pidfd(st.parent_pid);
      // Still our parent after the open: then the pidfd is our parent's, not
      // that of a process that reused the pid of a parent already gone.
      if (st.parent_pidfd >= 0 && ::getppid() != st.parent_pid) {
        ::close(st.parent_pidfd);
        st.parent_pidfd = -1;
      }
    }
    fd = st.parent_pidfd;
  }
  return ParentProcess(st.parent_name != nullptr ? *st.parent_name : std::string("MainProcess"),
                       st.parent_pid, fd);
}

bool ParentProcess::is_alive() const noexcept {
  // Our parent's children are handed to another process as soon as it exits.
  return ::getppid() == pid_;
}

void ParentProcess::join() const { (void)join(Timeout::forever()); }

bool ParentProcess::join(Timeout timeout) const {
  const Deadline deadline(timeout);
  while (is_alive()) {
    if (deadline.expired()) return false;
    if (sentinel_ >= 0) {
      pollfd pfd{sentinel_, POLLIN, 0};
      detail::sys_nothrow([&] { return ::poll(&pfd, 1, deadline.poll_ms()); });
    } else {
      ::usleep(1000);  // no pidfd (kernel < 5.3, or the parent was gone already): poll every ms
    }
  }
  return true;
}

pid_t parent_pid() noexcept { return ::getppid(); }

int cpu_count() noexcept {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace mp
