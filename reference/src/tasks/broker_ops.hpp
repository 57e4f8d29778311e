#pragma once
// The worker's conversations with Redis, each one atomic where a kill between
// two commands would lose or double something: taking a message (pop + record
// as unacknowledged, one Lua script), storing a result with the ack (one
// MULTI/EXEC), putting back the messages of lost workers (kombu's mutex and
// visibility timeout, one script per message so that an ack racing it wins).
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mp/tasks/redis.hpp"

namespace mp::tasks::detail {

/// kombu's key names for its ack emulation on Redis.
inline constexpr const char* unacked_key = "unacked";
inline constexpr const char* unacked_index_key = "unacked_index";
inline constexpr const char* unacked_mutex_key = "unacked_mutex";
/// Ours beside kombu's: delivery tag → the id of the worker that took it.
inline constexpr const char* unacked_owner_key = "mp.unacked_owner";

/// One message taken from a queue.
struct Taken {
  std::string queue;  ///< where it was
  std::string raw;    ///< the message as pushed
  std::string tag;    ///< its delivery tag ("" when it could not be read: it went to the dead letters)
};

/// Pops the oldest message of the first non-empty queue and records it as
/// unacknowledged, atomically; a message without a readable delivery tag goes
/// to `dead_letters` instead; `owner` (the worker's id) is recorded beside it.
/// nullopt when every queue is empty.
std::optional<Taken> take(Redis& r, const std::vector<std::string>& queues, const std::string& dead_letters,
                          const std::string& owner);
/// Waits until `queue` has a message (without taking it), at most `timeout`.
void wait_for_message(Redis& r, const std::string& queue, std::chrono::milliseconds timeout);
/// The commands that acknowledge `tag` (to run inside a transaction).
void append_ack(std::vector<std::vector<std::string>>& commands, const std::string& tag);
/// Runs `commands` as one MULTI/EXEC. @throws BrokerError when it did not commit.
void run_transaction(Redis& r, std::vector<std::vector<std::string>> commands);
/// Puts a taken message back on its queue (if it is still unacknowledged).
void restore_one(Redis& r, const std::string& tag, const std::string& raw, const std::string& queue);
/// Puts back every message unacknowledged for longer than `visibility`
/// (marked redelivered), unless another worker holds kombu's mutex. Returns how many.
std::size_t restore_visible(Redis& r, std::chrono::milliseconds visibility, const std::string& dead_letters);
/// Puts one unacknowledged message back on its queue, marked redelivered (false when
/// someone acknowledged or restored it first); an unreadable entry goes to the dead letters.
bool restore_tag(Redis& r, const std::string& tag, const std::string& dead_letters);
/// Puts back the messages `owner` took but does not hold (`holding`): those whose take's
/// reply a broken connection lost. Returns how many.
std::size_t reclaim_own(Redis& r, const std::string& owner, const std::set<std::string>& holding,
                        const std::string& dead_letters);
/// Seconds since the epoch, as kombu scores the unacked index.
std::string epoch_seconds_now();

}  // namespace mp::tasks::detail
