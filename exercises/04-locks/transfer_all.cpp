// Lesson 04, exercise 1: transfer_all (see transfer_all.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 04
#include "transfer_all.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

#include <mp/error.hpp>
#include <mp/process.hpp>
#include <mp/value.hpp>

namespace lesson04 {

Outcome transfer([[maybe_unused]] Bank& bank, [[maybe_unused]] std::size_t from,
                 [[maybe_unused]] std::size_t to, [[maybe_unused]] std::int64_t amount,
                 [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 1): check the arguments (mp::ValueError) before locking anything.
  // TODO(task 1): take the two accounts' locks in ONE global order (the lower
  //   account number first), with what is left of ONE mp::Deadline; when the
  //   second lock times out, give back the first and return Outcome::timed_out.
  // TODO(task 1): under both locks: refuse when the source has too little,
  //   otherwise move the money. Release both locks on every path.
  throw mp::NotImplemented("04/task 1: transfer() in exercises/04-locks/transfer_all.cpp");
}

Tally transfer_all([[maybe_unused]] Bank& bank, [[maybe_unused]] const std::vector<Transfer>& transfers,
                   [[maybe_unused]] int workers, [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 2): check `workers` and every transfer (mp::ValueError) before
  //   starting any process.
  // TODO(task 2): start `workers` mp::Process; worker w makes transfers w,
  //   w + workers, ... with transfer() and counts its outcomes where the
  //   caller can read them (two mp::Value counters, updated under their lock).
  // TODO(task 2): join them all within one deadline; a transfer that timed out
  //   or a worker that failed means mp::TimeoutError / mp::ProcessError, after
  //   killing and joining the workers.
  throw mp::NotImplemented("04/task 2: transfer_all() in exercises/04-locks/transfer_all.cpp");
}

}  // namespace lesson04
