// Lesson 04, exercise 1: transfer_all (see transfer_all.hpp for the contract).
// Reference solution.
#include "transfer_all.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

#include <mp/error.hpp>
#include <mp/event.hpp>
#include <mp/process.hpp>
#include <mp/value.hpp>

namespace lesson04 {

namespace {

// Every wait of one call uses what is left of one deadline.
mp::Timeout left(const mp::Deadline& deadline) {
  return deadline.is_forever() ? mp::Timeout() : mp::Timeout(deadline.remaining());
}

void check(const Bank& bank, std::size_t from, std::size_t to, std::int64_t amount) {
  if (from >= bank.size() || to >= bank.size())
    throw mp::ValueError("transfer " + std::to_string(from) + " -> " + std::to_string(to) +
                         ": the bank has " + std::to_string(bank.size()) + " accounts");
  if (from == to) throw mp::ValueError("transfer: from and to are the same account, " + std::to_string(from));
  if (amount < 0) throw mp::ValueError("transfer: negative amount " + std::to_string(amount));
}

// Owns the workers: kills and reaps the ones still running when it goes out
// of scope on an error path (mp::Process's destructor would wait for them).
struct Workers {
  std::vector<mp::Process> processes;
  ~Workers() {
    for (auto& p : processes)
      if (p.is_alive()) p.kill();
  }
};

}  // namespace

Outcome transfer(Bank& bank, std::size_t from, std::size_t to, std::int64_t amount, mp::Timeout timeout) {
  check(bank, from, to, amount);
  const mp::Deadline deadline(timeout);
  // One global order, whichever way the money goes: the lower account first.
  mp::Lock& first = bank.lock(std::min(from, to));
  mp::Lock& second = bank.lock(std::max(from, to));
  if (!first.acquire(true, left(deadline))) return Outcome::timed_out;
  const std::lock_guard release_first(first, std::adopt_lock);
  if (!second.acquire(true, left(deadline))) return Outcome::timed_out;  // gives `first` back
  const std::lock_guard release_second(second, std::adopt_lock);
  // A holder killed mid-transfer (owner_died()) may have moved half the money:
  // this bank keeps no journal to repair it (the lesson's owner_died example does).
  if (bank.balance(from) < amount) return Outcome::insufficient_funds;
  bank.balance(from) -= amount;
  bank.balance(to) += amount;
  return Outcome::done;
}

Tally transfer_all(Bank& bank, const std::vector<Transfer>& transfers, int workers, mp::Timeout timeout) {
  if (workers < 1)
    throw mp::ValueError("transfer_all: workers must be at least 1, not " + std::to_string(workers));
  for (const auto& t : transfers) check(bank, t.from, t.to, t.amount);
  const mp::Deadline deadline(timeout);

  mp::Value<Tally> total;  // the workers' counts, added once per worker under its lock
  mp::Event gave_up;       // set by a worker whose transfer timed out
  const auto worker = [&](std::size_t w) {
    Tally mine;  // counted here, without a lock: only this process touches it
    for (std::size_t i = w; i < transfers.size(); i += static_cast<std::size_t>(workers)) {
      const Transfer& t = transfers[i];
      const Outcome outcome = transfer(bank, t.from, t.to, t.amount, left(deadline));
      if (outcome == Outcome::timed_out) {
        gave_up.set();
        break;
      }
      ++(outcome == Outcome::done ? mine.done : mine.refused);
    }
    std::lock_guard guard(total.get_lock());  // one locked update per worker, not per transfer
    total.get_obj().done += mine.done;
    total.get_obj().refused += mine.refused;
  };

  Workers pool;
  pool.processes.reserve(static_cast<std::size_t>(workers));
  for (int w = 0; w < workers; ++w) pool.processes.emplace_back(worker, static_cast<std::size_t>(w));
  for (auto& p : pool.processes) p.start();
  for (auto& p : pool.processes) {
    if (deadline.is_forever()) {
      p.join();
    } else if (!p.join(deadline.remaining())) {
      throw mp::TimeoutError("transfer_all: the transfers were not done in time");  // pool kills the rest
    }
    if (const int code = p.exitcode().value_or(0); code != 0)
      throw mp::ProcessError("transfer_all: worker " + p.name() + " ended with exit code " +
                             std::to_string(code));
  }
  if (gave_up.is_set()) throw mp::TimeoutError("transfer_all: a transfer could not get its locks in time");
  return total.value();
}

}  // namespace lesson04
