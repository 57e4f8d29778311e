// Lesson 10, exercise 1: distributed_sum (see distributed_sum.hpp for the contract).
// Reference solution.
#include "distributed_sum.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <mp/error.hpp>
#include <mp/tasks.hpp>

namespace lesson10 {

std::int64_t distributed_sum(const std::string& broker_url, const std::vector<std::int64_t>& numbers,
                             std::size_t chunk_size, int attempts, std::chrono::milliseconds deadline) {
  // TODO(task 1): check the arguments; connect an mp::tasks::App to broker_url and take a
  //   typed handle on "lesson10.weigh" (a task of one argument, a vector of numbers).
  if (chunk_size == 0) throw mp::ValueError("distributed_sum: chunk_size must be at least 1");
  if (attempts < 1) throw mp::ValueError("distributed_sum: attempts must be at least 1");
  using Clock = std::chrono::steady_clock;
  const auto end = Clock::now() + deadline;
  mp::tasks::App app(broker_url);
  const auto weigh = app.task<std::int64_t(std::vector<std::int64_t>)>("lesson10.weigh");

  // TODO(task 2): cut the numbers into chunks and send them ALL (delay) before waiting
  //   for any; keep each chunk's AsyncResult and how many times it was sent.
  std::vector<std::vector<std::int64_t>> chunks;
  for (std::size_t i = 0; i < numbers.size(); i += chunk_size) {
    const auto last = numbers.begin() + static_cast<std::ptrdiff_t>(std::min(numbers.size(), i + chunk_size));
    chunks.emplace_back(numbers.begin() + static_cast<std::ptrdiff_t>(i), last);
  }
  std::vector<mp::tasks::AsyncResult<std::int64_t>> pending;
  pending.reserve(chunks.size());
  for (const auto& chunk : chunks) pending.push_back(weigh.delay(chunk));
  std::vector<int> sent(chunks.size(), 1);

  // TODO(task 3): read the results under ONE deadline (get(what is left of it)); on a
  //   mp::tasks::TaskError, send that chunk again while it has attempts left.
  std::int64_t total = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(end - Clock::now());
      if (left <= std::chrono::milliseconds(0))
        throw mp::TimeoutError("distributed_sum: the deadline passed");
      try {
        total += pending[i].get(left);  // mp::TimeoutError at the deadline: it propagates
        break;
      } catch (const mp::tasks::TaskError&) {
        if (sent[i] == attempts) throw;  // the chunk's last chance failed too
        ++sent[i];
        pending[i] = weigh.delay(chunks[i]);  // a new call: a new task id
      }
    }
  }
  return total;
}

}  // namespace lesson10
