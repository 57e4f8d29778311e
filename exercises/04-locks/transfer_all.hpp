// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in transfer_all.cpp (the functions transfer and
//  transfer_all declared here; the class Bank is given).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 04, exercise 1 ("use it"): money transfers between bank
/// accounts in shared memory, made by several processes at once, with one
/// mp::Lock per account: no money lost to a race, no deadlock.
///
/// Python counterpart:
/// @code{.py}
/// def transfer(bank, src, dst, amount, timeout=None):
///     first, second = sorted((src, dst))          # ONE global order: no deadlock
///     deadline = None if timeout is None else time.monotonic() + timeout
///     if not bank.locks[first].acquire(timeout=left(deadline)): return 'timed_out'
///     try:
///         if not bank.locks[second].acquire(timeout=left(deadline)): return 'timed_out'
///         try:
///             if bank.balances[src] < amount: return 'insufficient_funds'
///             bank.balances[src] -= amount           # both balances change under
///             bank.balances[dst] += amount           # both locks: no lost update
///             return 'done'
///         finally: bank.locks[second].release()
///     finally: bank.locks[first].release()
///
/// def transfer_all(bank, transfers, workers, timeout=None):
///     done, refused = Value('q', 0), Value('q', 0)
///     def worker(w):
///         for t in transfers[w::workers]:         # worker w: transfers w, w+workers, ...
///             outcome = transfer(bank, *t, timeout=left(deadline))
///             ...                                 # count it (under the counter's lock)
///     procs = [Process(target=worker, args=(w,)) for w in range(workers)]
///     ...                                         # start all, join all (one deadline)
///     return done.value, refused.value
/// @endcode
///
/// Lesson: lessons/04-locks/README.md, "Exercise 1: transfer_all".
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include <mp/array.hpp>
#include <mp/lock.hpp>
#include <mp/timeout.hpp>

namespace lesson04 {

/// Bank accounts in shared memory, one mp::Lock per account. Given: you use
/// it, you do not change it.
///
/// **Handle.** Copies of a Bank, and the copies that forked children inherit,
/// are the same bank (the balances are an mp::RawArray, the locks mp::Lock
/// handles). Make it before starting the processes that use it.
///
/// **The rule.** balance(i) may be read or written only by a thread that
/// holds lock(i). Nothing in Bank enforces it: that is your part.
///
/// @code
/// lesson04::Bank bank(3, 100);                  // accounts 0, 1, 2 with 100 each
/// { std::lock_guard guard(bank.lock(1)); bank.balance(1) += 5; }
/// bank.total();                                 // 305 (exact: nobody else runs)
/// @endcode
class Bank {
public:
  /// `accounts` accounts, numbered 0 .. accounts-1, each holding `opening_balance`.
  /// @throws std::system_error when the shared memory cannot be made.
  Bank(std::size_t accounts, std::int64_t opening_balance) : balances_(accounts), locks_(accounts) {
    for (std::size_t i = 0; i < accounts; ++i) balances_[i] = opening_balance;
  }

  /// The number of accounts.
  [[nodiscard]] std::size_t size() const noexcept { return balances_.size(); }

  /// The lock of account `account`: hold it while you read or write balance(account).
  /// @throws std::out_of_range when `account >= size()`.
  [[nodiscard]] mp::Lock& lock(std::size_t account) { return locks_.at(account); }

  /// The balance of account `account`, in shared memory; only for the holder of lock(account).
  /// @throws std::out_of_range when `account >= size()`.
  [[nodiscard]] std::int64_t& balance(std::size_t account) { return balances_.at(account); }

  /// Every balance, read without the locks: exact only while no transfer is under way.
  [[nodiscard]] std::vector<std::int64_t> balances() const { return {balances_.begin(), balances_.end()}; }

  /// The sum of the balances, read without the locks: exact only while no transfer is under way.
  [[nodiscard]] std::int64_t total() const {
    return std::accumulate(balances_.begin(), balances_.end(), std::int64_t{0});
  }

private:
  mp::RawArray<std::int64_t> balances_;  // balances_[i] is guarded by locks_[i]
  std::vector<mp::Lock> locks_;          // one lock per account (each its own shared lock)
};

/// What one transfer() did.
enum class Outcome {
  done,                ///< the money moved
  insufficient_funds,  ///< the source held less than the amount: nothing changed
  timed_out,           ///< a lock could not be had in time: nothing changed, no lock held
};

/// Moves `amount` from account `from` to account `to`, as one step that no
/// other process can see half-done.
///
/// **Locks.** Holds bank.lock(from) and bank.lock(to) while it reads and
/// writes the two balances (otherwise two transfers at once lose money: the
/// lost update). Takes the two locks in **one global order, the lower account
/// number first**, whichever way the money goes: a transfer 0 → 1 and a
/// transfer 1 → 0 that each took their source's lock first would wait for
/// each other forever (the deadlock). Takes no other lock: transfers between
/// other accounts go on meanwhile.
///
/// **Refusal.** When balance(from) < amount, nothing changes and the result
/// is Outcome::insufficient_funds (an amount of 0 always succeeds).
///
/// **Blocking and timeout.** Waits for the two locks, forever by default,
/// at most `timeout` in all otherwise (one deadline for both acquisitions).
/// When a lock cannot be had in time, releases the lock it already holds and
/// returns Outcome::timed_out: nothing changed, and the caller holds no lock
/// of the bank.
///
/// **A process killed in the middle** of a transfer can leave one balance
/// updated and not the other (mp::Lock hands its locks on, so nobody hangs;
/// repairing the money is beyond this exercise: see owner_died() in the lesson).
///
/// @throws mp::ValueError, before locking anything, when `from` or `to` is not
///         an account (>= bank.size()), when `from == to`, or when `amount` < 0.
///
/// @code
/// lesson04::Bank bank(2, 100);
/// transfer(bank, 0, 1, 30);    // Outcome::done: balances 70, 130
/// transfer(bank, 0, 1, 500);   // Outcome::insufficient_funds: unchanged
/// @endcode
[[nodiscard]] Outcome transfer(Bank& bank, std::size_t from, std::size_t to, std::int64_t amount,
                               mp::Timeout timeout = mp::Timeout());

/// One transfer to make: `amount` from account `from` to account `to`.
struct Transfer {
  std::size_t from = 0;     ///< the source account
  std::size_t to = 0;       ///< the destination account
  std::int64_t amount = 0;  ///< how much, >= 0
};

/// How many transfers transfer_all() made, and how many were refused.
struct Tally {
  std::int64_t done = 0;     ///< transfers that returned Outcome::done
  std::int64_t refused = 0;  ///< transfers that returned Outcome::insufficient_funds
  /// For mp's pickle (the tests send a Tally from process to process).
  template <class Archive>
  void serialize(Archive& ar) {
    ar(done, refused);
  }
};

/// Makes all `transfers` with `workers` processes at once and counts what
/// happened.
///
/// **Who does what.** Worker w (0 <= w < workers) is an mp::Process that
/// makes transfers[w], transfers[w + workers], transfers[w + 2 * workers], ...
/// in that order, each with transfer(). All the workers run at the same time
/// (start them all before joining any). The calling process makes no transfer.
///
/// **Counting.** Returns the number of transfers done and refused, across all
/// workers: done + refused == transfers.size() on success. The counts cross
/// process boundaries: a shared counter (mp::Value, updated under its
/// lock: `value() + 1` in two steps loses counts) or a queue of per-worker
/// tallies (lesson 02) both work.
///
/// **Blocking and timeout.** Until every worker has finished, or `timeout`
/// (one deadline for the whole call, shared by every transfer) has passed.
///
/// **Guarantees.** On return or throw, every worker it started has ended and
/// been reaped (kill the ones still running on an error path). The
/// transfers made before an error stay made.
///
/// @throws mp::ValueError, before any process starts, when `workers` < 1 or a
///         transfer is one that transfer() rejects.
/// @throws mp::TimeoutError when the transfers are not all made within `timeout`
///         (a transfer that returned Outcome::timed_out).
/// @throws mp::ProcessError when a worker ends with a non-zero exit code.
///
/// @code
/// lesson04::Bank bank(2, 100);
/// auto tally = transfer_all(bank, {{0, 1, 10}, {1, 0, 20}, {0, 1, 500}}, 2);
/// // tally.done == 2, tally.refused == 1; balances 110, 90
/// @endcode
[[nodiscard]] Tally transfer_all(Bank& bank, const std::vector<Transfer>& transfers, int workers,
                                 mp::Timeout timeout = mp::Timeout());

}  // namespace lesson04
