// Lesson 03, exercise 1: grep_count (see grep_count.hpp for the contract).
// Reference solution.
#include "grep_count.hpp"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <mp/connection.hpp>
#include <mp/error.hpp>
#include <mp/process.hpp>
#include <mp/wait.hpp>

namespace lesson03 {

namespace {

// One worker: counts the matches among lines [first, last) and sends its counts, one
// message, through its own write end. (Its read end and the other workers' ends were
// closed in the parent before the fork, or belong to the parent only: see below.)
void grep(const std::vector<std::string>& lines, std::size_t first, std::size_t last,
          const std::string& needle, mp::Connection& out) {
  LineCounts counts;
  for (std::size_t i = first; i < last; ++i)
    if (lines[i].find(needle) != std::string::npos) ++counts[lines[i]];
  out.send(counts);
}

// Owns the workers: kills the ones still running when it goes out of scope on an
// error path (mp::Process's destructor then reaps them).
struct Workers {
  std::vector<mp::Process> processes;
  ~Workers() {
    for (auto& p : processes)
      if (p.is_alive()) p.kill();
  }
};

}  // namespace

LineCounts grep_count(const std::vector<std::string>& lines, const std::string& needle, int workers,
                      mp::Timeout timeout) {
  if (workers < 1)
    throw mp::ValueError("grep_count: workers must be at least 1, not " + std::to_string(workers));
  const mp::Deadline deadline(timeout);
  const auto n = static_cast<std::size_t>(workers);
  std::vector<mp::Connection> readers;
  readers.reserve(n);
  Workers pool;
  pool.processes.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    mp::Connection r, w;
    std::tie(r, w) = mp::Pipe(false);
    const std::size_t first = lines.size() * k / n, last = lines.size() * (k + 1) / n;
    pool.processes.emplace_back([&, first, last] {
      for (auto& other : readers) other.close();  // earlier workers' read ends: not ours
      r.close();
      grep(lines, first, last, needle, w);
    });
    pool.processes.back().start();
    w.close();  // the worker holds the only write end now: its end is our EOF
    readers.push_back(std::move(r));
  }

  // Receive from whichever worker has something, until every pipe is at EOF.
  LineCounts total;
  std::vector<mp::Waitable> open(readers.begin(), readers.end());
  while (!open.empty()) {
    const auto ready =
        mp::wait(open, deadline.is_forever() ? mp::Timeout() : mp::Timeout(deadline.remaining()));
    if (ready.empty()) throw mp::TimeoutError("grep_count: timed out waiting for the workers' matches");
    for (const mp::Waitable& r : ready) {
      try {
        for (const auto& [line, count] : r.connection()->recv<LineCounts>()) total[line] += count;
      } catch (const mp::EOFError&) {
        open.erase(std::find(open.begin(), open.end(), r));
      }
    }
  }
  // EOF says a worker's end closed, not that it finished: its exit code does.
  for (auto& p : pool.processes) {
    if (!p.join(deadline.is_forever() ? mp::Timeout() : mp::Timeout(deadline.remaining())))
      throw mp::TimeoutError("grep_count: timed out waiting for a worker to end");
    if (const int code = p.exitcode().value(); code != 0)
      throw mp::ProcessError("grep_count: worker " + p.name() + " ended with exit code " +
                             std::to_string(code));
  }
  return total;
}

}  // namespace lesson03
