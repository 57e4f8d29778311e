// Lesson 01, exercise 2: spawn_and_wait (see spawn_and_wait.hpp for the contract).
// Reference solution.
#include "spawn_and_wait.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <system_error>

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp/error.hpp>
#include <mp/process.hpp>  // mp::SystemExit, thrown by mp::exit(n)

namespace lesson01 {

namespace {

[[noreturn]] void throw_errno(const char* call) {
  throw std::system_error(errno, std::generic_category(), call);
}

// The child's side: run fn, never return into the parent's code.
[[noreturn]] void run_child(const std::function<int()>& fn) {
  int code = 1;
  try {
    code = fn();
  } catch (const mp::SystemExit& e) {
    code = e.code;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::fprintf(stderr, "spawn_and_wait: the child's function threw: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "spawn_and_wait: the child's function threw an exception of unknown type\n");
  }
  // What the child printed is still in its buffers: _exit does not flush them.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  // _exit, not exit: atexit handlers and static destructors are the parent's.
  ::_exit(code & 0xff);
}

// Python's exitcode from a wait status.
int decode(int status) { return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status); }

// waitpid(pid) without WNOHANG, retried on EINTR.
int wait_blocking(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw_errno("waitpid");
  return status;
}

// Reaps `pid` if it has ended: true and `status` set; false while it runs.
bool try_reap(pid_t pid, int& status) {
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return true;
    if (r == 0) return false;
    if (errno != EINTR) throw_errno("waitpid");
  }
}

// A descriptor that becomes readable when `pid` ends (Linux >= 5.3), or -1.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

}  // namespace

SpawnResult spawn_and_wait(const std::function<int()>& fn, mp::Timeout timeout) {
  // Text still buffered here would be copied into the child and written twice.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) run_child(fn);

  SpawnResult result;
  result.pid = pid;
  if (timeout.is_forever()) {
    result.exitcode = decode(wait_blocking(pid));
    return result;
  }

  // Sleep in the kernel until the child ends or the deadline passes: poll()
  // on a pidfd wakes exactly when the child exits. waitpid(pid, WNOHANG)
  // before each sleep catches a child that ended already.
  const mp::Deadline deadline(timeout);
  const int pidfd = open_pidfd(pid);
  int status = 0;
  bool ended = false;
  try {
    while (!(ended = try_reap(pid, status)) && !deadline.expired()) {
      if (pidfd >= 0) {
        pollfd pfd{pidfd, POLLIN, 0};
        if (::poll(&pfd, 1, deadline.poll_ms()) < 0 && errno != EINTR) throw_errno("poll");
      } else {
        ::usleep(500);  // no pidfd (old kernel): check twice a millisecond
      }
    }
  } catch (...) {
    if (pidfd >= 0) ::close(pidfd);
    ::kill(pid, SIGKILL);
    (void)wait_blocking(pid);
    throw;
  }
  if (pidfd >= 0) ::close(pidfd);

  if (!ended) {
    ::kill(pid, SIGKILL);  // cannot be caught or ignored: the child dies now
    status = wait_blocking(pid);
    // Unless it ended by itself between the last check and the kill.
    result.timed_out = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }
  result.exitcode = decode(status);
  return result;
}

}  // namespace lesson01
