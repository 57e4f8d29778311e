// Lesson 09, exercise 1: fetch_all (see fetch_all.hpp for the contract).
// Reference solution: a ThreadPoolExecutor (a fetch waits, it does not compute),
// every fetch submitted first, as_completed with the caller's one deadline, then
// shutdown(wait, cancel_futures) so that what is queued never starts.
#include "fetch_all.hpp"

#include <cstddef>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include <mp/error.hpp>
#include <mp/executor.hpp>

namespace lesson09 {

FetchReport fetch_all(const std::vector<std::string>& names, Fetch fetch, int workers, mp::Timeout timeout) {
  if (workers < 1)
    throw mp::ValueError("fetch_all: workers must be at least 1, not " + std::to_string(workers));
  FetchReport report;
  mp::ThreadPoolExecutor ex(workers);
  std::vector<mp::Future<std::string>> futures;
  futures.reserve(names.size());
  for (const auto& name : names) futures.push_back(ex.submit(fetch, name));

  std::vector<bool> finished(names.size(), false);
  try {
    for (mp::Future<std::string>& f : mp::as_completed(futures, timeout)) {
      std::size_t i = 0;
      while (!(futures[i] == f)) ++i;  // which name it is: futures[i] was submitted for names[i]
      finished[i] = true;
      try {
        report.results[names[i]] = f.result();
      } catch (const std::exception& e) {
        report.errors[names[i]] = e.what();
      }
    }
  } catch (const mp::TimeoutError&) {
    // the deadline: what is not finished is reported below
  }
  ex.shutdown(true, true);  // what has not started never will; the running fetches end
  for (std::size_t i = 0; i < names.size(); ++i)
    if (!finished[i]) report.unfinished.push_back(names[i]);
  return report;
}

}  // namespace lesson09
