// Lesson 02, exercise 1: word_count (see word_count.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 02
#include "word_count.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <mp/error.hpp>
#include <mp/process.hpp>
#include <mp/queue.hpp>

namespace lesson02 {

WordCounts word_count([[maybe_unused]] const std::vector<std::string>& documents,
                      [[maybe_unused]] int workers, [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 1): check `workers`; make a task queue and a result queue
  //   (mp::Queue) and `workers` mp::Process running a worker function.
  // TODO(task 1): the worker: get tasks until a sentinel, count_words() into
  //   its own WordCounts, put them into the result queue once at the end.
  // TODO(task 1): the caller: put the tasks, one sentinel per worker, then
  //   get and merge `workers` results. Wait in short slices (get with a
  //   timeout) and check the workers' exitcode() in between: a dead worker
  //   means mp::ProcessError, the deadline mp::TimeoutError, and in both
  //   cases kill and join the workers before you throw.
  throw mp::NotImplemented("02/task 1: word_count() in exercises/02-queues/word_count.cpp");
}

}  // namespace lesson02
