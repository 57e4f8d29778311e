// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in leaderboard.cpp.
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 06, exercise 1 ("use it"): a leaderboard that many processes
/// update through a manager, with no lost update.
///
/// Python counterpart:
/// @code{.py}
/// def add_score(scores, lock, player, points):
///     with lock:                                   # the read and the write together
///         scores[player] = scores.get(player, 0) + points
///
/// def leaderboard(games):
///     with Manager() as m:
///         scores, lock = m.dict(), m.Lock()
///         ps = [Process(target=play, args=(scores, lock, g)) for g in games]
///         for p in ps: p.start()
///         for p in ps: p.join()
///         return dict(scores)
/// @endcode
///
/// Lesson: lessons/06-managers/README.md, "Exercise 1: leaderboard".
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <mp/manager.hpp>  // mp::DictProxy, mp::LockProxy
#include <mp/timeout.hpp>

namespace lesson06 {

/// The scores: a dict in a manager, player → points.
using Scores = mp::DictProxy<std::string, std::int64_t>;
/// One worker's games: (player, points) in the order played.
using Games = std::vector<std::pair<std::string, std::int64_t>>;

/// Adds `points` to `player`'s score in `scores` (a player not there yet starts
/// at 0), holding `lock` (a lock of the same manager) around the read AND the
/// write, so that no update is lost when processes call it at once. Callable
/// from any process that holds copies of the proxies (forked children, or a
/// process that got them through a pipe). Releases the lock even when a call
/// throws.
///
/// Blocks while another process holds `lock`, then for four round trips to the manager.
/// @throws mp::ProcessError when the manager is gone.
/// @code
/// lesson06::add_score(scores, lock, "alice", 3);   // scores["alice"] += 3, safely
/// @endcode
void add_score(const Scores& scores, mp::LockProxy lock, const std::string& player, std::int64_t points);

/// Plays every worker's games in a process of its own, all at once: makes an
/// mp::Manager, a dict and a lock in it, starts one process per element of
/// `games` (each calls add_score for its games, in order), waits for all of
/// them (at most `timeout` in all), and returns the final scores. The manager
/// and every process are gone when it returns or throws.
///
/// @throws mp::ProcessError when a worker process fails (its exit code is not
///         0) or the manager is gone; mp::TimeoutError when the workers are
///         not all done by `timeout` (they are killed first).
/// @code
/// auto totals = lesson06::leaderboard({{{"alice", 3}, {"bob", 1}}, {{"alice", 2}}});
/// // totals == {{"alice", 5}, {"bob", 1}}
/// @endcode
[[nodiscard]] std::map<std::string, std::int64_t> leaderboard(const std::vector<Games>& games,
                                                              mp::Timeout timeout = std::chrono::seconds(60));

}  // namespace lesson06
