// Lesson 06, exercise 1: leaderboard (see leaderboard.hpp for the contract).
// Your code goes here. Build and grade it with:   ./course grade 06
#include "leaderboard.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <mp/error.hpp>
#include <mp/manager.hpp>
#include <mp/process.hpp>
#include <mp/timeout.hpp>

namespace lesson06 {

void add_score([[maybe_unused]] const Scores& scores, [[maybe_unused]] mp::LockProxy lock,
               [[maybe_unused]] const std::string& player, [[maybe_unused]] std::int64_t points) {
  // TODO(task 1): under the manager's lock (std::lock_guard), read the player's
  //   score (0 when missing) and store it plus `points`.
  throw mp::NotImplemented("06/task 1: add_score() in exercises/06-managers/leaderboard.cpp");
}

std::map<std::string, std::int64_t> leaderboard([[maybe_unused]] const std::vector<Games>& games,
                                                [[maybe_unused]] mp::Timeout timeout) {
  // TODO(task 2): make an mp::Manager, a dict and a lock in it; start one process
  //   per element of `games` that calls add_score for each of its games.
  // TODO(task 3): join them all under ONE deadline; a worker still running then
  //   is killed (mp::TimeoutError), one that failed is an mp::ProcessError; return
  //   the dict's items as a std::map.
  throw mp::NotImplemented("06/task 2: leaderboard() in exercises/06-managers/leaderboard.cpp");
}

}  // namespace lesson06
