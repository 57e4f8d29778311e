// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in fetch_all.cpp.
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 09, exercise 1 ("use it"): fetch many sources with an executor,
/// collect what comes back as it comes (mp::as_completed) under one deadline, and
/// report what failed and what was not done in time.
///
/// Python counterpart (the pattern of the `concurrent.futures` documentation's
/// ThreadPoolExecutor example):
/// @code{.py}
/// def fetch_all(names, fetch, workers, timeout):
///     report = Report()
///     ex = ThreadPoolExecutor(workers)
///     futures = {ex.submit(fetch, name): name for name in names}
///     try:
///         for f in as_completed(futures, timeout):
///             try:
///                 report.results[futures[f]] = f.result()
///             except Exception as e:
///                 report.errors[futures[f]] = str(e)
///     except TimeoutError:
///         pass
///     ex.shutdown(wait=True, cancel_futures=True)
///     report.unfinished = [n for f, n in futures.items() if n not in report.results and n not in
///     report.errors] return report
/// @endcode
///
/// Lesson: lessons/09-executors/README.md, "Exercise 1: fetch_all".
#include <map>
#include <string>
#include <vector>

#include <mp/timeout.hpp>

namespace lesson09 {

/// How to fetch one source: a plain function (or a lambda without captures) that
/// gets the source's name and returns its content, or throws. It may be slow (it
/// waits, as for a network). It can run in a thread or in a worker process.
using Fetch = std::string (*)(const std::string& name);

/// What fetch_all() got. Every name given is in exactly one of the three.
struct FetchReport {
  std::map<std::string, std::string> results;  ///< name → content, for the fetches that returned
  std::map<std::string, std::string> errors;   ///< name → what() of the exception, for those that threw
  std::vector<std::string> unfinished;         ///< the names not done by the deadline, in input order

  /// For mp's pickle (the tests copy a report out of the process that made it).
  template <class Archive>
  void serialize(Archive& ar) {
    ar(results, errors, unfinished);
  }
};

/// Fetches every source of `names` (distinct) with `fetch`, `workers` at a time
/// (mp::ThreadPoolExecutor or mp::ProcessPoolExecutor with `workers` workers; the
/// fetches submitted in input order, all before waiting for any), and
/// collects each outcome as soon as it is done (mp::as_completed), until all are
/// done or `timeout` (ONE deadline for the whole call) passes.
///
/// - A fetch that throws goes to `errors` (its what()); the others are not lost.
/// - At the deadline, the fetches not done are listed in `unfinished`; those not
///   started yet must never start (cancel them: `shutdown(true, true)`); those
///   running may finish before fetch_all returns (an executor waits for its running
///   tasks) but are still reported unfinished.
/// - fetch_all returns at the deadline plus the time the running fetches need to end:
///   never after the queued ones.
///
/// @throws mp::ValueError when `workers` < 1.
/// @code
/// auto report = lesson09::fetch_all({"a.txt", "b.txt"}, read_slowly, 4, 2s);
/// for (const auto& [name, content] : report.results) std::cout << name << ": " << content << '\n';
/// @endcode
[[nodiscard]] FetchReport fetch_all(const std::vector<std::string>& names, Fetch fetch, int workers,
                                    mp::Timeout timeout = mp::Timeout());

}  // namespace lesson09
