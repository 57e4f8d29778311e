// Lesson 09, exercise 1: fetch_all (see fetch_all.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 09
#include "fetch_all.hpp"

#include <map>
#include <string>
#include <vector>

#include <mp/error.hpp>
#include <mp/executor.hpp>

namespace lesson09 {

FetchReport fetch_all([[maybe_unused]] const std::vector<std::string>& names, [[maybe_unused]] Fetch fetch,
                      [[maybe_unused]] int workers, [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 1): check `workers`; make an executor of `workers` threads; submit
  //   fetch(name) for every name BEFORE waiting for any, remembering which future is
  //   which name.
  // TODO(task 2): iterate mp::as_completed(futures, timeout): each future's result()
  //   goes to results, its exception's what() to errors. The iteration throws
  //   mp::TimeoutError at the deadline: stop there.
  // TODO(task 3): at the deadline, cancel what has not started (shutdown with
  //   cancel_futures), and list every name not in results or errors, in input order.
  throw mp::NotImplemented("09/task 1: fetch_all() in exercises/09-executors/fetch_all.cpp");
}

}  // namespace lesson09
