// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in tiny_worker.cpp.
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 10, exercise 2 ("build it"): a tiny task-queue worker over plain Redis
/// lists, with late acknowledgement: a message is taken onto a `processing` list in one
/// atomic step, and removed from it only after its result is stored. A worker killed in
/// the middle of a message leaves it on `processing`, and recover() puts it back on the
/// queue: nothing is lost, and a message may run twice (at least once).
///
/// Python counterpart (redis-py; the "reliable queue" pattern of Redis's LMOVE page):
/// @code{.py}
/// def work_one(r, keys, handler, wait):
///     message = r.blmove(keys.queue, keys.processing, wait, "RIGHT", "LEFT")
///     if message is None:
///         return False                                  # nothing came within `wait`
///     result = handler(message)                         # may be killed here: still on processing
///     r.hset(keys.results, message, result)             # the result first,
///     r.lrem(keys.processing, 1, message)               # then the acknowledgement
///     return True
///
/// def run_tiny_worker(url, keys, handler, idle):
///     r = redis.Redis.from_url(url)
///     done = 0
///     while work_one(r, keys, handler, idle):
///         done += 1
///     return done
///
/// def recover(r, keys):                                 # a dead worker's messages go back
///     moved = 0
///     while r.lmove(keys.processing, keys.queue, "RIGHT", "RIGHT") is not None:
///         moved += 1
///     return moved
/// @endcode
///
/// Producers add messages with `LPUSH queue message`; a worker takes the oldest, at the
/// RIGHT end. Messages are distinct strings (a task id and its arguments).
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include <mp/tasks/redis.hpp>

namespace lesson10 {

/// The Redis keys of one tiny queue.
struct TinyQueueKeys {
  std::string queue = "tiny";                  ///< the list producers LPUSH on
  std::string processing = "tiny.processing";  ///< the messages being worked on
  std::string results = "tiny.results";        ///< a hash: message -> result
};

/// What a worker does with one message: returns its result (stored in the results hash).
using Handler = std::function<std::string(const std::string& message)>;

/// Works on one message: takes the oldest message of `keys.queue` onto `keys.processing`
/// in ONE atomic step (`BLMOVE queue processing RIGHT LEFT seconds`), runs `handler` on
/// it, stores the result (`HSET results message result`), and only then acknowledges it
/// (`LREM processing 1 message`).
///
/// **Blocking**: waits at most `wait` for a message (`wait` under the connection's 10 s
/// timeout; BLMOVE takes fractional seconds), then the time the handler takes.
/// @return true when it ran a message, false when none came within `wait`.
/// @throws whatever `handler` throws (the message then stays on `processing`: it is not
///         acknowledged); mp::tasks::BrokerError when Redis fails.
bool work_one(mp::tasks::Redis& redis, const TinyQueueKeys& keys, const Handler& handler,
              std::chrono::milliseconds wait);

/// A worker: connects to `url` (its own mp::tasks::Redis) and calls work_one() until no
/// message comes within `idle`.
/// @return how many messages it ran.
/// @throws as work_one().
std::size_t run_tiny_worker(const std::string& url, const TinyQueueKeys& keys, const Handler& handler,
                            std::chrono::milliseconds idle);

/// Puts every message left on `keys.processing` (a dead worker's) back on `keys.queue`,
/// at the end workers take from (`LMOVE processing queue RIGHT RIGHT`, one message at a
/// time, each move atomic), so that they are run next. Call it only when no live worker
/// uses `keys.processing`.
/// @return how many messages it moved (0 when there were none).
/// @throws mp::tasks::BrokerError when Redis fails.
std::size_t recover(mp::tasks::Redis& redis, const TinyQueueKeys& keys);

}  // namespace lesson10
