// Lesson 01, exercise 2: spawn_and_wait (see spawn_and_wait.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 01
#include "spawn_and_wait.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <system_error>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp/error.hpp>
#include <mp/process.hpp>  // mp::SystemExit, thrown by mp::exit(n)

namespace lesson01 {

SpawnResult spawn_and_wait([[maybe_unused]] const std::function<int()>& fn,
                           [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 2): flush std::cout / stdio, then fork(). In the child: run fn
  //   (catch mp::SystemExit and every other exception), flush, and _exit(code).
  // TODO(task 2): in the parent, wait for THIS child only (waitpid(pid, ...)),
  //   without spinning, and at most `timeout` (make one mp::Deadline).
  // TODO(task 2): at the timeout: kill(pid, SIGKILL), reap it, set timed_out.
  //   Decode the wait status like Python: exit code, or -signal.
  throw mp::NotImplemented("01/task 2: spawn_and_wait() in exercises/01-processes/spawn_and_wait.cpp");
}

}  // namespace lesson01
