// Lesson 01, exercise 1: run_all (see run_all.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 01
#include "run_all.hpp"

#include <mp/error.hpp>
#include <mp/process.hpp>

namespace lesson01 {

std::vector<int> run_all([[maybe_unused]] const std::vector<std::function<void()>>& functions,
                         [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 1): make one mp::Process per function, and start() them ALL
  //   before you join any (otherwise they run one after the other).
  // TODO(task 1): make ONE mp::Deadline from `timeout`; join each process
  //   with what is left of it (join(Timeout) returns false when time ran out).
  // TODO(task 1): kill() and join() a process still running at the deadline;
  //   return the exit codes (p.exitcode()) in the order of `functions`.
  throw mp::NotImplemented("01/task 1: run_all() in exercises/01-processes/run_all.cpp");
}

}  // namespace lesson01
