#include "mp/process.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cxxabi.h>
#include <iostream>
#include <mutex>
#include <typeinfo>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <stdio_ext.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp/detail/syscall.hpp"

namespace mp {

namespace {

std::atomic<int> process_counter{0};

// Who we are. Written in the child right after fork, before anything else runs.
// Points at the running Process's name rather than copying it: every page a
// forked child writes costs a copy-on-write fault (~10 us here).
struct Self {
  const std::string* name = nullptr;
  bool daemon = false;
};
Self& self() {
  static Self s;
  return s;
}

// Live daemon children of this process, terminated at exit.
std::mutex daemons_mutex;
// Never destroyed: the atexit handler that reads it may run after static destructors.
std::vector<pid_t>& daemons() {
  static auto* v = new std::vector<pid_t>;
  return *v;
}

void terminate_daemons() {
  if (daemons().empty()) return;  // the common case, without writing to the mutex's page
  std::vector<pid_t> pids;
  {
    std::lock_guard lock(daemons_mutex);
    pids.swap(daemons());
  }
  for (pid_t pid : pids) ::kill(pid, SIGTERM);
  for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
}

void register_daemon(pid_t pid) {
  static const bool registered = [] { return std::atexit(terminate_daemons) == 0; }();
  (void)registered;
  std::lock_guard lock(daemons_mutex);
  daemons().push_back(pid);
}

void forget_daemon(pid_t pid) {
  std::lock_guard lock(daemons_mutex);
  auto& v = daemons();
  v.erase(std::remove(v.begin(), v.end(), pid), v.end());
}

// Flushes what the child printed, touching as little memory as possible:
// fflush takes the stream's lock, a write to a page shared copy-on-write with
// the parent, i.e. a page fault (~10 us on this kind of VM).
void flush_standard_streams() {
  std::cout.flush();  // a no-op write-through unless sync_with_stdio(false) was called
  if (__fpending(stdout) > 0) std::fflush(stdout);
  if (__fpending(stderr) > 0) std::fflush(stderr);
}

int decode_status(int status) {
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

std::string demangle(const char* mangled) {
  int rc = 0;
  std::unique_ptr<char, decltype(&std::free)> p(abi::__cxa_demangle(mangled, nullptr, nullptr, &rc), &std::free);
  return rc == 0 && p ? std::string(p.get()) : std::string(mangled);
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

} // namespace

Process::Process() : name_("Process-" + std::to_string(++process_counter)) {}

Process::Process(std::unique_ptr<Target> target) : Process() { target_ = std::move(target); }

Process::Process(Process&& other) noexcept
    : target_(std::move(other.target_)), name_(std::move(other.name_)), daemon_(other.daemon_),
      pid_(std::exchange(other.pid_, -1)), parent_(other.parent_), pidfd_(std::exchange(other.pidfd_, -1)),
      exitcode_(other.exitcode_) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    release();
    target_ = std::move(other.target_);
    name_ = std::move(other.name_);
    daemon_ = other.daemon_;
    pid_ = std::exchange(other.pid_, -1);
    parent_ = other.parent_;
    pidfd_ = std::exchange(other.pidfd_, -1);
    exitcode_ = other.exitcode_;
  }
  return *this;
}

Process::~Process() { release(); }

void Process::release() noexcept {
  if (pid_ > 0 && !exitcode_ && parent_ == ::getpid()) {
    if (daemon_) ::kill(pid_, SIGKILL);
    try {
      reap(true);
    } catch (...) {  // a destructor must not throw; the child is reaped below anyway
      ::waitpid(pid_, nullptr, 0);
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

void Process::start() {
  if (pid_ > 0) throw ProcessError("cannot start a process twice (" + name_ + ")");
  if (self().daemon) throw ProcessError("daemonic processes are not allowed to have children (Python's rule)");
  // Buffered output would be written twice, once by each process.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) detail::throw_errno("fork");
  if (pid == 0) {
    if (daemon_) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
    }
    run_child();
  }
  pid_ = pid;
  parent_ = parent;
  pidfd_ = open_pidfd(pid);
  if (daemon_) register_daemon(pid);
}

void Process::run_child() {
  self().name = &name_;
  self().daemon = daemon_;
  if (!daemons().empty()) daemons().clear();  // the parent's daemons are not ours (one thread here)
  int code = 0;
  try {
    run();
  } catch (const SystemExit& e) {
    code = e.code;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::fflush(stdout);
    std::fprintf(stderr, "Process %s:\n%s: %s\n", name_.c_str(), demangle(typeid(e).name()).c_str(), e.what());
    code = 1;
  } catch (...) {
    std::fprintf(stderr, "Process %s:\nan exception of unknown type ended the process\n", name_.c_str());
    code = 1;
  }
  // The child ends here: its stack below start() belongs to the parent's
  // program, and atexit handlers and static destructors are the parent's too.
  terminate_daemons();
  flush_standard_streams();
  ::_exit(code);
}

void Process::require_started(const char* what) const {
  if (pid_ <= 0) throw ProcessError(std::string("can only ") + what + " a started process (" + name_ + ")");
}

// Reaps the child if it has ended (or waits for it when `block`); true once reaped.
bool Process::reap(bool block) {
  if (exitcode_) return true;
  int status = 0;
  const pid_t r = detail::sys("waitpid", [&] { return ::waitpid(pid_, &status, block ? 0 : WNOHANG); });
  if (r == 0) return false;
  exitcode_ = decode_status(status);
  if (daemon_) forget_daemon(pid_);
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
  if (pid_ <= 0 || parent_ != ::getpid()) return false;
  return !reap(false);
}

std::optional<int> Process::exitcode() {
  if (pid_ > 0 && parent_ == ::getpid()) reap(false);
  return exitcode_;
}

std::optional<pid_t> Process::pid() const noexcept {
  if (pid_ <= 0) return std::nullopt;
  return pid_;
}

void Process::terminate() {
  require_started("terminate");
  if (!exitcode_ && parent_ == ::getpid()) ::kill(pid_, SIGTERM);
}

void Process::kill() {
  require_started("kill");
  if (!exitcode_ && parent_ == ::getpid()) ::kill(pid_, SIGKILL);
}

ProcessInfo current_process() {
  static const std::string main_name = "MainProcess";
  const std::string* name = self().name != nullptr ? self().name : &main_name;
  return ProcessInfo{*name, ::getpid(), self().daemon};
}

pid_t parent_pid() noexcept { return ::getppid(); }

int cpu_count() noexcept {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

} // namespace mp
