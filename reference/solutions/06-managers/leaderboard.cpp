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

void add_score(const Scores& scores, mp::LockProxy lock, const std::string& player, std::int64_t points) {
  // TODO(task 1): under the manager's lock (std::lock_guard), read the player's
  //   score (0 when missing) and store it plus `points`.
  std::lock_guard guard(lock);  // released by the destructor, even when a call throws
  scores[player] = scores.get(player).value_or(0) + points;
}

std::map<std::string, std::int64_t> leaderboard(const std::vector<Games>& games, mp::Timeout timeout) {
  // TODO(task 2): make an mp::Manager, a dict and a lock in it; start one process
  //   per element of `games` that calls add_score for each of its games.
  mp::Manager manager;
  const Scores scores = manager.dict<std::string, std::int64_t>();
  const mp::LockProxy lock = manager.lock();
  std::vector<mp::Process> workers;
  workers.reserve(games.size());
  for (const Games& mine : games) {
    workers.emplace_back([scores, lock, &mine] {
      for (const auto& game : mine) add_score(scores, lock, game.first, game.second);
    });
  }
  for (auto& w : workers) w.start();  // all at once: start every worker before joining any
  // TODO(task 3): join them all under ONE deadline; a worker still running then
  //   is killed (mp::TimeoutError), one that failed is an mp::ProcessError; return
  //   the dict's items as a std::map.
  const mp::Deadline deadline(timeout);
  bool late = false;
  for (auto& w : workers) {
    const mp::Timeout left =
        deadline.is_forever() ? mp::Timeout::forever() : mp::Timeout(deadline.remaining());
    late = !w.join(left) || late;
  }
  if (late) {
    for (auto& w : workers) {
      if (w.is_alive()) w.kill();
      w.join();
    }
    throw mp::TimeoutError("leaderboard: the workers were not done in time");
  }
  for (auto& w : workers) {
    if (w.exitcode() != 0) throw mp::ProcessError("leaderboard: a worker failed");
  }
  const auto items = scores.items();
  return {items.begin(), items.end()};
}

}  // namespace lesson06
