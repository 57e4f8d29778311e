// Lesson 10, exercise 1: distributed_sum (see distributed_sum.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 10
#include "distributed_sum.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <mp/error.hpp>
#include <mp/tasks.hpp>

namespace lesson10 {

std::int64_t distributed_sum([[maybe_unused]] const std::string& broker_url,
                             [[maybe_unused]] const std::vector<std::int64_t>& numbers,
                             [[maybe_unused]] std::size_t chunk_size, [[maybe_unused]] int attempts,
                             [[maybe_unused]] std::chrono::milliseconds deadline) {
  // TODO(task 1): check the arguments; connect an mp::tasks::App to broker_url and take a
  //   typed handle on "lesson10.weigh" (a task of one argument, a vector of numbers).
  // TODO(task 2): cut the numbers into chunks and send them ALL (delay) before waiting
  //   for any; keep each chunk's AsyncResult and how many times it was sent.
  // TODO(task 3): read the results under ONE deadline (get(what is left of it)); on a
  //   mp::tasks::TaskError, send that chunk again while it has attempts left.
  throw mp::NotImplemented("10/task 1: distributed_sum() in exercises/10-task-queues/distributed_sum.cpp");
}

}  // namespace lesson10
