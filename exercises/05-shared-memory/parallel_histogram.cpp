// Lesson 05, exercise 1: parallel_histogram (see parallel_histogram.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 05
#include "parallel_histogram.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <mp/array.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>

namespace lesson05 {

Histogram parallel_histogram([[maybe_unused]] const mp::RawArray<std::uint32_t>& data,
                             [[maybe_unused]] std::size_t bins, [[maybe_unused]] int workers,
                             [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 1): check `bins` and `workers` (mp::ValueError); make the
  //   shared memory the workers leave their counts in (before any start()).
  // TODO(task 1): the worker: count its slice of `data` into counts of its
  //   own (a private std::vector), then copy them into its row once.
  // TODO(task 1): the caller: start every worker, then join them with what
  //   is left of ONE mp::Deadline; a worker still running at the deadline
  //   means mp::TimeoutError, one with a non-zero exitcode() mp::ProcessError
  //   (kill and join the workers before you throw). Then add up the rows.
  throw mp::NotImplemented(
      "05/task 1: parallel_histogram() in exercises/05-shared-memory/parallel_histogram.cpp");
}

}  // namespace lesson05
