// Lesson 04, exercise 1: transfer and transfer_all (contract: exercises/04-locks/transfer_all.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): the bank, the
// processes that use it and the calls run in a child that loaded the student's
// code; what they saw comes back as values and the checks run here. The
// transfers are drawn here and the expected balances computed here, so only
// transfers really made give them. Every wait has a deadline: a deadlock is
// reported as one, never waited out.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <mp/error.hpp>
#include <mp/event.hpp>
#include <mp/process.hpp>

#include "student_code.hpp"
#include "test_support.hpp"
#include "transfer_all.hpp"

namespace {

using namespace std::chrono_literals;
using lesson04::Bank;
using lesson04::Outcome;
using lesson04::Tally;
using lesson04::Transfer;
using lesson04::transfer;
using lesson04::transfer_all;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::scaled;
using mp::testing::start;
using mp::testing::threw;
using Clock = std::chrono::steady_clock;
using Balances = std::vector<std::int64_t>;

constexpr const char* reread_lost_update = " (lessons/04-locks/README.md, \"A lost update\")";
constexpr const char* reread_deadlock = " (lessons/04-locks/README.md, \"Deadlock by lock ordering\")";

std::int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}
std::int64_t scaled_ms(std::chrono::milliseconds d) { return scaled(d).count(); }

bool no_children_left() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
}

// The exit code of `p` once joined within `deadline` (scaled); -1000 when it
// was still running then (it is killed).
std::int64_t joined(mp::Process& p, std::chrono::milliseconds deadline = 10s) {
  if (p.join(scaled(deadline))) return p.exitcode().value_or(-1000);
  p.kill();
  (void)p.join(scaled(5s));
  return -1000;
}

// A process that holds the locks of `accounts` until `let_go` is set (or 10 s pass).
struct Holder {
  mp::Event holding;
  mp::Event let_go;
  mp::Process process;
  Holder(Bank bank, std::vector<std::size_t> accounts)
      : process([bank, accounts, holding = holding, let_go = let_go]() mutable {
          for (auto a : accounts) bank.lock(a).acquire();
          holding.set();
          (void)let_go.wait(scaled(10s));
          for (auto a : accounts) bank.lock(a).release();
        }) {
    process.start();
    if (!holding.wait(scaled(5s))) throw std::runtime_error("the lock holder did not start within 5 s");
  }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;
  // On an error path (the student's code threw), let the holder go at once:
  // mp::Process's destructor waits for it.
  ~Holder() { let_go.set(); }
  std::int64_t release() {
    let_go.set();
    return joined(process);
  }
};

// Random transfers among `accounts` accounts (amounts 1..9), drawn here.
std::vector<Transfer> random_transfers(std::size_t n, std::size_t accounts, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<std::size_t> account(0, accounts - 1);
  std::uniform_int_distribution<std::int64_t> amount(1, 9);
  std::vector<Transfer> out;
  while (out.size() < n) {
    const std::size_t from = account(gen);
    const std::size_t to = account(gen);
    if (from != to) out.push_back({from, to, amount(gen)});
  }
  return out;
}

// The balances after all `transfers`, none refused.
Balances apply(Balances balances, const std::vector<Transfer>& transfers) {
  for (const auto& t : transfers) {
    balances[t.from] -= t.amount;
    balances[t.to] += t.amount;
  }
  return balances;
}

int code(Outcome o) { return static_cast<int>(o); }
constexpr int done = static_cast<int>(Outcome::done);
constexpr int insufficient = static_cast<int>(Outcome::insufficient_funds);
constexpr int timed_out = static_cast<int>(Outcome::timed_out);

// ---------------------------------------------------------------------------
// transfer(), one at a time

TEST(TransferAll, RejectsBadTransfers) {
  auto obs = in_student([] {
    Bank bank(3, 100);
    Observations o;
    o["same account"] = threw<mp::ValueError>([&] { (void)transfer(bank, 1, 1, 5); });
    o["from outside the bank"] = threw<mp::ValueError>([&] { (void)transfer(bank, 3, 0, 5); });
    o["to outside the bank"] = threw<mp::ValueError>([&] { (void)transfer(bank, 0, 7, 5); });
    o["negative amount"] = threw<mp::ValueError>([&] { (void)transfer(bank, 0, 1, -5); });
    o["total"] = bank.total();
    o["lock 1 free afterwards"] = bank.lock(1).try_lock() ? 1 : 0;
    if (o["lock 1 free afterwards"] == 1) bank.lock(1).release();
    return o;
  });
  EXPECT_EQ(obs["same account"], 1) << "transfer(bank, 1, 1, 5) must throw mp::ValueError (from == to)";
  EXPECT_EQ(obs["from outside the bank"], 1) << "transfer from account 3 of a 3-account bank: mp::ValueError";
  EXPECT_EQ(obs["to outside the bank"], 1) << "transfer to account 7 of a 3-account bank: mp::ValueError";
  EXPECT_EQ(obs["negative amount"], 1) << "a negative amount must throw mp::ValueError";
  EXPECT_EQ(obs["total"], 300) << "a rejected transfer must change no balance";
  EXPECT_EQ(obs["lock 1 free afterwards"], 1) << "check the arguments before locking anything";
}

TEST(TransferAll, MovesTheMoney) {
  auto got = in_student([] {
    Bank bank(3, 100);
    std::vector<std::int64_t> seen;
    seen.push_back(code(transfer(bank, 0, 2, 30)));
    seen.push_back(code(transfer(bank, 2, 1, 130)));  // all of account 2
    seen.push_back(code(transfer(bank, 1, 0, 0)));    // nothing, successfully
    for (auto b : bank.balances()) seen.push_back(b);
    return seen;
  });
  EXPECT_EQ(got, (std::vector<std::int64_t>{done, done, done, 70, 230, 0}))
      << "the outcomes of 0->2 (30), 2->1 (130), 1->0 (0), then the balances of accounts 0, 1, 2";
}

TEST(TransferAll, RefusesAnOverdraftAndChangesNothing) {
  auto got = in_student([] {
    Bank bank(2, 50);
    std::vector<std::int64_t> seen{code(transfer(bank, 0, 1, 51))};
    for (auto b : bank.balances()) seen.push_back(b);
    seen.push_back(code(transfer(bank, 1, 0, 50)));
    seen.push_back(code(transfer(bank, 1, 0, 1)));
    for (auto b : bank.balances()) seen.push_back(b);
    const bool free0 = bank.lock(0).try_lock();
    const bool free1 = bank.lock(1).try_lock();
    seen.push_back(free0 && free1 ? 1 : 0);
    if (free0) bank.lock(0).release();
    if (free1) bank.lock(1).release();
    return seen;
  });
  EXPECT_EQ(got, (std::vector<std::int64_t>{insufficient, 50, 50, done, insufficient, 100, 0, 1}))
      << "0->1 (51) from 50: refused, nothing changes; 1->0 (50): done; 1->0 (1) from 0: refused; "
         "the balances; and both locks free at the end (release them on the refusal path too)";
}

// No lock, or one lock of the bank used for everything: the transfer goes
// ahead while another process holds the destination's (or the source's) lock.
TEST(TransferAll, WaitsForTheAccountsLocks) {
  auto obs = in_student([] {
    Bank bank(4, 100);
    Observations o;
    for (std::size_t held : {std::size_t{1}, std::size_t{2}}) {
      const std::string name = "account " + std::to_string(held) + " held: ";
      Holder holder(bank, {held});
      const auto t0 = Clock::now();
      o[name + "outcome"] =
          code(held == 1 ? transfer(bank, 0, 1, 10, 200ms) : transfer(bank, 2, 3, 10, 200ms));
      o[name + "ms"] = ms_since(t0);
      const bool free0 = bank.lock(0).try_lock();
      const bool free3 = bank.lock(3).try_lock();
      o[name + "locks free"] = free0 && free3 ? 1 : 0;
      if (free0) bank.lock(0).release();
      if (free3) bank.lock(3).release();
      o[name + "holder"] = holder.release();
    }
    o["total"] = bank.total();
    o["balance 0"] = bank.balance(0);
    return o;
  });
  for (const char* held : {"account 1 held: ", "account 2 held: "}) {
    const std::string h = held;
    EXPECT_EQ(obs[h + "outcome"], timed_out)
        << h
        << "a transfer with that account (timeout 200 ms) must wait for its lock and return "
           "Outcome::timed_out: hold bank.lock(from) AND bank.lock(to) around the update (no lock, or one "
           "lock for the whole bank, lets it go ahead)"
        << reread_lost_update;
    EXPECT_GE(obs[h + "ms"], 200) << h << "the transfer gave up before its 200 ms timeout";
    EXPECT_LT(obs[h + "ms"], scaled_ms(1s)) << h << "the transfer waited far longer than its 200 ms timeout";
    EXPECT_EQ(obs[h + "locks free"], 1)
        << h << "after Outcome::timed_out the caller must hold no lock: give back the lock you already took";
    EXPECT_EQ(obs[h + "holder"], 0);
  }
  EXPECT_EQ(obs["total"], 400);
  EXPECT_EQ(obs["balance 0"], 100) << "a transfer that timed out must change nothing";
}

// One lock for the whole bank (here: account 0's, or the first account's
// lock taken for everything) makes every transfer wait for every other.
TEST(TransferAll, DoesNotWaitForOtherAccounts) {
  auto obs = in_student([] {
    Bank bank(4, 100);
    Holder holder(bank, {0, 3});
    Observations o;
    const auto t0 = Clock::now();
    o["outcome"] = code(transfer(bank, 1, 2, 10, scaled(2s)));
    o["ms"] = ms_since(t0);
    o["holder"] = holder.release();
    o["balance 1"] = bank.balance(1);
    o["balance 2"] = bank.balance(2);
    return o;
  });
  EXPECT_EQ(obs["outcome"], done) << "transfer 1 -> 2 must not wait while another process holds the locks of "
                                     "accounts 0 and 3: take only the two accounts' own locks";
  EXPECT_LT(obs["ms"], scaled_ms(1s));
  EXPECT_EQ(obs["holder"], 0);
  EXPECT_EQ(obs["balance 1"], 90);
  EXPECT_EQ(obs["balance 2"], 110);
}

// ---------------------------------------------------------------------------
// many processes at once

// 4 processes, 50 000 random transfers each among 6 accounts, all at once
// (they start together), no refusals: the final balances are exact. Without
// both locks around the update, updates are lost.
TEST(TransferAll, ConcurrentTransfersLoseNoMoney) {
  constexpr int processes = 4;
  constexpr std::int64_t opening = 1'000'000'000;
  const auto transfers = random_transfers(processes * 50000, 6, 41);
  const auto balances = in_student(
      [&] {
        Bank bank(6, opening);
        mp::Event go;
        std::vector<mp::Process> procs;
        for (int p = 0; p < processes; ++p)
          procs.push_back(start([&, p] {
            if (!go.wait(scaled(10s))) mp::exit(4);
            for (std::size_t i = static_cast<std::size_t>(p); i < transfers.size(); i += processes)
              if (transfer(bank, transfers[i].from, transfers[i].to, transfers[i].amount, scaled(10s)) !=
                  Outcome::done)
                mp::exit(3);
          }));
        go.set();
        Balances out;
        for (auto& p : procs) out.push_back(joined(p, 20s));
        for (auto b : bank.balances()) out.push_back(b);
        return out;
      },
      60s);
  ASSERT_EQ(balances.size(), 4u + 6u);
  for (int p = 0; p < processes; ++p)
    EXPECT_EQ(balances[static_cast<std::size_t>(p)], 0)
        << "process " << p
        << ": 3 = a transfer did not return Outcome::done (timed out after 10 s: a deadlock?"
        << reread_deadlock
        << "), -1000 = still running after 20 s, 1 = an exception (see stderr), 4 = the "
           "test's start signal never came";
  const Balances expected = apply(Balances(6, opening), transfers);  // here, not in the child
  const Balances final_balances(balances.begin() + processes, balances.end());
  std::int64_t total = 0;
  for (auto b : final_balances) total += b;
  EXPECT_EQ(total, 6 * opening) << "money was created or destroyed: a lost update" << reread_lost_update;
  EXPECT_EQ(final_balances, expected)
      << "the balances are not what the 200 000 transfers add up to: two processes updated one balance at "
         "once "
         "(a lost update): hold both accounts' locks while you read and write their balances"
      << reread_lost_update;
}

// Transfers in opposite directions between the same accounts, at once: taking
// the source's lock first (instead of the lower account's) deadlocks.
TEST(TransferAll, OppositeTransfersDoNotDeadlock) {
  auto codes = in_student(
      [] {
        Bank bank(3, 1'000'000);
        const std::vector<std::pair<std::size_t, std::size_t>> directions = {{0, 1}, {1, 0}, {1, 2}, {2, 0}};
        std::vector<mp::Process> procs;
        for (auto [from, to] : directions)
          procs.push_back(start([&bank, from = from, to = to] {
            for (int i = 0; i < 20000; ++i)
              if (transfer(bank, from, to, 1, scaled(5s)) != Outcome::done) mp::exit(3);
          }));
        std::vector<std::int64_t> out;
        for (auto& p : procs) out.push_back(joined(p, 20s));
        out.push_back(bank.total());
        return out;
      },
      60s);
  EXPECT_EQ(codes, (std::vector<std::int64_t>{0, 0, 0, 0, 3'000'000}))
      << "four processes transferring 0->1, 1->0, 1->2 and 2->0 at once: exit code 3 = a transfer waited 5 s "
         "for a lock and timed out, -1000 = stuck for 20 s: a deadlock. Each held one account's lock and "
         "waited for the other's: take the two locks in one global order, the lower account number first, "
         "whichever way the money goes"
      << reread_deadlock;
}

// transfer_all: exact counts and balances, for 1 to 4 workers.
TEST(TransferAll, CountsEveryTransfer) {
  const auto transfers = random_transfers(3000, 8, 7);
  const Balances expected = apply(Balances(8, 1'000'000), transfers);
  for (int workers = 1; workers <= 4; ++workers) {
    const auto [tally, balances, children_left] = in_student([&] {
      Bank bank(8, 1'000'000);
      const Tally t = transfer_all(bank, transfers, workers, scaled(10s));
      return std::tuple<Tally, Balances, bool>{t, bank.balances(), !no_children_left()};
    });
    EXPECT_EQ(tally.done, 3000) << workers << " workers: transfers counted as done (of 3000, none refused): "
                                << "a count updated without its lock loses counts" << reread_lost_update;
    EXPECT_EQ(tally.refused, 0) << workers << " workers";
    EXPECT_EQ(balances, expected) << workers << " workers: the balances are not what the transfers add up to"
                                  << reread_lost_update;
    EXPECT_FALSE(children_left) << workers << " workers: transfer_all left a worker behind (not joined)";
  }
}

// Refusals are counted: account 6 has 5 and gives 1 ten times (worker 0 only).
TEST(TransferAll, CountsRefusals) {
  auto tally = in_student([] {
    Bank bank(8, 10000);
    bank.balance(6) = 5;
    std::vector<Transfer> transfers = random_transfers(2000, 6, 3);             // accounts 0..5
    for (std::size_t i = 0; i < 10; ++i) transfers[i * 2] = Transfer{6, 7, 1};  // all for worker 0 of 2
    const Tally t = transfer_all(bank, transfers, 2, scaled(10s));
    return std::vector<std::int64_t>{t.done, t.refused, bank.balance(6), bank.balance(7), bank.total()};
  });
  EXPECT_EQ(tally, (std::vector<std::int64_t>{1995, 5, 0, 10005, 70005}))
      << "done, refused, balance of account 6 (5 to give, 10 transfers of 1), of account 7, the total";
}

// transfer_all with 2 workers: worker 0 makes every 0->1, worker 1 every 1->0.
TEST(TransferAll, OppositeWorkersDoNotDeadlock) {
  std::vector<Transfer> transfers;
  for (int i = 0; i < 20000; ++i) transfers.push_back(i % 2 == 0 ? Transfer{0, 1, 1} : Transfer{1, 0, 1});
  const auto [raised, done_count, total] = in_student(
      [&] {
        Bank bank(2, 1'000'000);
        std::string r;
        Tally t;
        try {
          t = transfer_all(bank, transfers, 2, scaled(10s));
        } catch (const mp::TimeoutError&) {
          r = "mp::TimeoutError";
        }
        return std::tuple<std::string, std::int64_t, std::int64_t>{r, t.done, bank.total()};
      },
      60s);
  EXPECT_EQ(raised, "")
      << "transfer_all timed out after 10 s on 20000 transfers between two accounts, 0->1 in "
         "one worker and 1->0 in the other: a deadlock (each worker held one account's lock and "
         "waited for the other's): lock the lower account number first"
      << reread_deadlock;
  EXPECT_EQ(done_count, 20000);
  EXPECT_EQ(total, 2'000'000);
}

TEST(TransferAll, TimesOut) {
  auto obs = in_student([] {
    Bank bank(2, 100);
    Holder holder(bank, {0});
    Observations o;
    const auto t0 = Clock::now();
    o["raised TimeoutError"] = threw<mp::TimeoutError>([&] {
      (void)transfer_all(bank, {{0, 1, 1}, {1, 0, 1}}, 2, 200ms);
    });
    o["ms"] = ms_since(t0);
    o["children left"] = 0;
    o["holder"] = holder.release();
    o["children left"] = no_children_left() ? 0 : 1;
    o["total"] = bank.total();
    return o;
  });
  EXPECT_EQ(obs["raised TimeoutError"], 1)
      << "transfer_all(..., 200ms) while another process holds account 0's lock must throw mp::TimeoutError";
  EXPECT_GE(obs["ms"], 200);
  EXPECT_LT(obs["ms"], scaled_ms(2s)) << "the timeout is one deadline for the whole call: give each transfer "
                                         "what is left of it";
  EXPECT_EQ(obs["holder"], 0);
  EXPECT_EQ(obs["children left"], 0) << "after a timeout, kill and join the workers before throwing";
  EXPECT_EQ(obs["total"], 200);
}

TEST(TransferAll, RejectsBadArgumentsBeforeStarting) {
  auto obs = in_student([] {
    Bank bank(2, 100);
    Observations o;
    o["0 workers"] = threw<mp::ValueError>([&] { (void)transfer_all(bank, {{0, 1, 1}}, 0); });
    o["a bad account"] = threw<mp::ValueError>([&] { (void)transfer_all(bank, {{0, 1, 1}, {0, 9, 1}}, 2); });
    o["children left"] = no_children_left() ? 0 : 1;
    o["balance 0"] = bank.balance(0);
    const Tally none = transfer_all(bank, {}, 3);
    o["no transfers: done"] = none.done;
    o["no transfers: refused"] = none.refused;
    return o;
  });
  EXPECT_EQ(obs["0 workers"], 1) << "transfer_all(bank, transfers, 0) must throw mp::ValueError";
  EXPECT_EQ(obs["a bad account"], 1) << "a transfer to account 9 of a 2-account bank: mp::ValueError";
  EXPECT_EQ(obs["children left"], 0);
  EXPECT_EQ(obs["balance 0"], 100) << "check every transfer before starting any worker: none may be made";
  EXPECT_EQ(obs["no transfers: done"], 0);
  EXPECT_EQ(obs["no transfers: refused"], 0);
}

}  // namespace
