// Lesson 03, exercise 1: grep_count (see grep_count.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 03
#include "grep_count.hpp"

#include <string>
#include <vector>

#include <mp/connection.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>
#include <mp/wait.hpp>

namespace lesson03 {

LineCounts grep_count([[maybe_unused]] const std::vector<std::string>& lines,
                      [[maybe_unused]] const std::string& needle, [[maybe_unused]] int workers,
                      [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 1): check `workers`; for each worker make a simplex mp::Pipe(false)
  //   and an mp::Process that greps its share of the lines (every workers-th line,
  //   or a block) and sends its matches through the write end.
  // TODO(task 1): in the caller, close each write end right after starting its
  //   worker, then receive from whichever read end is ready (mp::wait, with what
  //   is left of one deadline) until each has raised mp::EOFError.
  // TODO(task 1): join the workers; a non-zero exit code is mp::ProcessError, the
  //   deadline mp::TimeoutError; on every error path kill and join the workers first.
  throw mp::NotImplemented("03/task 1: grep_count() in exercises/03-pipes/grep_count.cpp");
}

}  // namespace lesson03
