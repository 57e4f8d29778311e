// Lesson 06, exercise 1: leaderboard (contract: exercises/06-managers/leaderboard.hpp).
// Trusted-parent style (grader/harness/student_code.hpp): each test's manager, proxies
// and processes are made in the child that in_student runs (the student's code is
// loaded there); this process computes the expected totals and checks what the child
// returns. Racing processes start together on an mp::Event; processes meet through
// pipes, never by sleeping; every wait has a deadline.
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include <mp/connection.hpp>
#include <mp/error.hpp>
#include <mp/event.hpp>
#include <mp/manager.hpp>
#include <mp/process.hpp>
#include <mp/semaphore.hpp>

#include "leaderboard.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using lesson06::add_score;
using lesson06::Games;
using lesson06::leaderboard;
using lesson06::Scores;
using mp::testing::in_student;
using mp::testing::Observations;
using mp::testing::raised_by;
using mp::testing::scaled;
using Totals = std::map<std::string, std::int64_t>;

constexpr const char* reread_lock =
    "hold the manager's lock around the read AND the write (reread lessons/06-managers/README.md, \"A "
    "lost update\")";

// Games for `workers` workers, `per_worker` each, on a few players; random points.
std::vector<Games> make_games(int workers, int per_worker, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> player(0, 4), points(1, 50);
  std::vector<Games> games(static_cast<std::size_t>(workers));
  for (auto& g : games) {
    for (int i = 0; i < per_worker; ++i) g.emplace_back("player" + std::to_string(player(rng)), points(rng));
  }
  return games;
}

Totals totals_of(const std::vector<Games>& games) {
  Totals t;
  for (const auto& g : games) {
    for (const auto& [who, pts] : g) t[who] += pts;
  }
  return t;
}

// ---------------------------------------------------------------- add_score

TEST(Leaderboard, AddScoreAddsAndStartsANewPlayerAtZero) {
  const auto obs = in_student([] {
    mp::Manager manager;
    const Scores scores = manager.dict<std::string, std::int64_t>({{"bob", 10}});
    const mp::LockProxy lock = manager.lock();
    add_score(scores, lock, "alice", 3);
    add_score(scores, lock, "bob", 5);
    add_score(scores, lock, "alice", 4);
    Observations o;
    o["alice"] = scores.get("alice").value_or(-1);
    o["bob"] = scores.get("bob").value_or(-1);
    o["size"] = static_cast<std::int64_t>(scores.size());
    o["lock free after"] = lock.locked() ? 0 : 1;
    return o;
  });
  EXPECT_EQ(obs.at("alice"), 7) << "a new player starts at 0: 3 + 4";
  EXPECT_EQ(obs.at("bob"), 15) << "10 + 5";
  EXPECT_EQ(obs.at("size"), 2) << "no other key";
  EXPECT_EQ(obs.at("lock free after"), 1) << "release the lock before add_score returns";
}

TEST(Leaderboard, AddScoreLosesNoUpdateFromProcessesStartedTogether) {
  constexpr int racers = 4, rounds = 150;
  const auto obs = in_student([] {
    mp::Manager manager;
    const Scores scores = manager.dict<std::string, std::int64_t>();
    const mp::LockProxy lock = manager.lock();
    add_score(scores, lock, "warm-up", 1);  // the skeleton's exception shows here
    mp::Semaphore ready(0);
    mp::Event go;
    std::vector<mp::Process> ps;
    for (int r = 0; r < racers; ++r) {
      ps.emplace_back([scores, lock, &ready, &go, r] {
        ready.release();  // at the start line
        if (!go.wait(scaled(10s))) mp::exit(3);
        for (int i = 0; i < rounds; ++i) add_score(scores, lock, i % 2 ? "odd" : "even", r + 1);
      });
    }
    for (auto& p : ps) p.start();
    Observations o;
    for (int r = 0; r < racers; ++r) o["not at the start line"] += ready.acquire(true, scaled(10s)) ? 0 : 1;
    go.set();  // every racer is waiting: they start together
    for (auto& p : ps) o["worker failed"] += (p.join(scaled(30s)) && p.exitcode() == 0) ? 0 : 1;
    for (auto& p : ps) {
      if (p.is_alive()) p.kill();
      p.join();
    }
    o["odd"] = scores.get("odd").value_or(0);
    o["even"] = scores.get("even").value_or(0);
    return o;
  });
  ASSERT_EQ(obs.at("not at the start line"), 0) << "test bug: a racer did not start";
  EXPECT_EQ(obs.at("worker failed"), 0) << "add_score threw in a worker process";
  // Each racer r adds r + 1 per round, half of them to "odd", half to "even": 75 * (1+2+3+4).
  EXPECT_EQ(obs.at("odd"), 750) << reread_lock;
  EXPECT_EQ(obs.at("even"), 750) << reread_lock;
}

TEST(Leaderboard, AddScoreWaitsWhileAnotherProcessHoldsTheLock) {
  const auto obs = in_student([] {
    mp::Manager manager;
    const Scores scores = manager.dict<std::string, std::int64_t>();
    const mp::LockProxy lock = manager.lock();
    add_score(scores, lock, "warm-up", 1);
    mp::Connection held_r, held_w, release_r, release_w, done_r, done_w;
    std::tie(held_r, held_w) = mp::Pipe(false);
    std::tie(release_r, release_w) = mp::Pipe(false);
    std::tie(done_r, done_w) = mp::Pipe(false);
    mp::Process holder([&] {
      held_r.close(), release_w.close(), done_r.close(), done_w.close();
      mp::LockProxy mine = lock;
      mine.acquire();
      held_w.send(true);
      if (!release_r.poll(scaled(10s))) mp::exit(3);
      mine.release();
    });
    holder.start();
    held_w.close(), release_r.close();
    Observations o;
    o["holder took the lock"] = held_r.poll(scaled(10s)) ? 1 : 0;
    mp::Process adder([&, scores, lock] {
      held_r.close(), release_w.close(), done_r.close();
      add_score(scores, lock, "alice", 5);
      done_w.send(true);
    });
    adder.start();
    done_w.close();
    o["done while the lock was held"] = done_r.poll(300ms) ? 1 : 0;
    release_w.send(true);
    o["done after the release"] = done_r.poll(scaled(10s)) ? 1 : 0;
    o["holder ok"] = holder.join(scaled(10s)) && holder.exitcode() == 0 ? 1 : 0;
    o["adder ok"] = adder.join(scaled(10s)) && adder.exitcode() == 0 ? 1 : 0;
    for (mp::Process* p : {&holder, &adder}) {
      if (p->is_alive()) p->kill();
      p->join();
    }
    o["alice"] = scores.get("alice").value_or(0);
    return o;
  });
  ASSERT_EQ(obs.at("holder took the lock"), 1) << "test bug: the holder did not start";
  EXPECT_EQ(obs.at("done while the lock was held"), 0)
      << "add_score finished while another process held the lock: " << reread_lock;
  EXPECT_EQ(obs.at("done after the release"), 1) << "add_score did not finish once the lock was free";
  EXPECT_EQ(obs.at("adder ok"), 1) << "add_score threw in a child process";
  EXPECT_EQ(obs.at("alice"), 5);
}

TEST(Leaderboard, AddScoreWorksWithProxiesReceivedThroughAPipe) {
  const auto obs = in_student([] {
    mp::Connection r, w;
    std::tie(r, w) = mp::Pipe(false);
    mp::Process child([&r, &w] {  // forked BEFORE the manager exists
      w.close();
      if (!r.poll(scaled(10s))) mp::exit(3);
      const auto scores = r.recv<Scores>();
      const auto lock = r.recv<mp::LockProxy>();
      for (int i = 0; i < 10; ++i) add_score(scores, lock, "carol", 2);
    });
    child.start();
    r.close();
    mp::Manager manager;
    const Scores scores = manager.dict<std::string, std::int64_t>();
    const mp::LockProxy lock = manager.lock();
    w.send(scores);
    w.send(lock);
    Observations o;
    o["child ok"] = child.join(scaled(20s)) && child.exitcode() == 0 ? 1 : 0;
    if (child.is_alive()) child.kill();
    child.join();
    o["carol"] = scores.get("carol").value_or(0);
    return o;
  });
  EXPECT_EQ(obs.at("child ok"), 1) << "add_score must work in a process that got the proxies through a pipe";
  EXPECT_EQ(obs.at("carol"), 20);
}

TEST(Leaderboard, AddScoreRaisesProcessErrorWhenTheManagerIsGone) {
  EXPECT_EQ(raised_by([] {
              mp::Manager manager;
              const Scores scores = manager.dict<std::string, std::int64_t>();
              const mp::LockProxy lock = manager.lock();
              manager.shutdown();
              add_score(scores, lock, "dave", 1);
            }),
            "mp::ProcessError")
      << "let the proxies' mp::ProcessError through";
}

// ---------------------------------------------------------------- leaderboard

TEST(Leaderboard, SumsEveryWorkersGames) {
  const std::vector<Games> games = make_games(4, 120, 6);
  const Totals got = in_student([&] { return leaderboard(games, scaled(60s)); });
  EXPECT_EQ(got, totals_of(games)) << "every game of every worker counted once: " << reread_lock;
}

TEST(Leaderboard, ManyWorkersAtOnce) {
  const std::vector<Games> games = make_games(12, 30, 7);
  const Totals got = in_student([&] { return leaderboard(games, scaled(60s)); });
  EXPECT_EQ(got, totals_of(games));
}

TEST(Leaderboard, NoGames) {
  const Totals none = in_student([] { return leaderboard({}, scaled(10s)); });
  EXPECT_TRUE(none.empty()) << "no worker, no score";
  const Totals empty = in_student([] { return leaderboard({Games{}, Games{}}, scaled(10s)); });
  EXPECT_TRUE(empty.empty()) << "workers with no games add no player";
}

TEST(Leaderboard, ADeadlineShorterThanTheWorkIsATimeoutError) {
  const std::vector<Games> games = make_games(4, 3000, 8);  // 12 000 locked updates: far more than 1 ms
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(raised_by([&] { (void)leaderboard(games, 1ms); }, scaled(20s)), "mp::TimeoutError")
      << "join the workers under ONE deadline, kill those still running, and throw mp::TimeoutError";
  EXPECT_LT(std::chrono::steady_clock::now() - start, scaled(10s)) << "return soon after the deadline";
}

}  // namespace
