// Lesson 10, exercise 2: a tiny worker (see tiny_worker.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 10
#include "tiny_worker.hpp"

#include <chrono>
#include <cstddef>
#include <string>

#include <mp/error.hpp>
#include <mp/tasks/redis.hpp>

namespace lesson10 {

bool work_one([[maybe_unused]] mp::tasks::Redis& redis, [[maybe_unused]] const TinyQueueKeys& keys,
              [[maybe_unused]] const Handler& handler, [[maybe_unused]] std::chrono::milliseconds wait) {
  // TODO(task 1): BLMOVE the oldest message from the queue onto the processing list
  //   (seconds as a decimal string); a nil reply: nothing came.
  // TODO(task 2): run the handler, HSET its result, THEN LREM the message from processing.
  throw mp::NotImplemented("10/task 1: work_one() in exercises/10-task-queues/tiny_worker.cpp");
}

std::size_t run_tiny_worker([[maybe_unused]] const std::string& url,
                            [[maybe_unused]] const TinyQueueKeys& keys,
                            [[maybe_unused]] const Handler& handler,
                            [[maybe_unused]] std::chrono::milliseconds idle) {
  // TODO(task 3): one connection, work_one until it returns false; count.
  throw mp::NotImplemented("10/task 3: run_tiny_worker() in exercises/10-task-queues/tiny_worker.cpp");
}

std::size_t recover([[maybe_unused]] mp::tasks::Redis& redis, [[maybe_unused]] const TinyQueueKeys& keys) {
  // TODO(task 4): LMOVE processing -> queue (RIGHT RIGHT) until processing is empty.
  throw mp::NotImplemented("10/task 4: recover() in exercises/10-task-queues/tiny_worker.cpp");
}

}  // namespace lesson10
