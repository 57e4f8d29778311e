// The runtime's spin-waiting (mp/detail/spin.hpp): a spin ends when ready,
// when its budget runs out, or when the spinner finds it lost its core; a
// site that was preempted spins short until the machine has been calm.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "mp/detail/spin.hpp"

namespace {

using namespace std::chrono_literals;
using mp::detail::SpinBudget;
using mp::detail::SpinEnd;
using Clock = std::chrono::steady_clock;

TEST(Spin, EndsWhenReadyOrWhenTheBudgetRunsOut) {
  int polls = 0;
  EXPECT_EQ(mp::detail::spin_for([&] { return ++polls == 40; }, 1s), SpinEnd::ready);
  EXPECT_EQ(polls, 40);
  const auto t0 = Clock::now();
  EXPECT_EQ(mp::detail::spin_for([] { return false; }, 50us), SpinEnd::timed_out);
  EXPECT_GE(Clock::now() - t0, 50us);
  EXPECT_EQ(mp::detail::spin_for([] { return false; }, 1s, Clock::now() + 50us), SpinEnd::timed_out)
      << "the limit comes first";
}

TEST(Spin, ASpinnerThatLostItsCoreStops) {
  // The poll that takes a time slice's length stands for a preemption: the
  // spin must end there, long before its budget.
  int polls = 0;
  const auto t0 = Clock::now();
  const SpinEnd end = mp::detail::spin_for(
      [&] {
        if (++polls == 20) std::this_thread::sleep_for(2 * mp::detail::preempted_gap);
        return false;
      },
      10s);
  EXPECT_EQ(end, SpinEnd::preempted);
  EXPECT_LT(Clock::now() - t0, 5s);
}

TEST(Spin, APreemptedSiteSpinsShortUntilCalm) {
  SpinBudget budget(32us);
  const auto t = Clock::now();
  EXPECT_EQ(budget.next(t), 32us);
  budget.record(SpinEnd::timed_out, t);
  EXPECT_EQ(budget.next(t), 32us) << "running out is not a reason to spin less";
  budget.record(SpinEnd::preempted, t);
  EXPECT_EQ(budget.next(t + 1ms), 1us);
  EXPECT_EQ(budget.next(t + SpinBudget::calm + 1ms), 32us);
}

}  // namespace
