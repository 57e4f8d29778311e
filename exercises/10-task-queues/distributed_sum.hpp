// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in distributed_sum.cpp.
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 10, exercise 1 ("use it"): spread a sum over task-queue workers
/// (mp::tasks), send a failed chunk again, gather everything under one deadline.
///
/// Python counterpart (Celery):
/// @code{.py}
/// from celery.exceptions import TimeoutError
///
/// def distributed_sum(app, numbers, chunk_size, attempts, deadline):
///     weigh = app.signature("lesson10.weigh")
///     chunks = [numbers[i:i + chunk_size] for i in range(0, len(numbers), chunk_size)]
///     pending = [weigh.delay(c) for c in chunks]          # every chunk sent first
///     sent = [1] * len(chunks)
///     end = time.monotonic() + deadline
///     total = 0
///     for i, chunk in enumerate(chunks):
///         while True:
///             left = end - time.monotonic()
///             if left <= 0:
///                 raise TimeoutError()
///             try:
///                 total += pending[i].get(timeout=left)
///                 break
///             except TimeoutError:
///                 raise
///             except Exception:                             # the task failed
///                 if sent[i] == attempts:
///                     raise
///                 sent[i] += 1
///                 pending[i] = weigh.delay(chunk)          # send it again
///     return total
/// @endcode
///
/// **The workers.** The tests run a Redis server and mp::tasks workers (C++ workers,
/// which could as well be `celery worker`s on other machines) that register the task
/// `"lesson10.weigh"`: it takes ONE argument, a JSON array of numbers (a chunk), and
/// returns one number, the chunk's weight. The weight is the workers' business (the
/// tests' workers weigh each number with a factor only they know): add up what the
/// tasks return, never compute it yourself. Some calls fail for a while (a
/// mp::tasks::TaskError on get()) and succeed when sent again; some take their time.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lesson10 {

/// Sums the weights of `numbers` computed by task-queue workers.
///
/// Cuts `numbers` into chunks of `chunk_size` consecutive numbers (the last one may be
/// shorter), sends each as one call of task `"lesson10.weigh"` to the broker at
/// `broker_url` (an mp::tasks::App, queue `"celery"`) — every chunk before waiting for
/// any, so that all the workers work at once — and adds up the results.
///
/// A chunk whose task fails (get() throws mp::tasks::TaskError) is sent again, as a new
/// call: at most `attempts` sends per chunk in all; when the last one fails too, that
/// TaskError propagates.
///
/// **Blocking**: at most `deadline` in all (one deadline for the whole call, not one per
/// chunk), then mp::TimeoutError. Tasks still queued or running then are left to the
/// workers (their results are simply not read).
///
/// @param broker_url `redis://127.0.0.1:PORT/0`.
/// @param numbers the numbers (may be empty: the sum is 0).
/// @param chunk_size numbers per task, at least 1.
/// @param attempts sends per chunk, at least 1 (1: no second chance).
/// @param deadline the time the whole call may take.
/// @return the sum of the results of one successful call per chunk.
/// @throws mp::ValueError when chunk_size is 0 or attempts < 1 (checked first);
///         mp::tasks::TaskError when a chunk failed `attempts` times;
///         mp::TimeoutError when the deadline passes first;
///         mp::tasks::BrokerError when Redis cannot be reached.
///
/// @code
/// // 1 000 numbers in 16 tasks, each chunk sent at most 3 times, 10 s for everything:
/// const auto total = lesson10::distributed_sum(url, numbers, 64, 3, std::chrono::seconds(10));
/// @endcode
std::int64_t distributed_sum(const std::string& broker_url, const std::vector<std::int64_t>& numbers,
                             std::size_t chunk_size, int attempts, std::chrono::milliseconds deadline);

}  // namespace lesson10
