// Lesson 02, exercise 1: word_count (see word_count.hpp for the contract).
// Reference solution.
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

namespace {

using namespace std::chrono_literals;

// A task is a range of document indices [first, last): the workers were
// forked after `documents` existed, so only the indices need to travel.
struct Task {
  std::int64_t first = 0;
  std::int64_t last = 0;  // first == last == -1: the sentinel, "no more work"
};
constexpr Task stop{-1, -1};

// How long a wait may last before we look at the workers again: short enough
// to notice a dead worker quickly, long enough to cost nothing.
constexpr auto check_every = 20ms;

mp::Timeout slice(const mp::Deadline& deadline) {
  if (deadline.is_forever()) return check_every;
  return std::min<std::chrono::nanoseconds>(deadline.remaining(), check_every);
}

void worker(const std::vector<std::string>& documents, mp::Queue<Task> tasks, mp::Queue<WordCounts> results) {
  WordCounts counts;
  for (Task t = tasks.get(); t.first >= 0; t = tasks.get())
    for (auto i = t.first; i < t.last; ++i) count_words(documents[static_cast<std::size_t>(i)], counts);
  results.put(counts);
}

// Owns the workers: kills and reaps the ones still running when it goes out
// of scope on an error path (mp::Process's destructor would wait for them).
struct Workers {
  std::vector<mp::Process> processes;
  ~Workers() {
    for (auto& p : processes)
      if (p.is_alive()) p.kill();
  }
  // Throws mp::ProcessError when a worker ended badly (a worker that ended
  // with 0 has put its counts already: put() is done when it returns).
  void check() {
    for (auto& p : processes)
      if (auto code = p.exitcode(); code && *code != 0)
        throw mp::ProcessError("word_count: worker " + p.name() + " died with exit code " +
                               std::to_string(*code) + " before it reported its counts");
  }
};

}  // namespace

WordCounts word_count(const std::vector<std::string>& documents, int workers, mp::Timeout timeout) {
  if (workers < 1)
    throw mp::ValueError("word_count: workers must be at least 1, not " + std::to_string(workers));
  const mp::Deadline deadline(timeout);
  mp::Queue<Task> tasks;
  mp::Queue<WordCounts> results;

  Workers pool;
  pool.processes.reserve(static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i) pool.processes.emplace_back(worker, std::cref(documents), tasks, results);
  for (auto& p : pool.processes) p.start();

  // Puts `t`, looking at the workers while the queue is full.
  const auto put = [&](const Task& t) {
    for (;;) {
      try {
        tasks.put(t, slice(deadline));
        return;
      } catch (const mp::Full&) {
        pool.check();
        if (deadline.expired()) throw mp::TimeoutError("word_count: timed out while handing out the work");
      }
    }
  };

  // About 16 tasks per worker: small enough to balance the load, large
  // enough that a queue operation per task costs nothing.
  const auto n = static_cast<std::int64_t>(documents.size());
  const std::int64_t per_task = std::max<std::int64_t>(1, n / (16 * workers));
  for (std::int64_t first = 0; first < n; first += per_task) put(Task{first, std::min(n, first + per_task)});
  for (int i = 0; i < workers; ++i) put(stop);

  WordCounts total;
  for (int received = 0; received < workers;) {
    try {
      for (auto& [word, count] : results.get(slice(deadline))) total[word] += count;
      ++received;
    } catch (const mp::Empty&) {
      pool.check();
      if (deadline.expired()) throw mp::TimeoutError("word_count: timed out waiting for the workers' counts");
    }
  }
  for (auto& p : pool.processes) p.join();
  return total;
}

}  // namespace lesson02
