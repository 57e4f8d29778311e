// Lesson 10, exercise 2: a tiny worker (see tiny_worker.hpp for the contract).
// Reference solution.
#include "tiny_worker.hpp"

#include <chrono>
#include <cstddef>
#include <string>

#include <mp/error.hpp>
#include <mp/tasks/redis.hpp>

namespace lesson10 {

bool work_one(mp::tasks::Redis& redis, const TinyQueueKeys& keys, const Handler& handler,
              std::chrono::milliseconds wait) {
  // TODO(task 1): BLMOVE the oldest message from the queue onto the processing list
  //   (seconds as a decimal string); a nil reply: nothing came.
  const std::string seconds = std::to_string(static_cast<double>(wait.count()) / 1000.0);
  const mp::tasks::Reply taken =
      redis.command({"BLMOVE", keys.queue, keys.processing, "RIGHT", "LEFT", seconds});
  if (taken.is_nil()) return false;
  const std::string& message = taken.str;

  // TODO(task 2): run the handler, HSET its result, THEN LREM the message from processing.
  const std::string result = handler(message);  // killed here: the message stays on processing
  redis.command({"HSET", keys.results, message, result});
  redis.command({"LREM", keys.processing, "1", message});  // the acknowledgement, last
  return true;
}

std::size_t run_tiny_worker(const std::string& url, const TinyQueueKeys& keys, const Handler& handler,
                            std::chrono::milliseconds idle) {
  // TODO(task 3): one connection, work_one until it returns false; count.
  mp::tasks::Redis redis(url);
  std::size_t done = 0;
  while (work_one(redis, keys, handler, idle)) ++done;
  return done;
}

std::size_t recover(mp::tasks::Redis& redis, const TinyQueueKeys& keys) {
  // TODO(task 4): LMOVE processing -> queue (RIGHT RIGHT) until processing is empty.
  std::size_t moved = 0;
  while (!redis.command({"LMOVE", keys.processing, keys.queue, "RIGHT", "RIGHT"}).is_nil()) ++moved;
  return moved;
}

}  // namespace lesson10
