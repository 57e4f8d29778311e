// mp_soak: the randomized kill soak (see soak.hpp). Prints one line per
// primitive and exits 1 when any iteration hung, lost an item, broke a
// promise or left something behind.
//
//   mp_soak [--primitive lock|rlock|queue|event|barrier|all] [--iterations N] [--seed S]
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <string_view>
#include <thread>

#include "soak.hpp"
#include "test_support.hpp"

namespace mp::soak {

std::vector<int> Run::pick(int n, int k) {
  std::vector<int> all(static_cast<std::size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(static_cast<std::size_t>(k));
  return all;
}

void Run::random_pause(int max_us) {
  std::this_thread::sleep_for(std::chrono::microseconds(uniform(0, max_us)));
}

void Run::kill(mp::Process& victim) {
  victim.kill();
  if (!victim.join(deadline)) {
    ++tally.hangs;  // SIGKILL always ends a process: a child we cannot reap is a bug of ours
    return;
  }
  if (victim.exitcode() == -SIGKILL) ++tally.kills;  // not already done when the kill came
}

bool Run::join_survivors(std::vector<mp::Process*> survivors, const char* what) {
  const auto t0 = std::chrono::steady_clock::now();
  const mp::Deadline until{mp::Timeout(deadline)};
  bool ok = true;
  for (mp::Process* p : survivors) {
    if (p->join(mp::Timeout(std::max(until.remaining(), std::chrono::nanoseconds(0))))) continue;
    std::fprintf(stderr, "soak: a %s (pid %d) was not done %lld ms after the kills: hung\n", what,
                 static_cast<int>(*p->pid()), static_cast<long long>(deadline.count()));
    p->kill();
    (void)p->join(mp::Timeout(deadline));
    ++tally.hangs;
    ok = false;
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  tally.worst_recovery_ms = std::max(tally.worst_recovery_ms, ms);
  return ok;
}

void Run::check_leaks() {
  tally.leaks += static_cast<int>(mp::testing::leaked_segments().size() + mp::active_children().size());
}

}  // namespace mp::soak

namespace {

using mp::soak::Run;

struct Scenario {
  const char* name;
  void (*iteration)(Run&);
};

constexpr Scenario scenarios[] = {
    {"lock", [](Run& r) { mp::soak::lock_iteration(r, false); }},
    {"rlock", [](Run& r) { mp::soak::lock_iteration(r, true); }},
    {"queue", mp::soak::queue_iteration},
    {"event", mp::soak::event_iteration},
    {"barrier", mp::soak::barrier_iteration},
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(
      stderr,
      "mp_soak: %s\nusage: mp_soak [--primitive lock|rlock|queue|event|barrier|all] [--iterations N] "
      "[--seed S]\n",
      why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string which = "all";
  int iterations = 1000;
  unsigned long long seed = std::random_device{}();
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) usage("every option takes a value");
    const char* value = argv[++i];
    if (arg == "--primitive") {
      which = value;
    } else if (arg == "--iterations") {
      iterations = std::atoi(value);
      if (iterations <= 0) usage("--iterations must be a positive number");
    } else if (arg == "--seed") {
      seed = std::strtoull(value, nullptr, 10);
    } else {
      usage("unknown option");
    }
  }
  // Survivors' deadline after the kills: long beside the 50 ms re-check and
  // the barrier's 1 s timeout, short beside "forever". MP_TEST_TIME_SCALE
  // stretches it under the sanitizers, as for the tests.
  const auto deadline = mp::testing::scaled(std::chrono::milliseconds(5000));

  bool clean = true;
  bool matched = false;
  for (const Scenario& s : scenarios) {
    if (which != "all" && which != s.name) continue;
    matched = true;
    Run run{std::mt19937_64(seed), {}, deadline};
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) {
      s.iteration(run);
      run.check_leaks();
      ++run.tally.iterations;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto& t = run.tally;
    std::printf(
        "soak %-7s seed %llu: %d iterations, %d kills: %d hangs, %d losses, %d violations, %d leaks "
        "(%d losses reported by mp::Error, %d owner-died takeovers, slowest recovery %.0f ms) in %.1f s\n",
        s.name, seed, t.iterations, t.kills, t.hangs, t.losses, t.violations, t.leaks, t.reported,
        t.owner_died, t.worst_recovery_ms, secs);
    std::fflush(stdout);
    clean = clean && t.clean();
  }
  if (!matched) usage("unknown primitive");
  return clean ? 0 : 1;
}
