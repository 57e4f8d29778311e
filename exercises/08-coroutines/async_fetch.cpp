// Lesson 08, exercise 1: fetch_all (see async_fetch.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 08
#include "async_fetch.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <mp/aio.hpp>
#include <mp/error.hpp>

namespace lesson08 {

std::vector<std::string> fetch_all([[maybe_unused]] const std::vector<int>& ports,
                                   [[maybe_unused]] std::size_t max_concurrent,
                                   [[maybe_unused]] std::chrono::milliseconds deadline) {
  // TODO(task 1): a coroutine that fetches ONE line: connect (mp::aio::open_connection),
  //   write the request line, drain, readline, close and wait_closed; all of it while
  //   holding a unit of an mp::aio::Semaphore shared by every fetch.
  // TODO(task 2): a coroutine that starts one fetch per port as a task (a TaskGroup, or
  //   create_task + gather) and collects the lines in the order of `ports`.
  // TODO(task 3): check max_concurrent; run that coroutine under ONE deadline
  //   (mp::aio::timeout) with mp::aio::run.
  throw mp::NotImplemented("08/task 1: fetch_all() in exercises/08-coroutines/async_fetch.cpp");
}

}  // namespace lesson08
