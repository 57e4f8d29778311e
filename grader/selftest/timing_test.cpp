// The timing statistics: medians, bootstrap intervals, verdicts and credit.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "timing.hpp"

// ---------------------------------------------------------------- statistics

TEST(Timing, MedianOfOddAndEvenSamples) {
  EXPECT_DOUBLE_EQ(grader::median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(grader::median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(grader::median({}), 0);
}

TEST(Timing, SameDistributionsGiveAnIntervalAroundOne) {
  const std::vector<double> a{100, 103, 98, 101, 99, 102, 97};
  const std::vector<double> b{101, 99, 100, 98, 103, 102, 97};
  const auto e = grader::ratio_of_medians(a, b);
  EXPECT_NEAR(e.ratio, 1.0, 0.02);
  EXPECT_LE(e.lo, 1.0);
  EXPECT_GE(e.hi, 1.0);
  EXPECT_EQ(grader::decide(e, 1.5), grader::Verdict::fast);
  EXPECT_EQ(grader::decide(e, 1.0), grader::Verdict::undecided);
}

TEST(Timing, ClearlySlowerIsSlowAndNoisyIsUndecided) {
  const std::vector<double> slow{300, 310, 305, 295, 302};
  const std::vector<double> ref{100, 101, 99, 102, 98};
  const auto e = grader::ratio_of_medians(slow, ref);
  EXPECT_NEAR(e.ratio, 3.0, 0.1);
  EXPECT_GT(e.lo, 1.5);
  EXPECT_EQ(grader::decide(e, 1.5), grader::Verdict::slow);
  // Half the student's samples fast, half slow: the interval straddles 1.5.
  const std::vector<double> noisy{100, 200, 110, 190, 150, 105, 195};
  const auto n = grader::ratio_of_medians(noisy, ref);
  EXPECT_EQ(grader::decide(n, 1.5), grader::Verdict::undecided) << n.lo << " " << n.hi;
  // The same samples give the same interval (fixed seed).
  const auto again = grader::ratio_of_medians(noisy, ref);
  EXPECT_DOUBLE_EQ(n.lo, again.lo);
  EXPECT_DOUBLE_EQ(n.hi, again.hi);
}

TEST(Timing, CreditIsPiecewiseLinear) {
  EXPECT_DOUBLE_EQ(grader::timing_credit(0.5, 1.5, 2.0), 1);
  EXPECT_DOUBLE_EQ(grader::timing_credit(1.5, 1.5, 2.0), 1);
  EXPECT_DOUBLE_EQ(grader::timing_credit(2.25, 1.5, 2.0), 0.5);
  EXPECT_DOUBLE_EQ(grader::timing_credit(3.0, 1.5, 2.0), 0);
  EXPECT_DOUBLE_EQ(grader::timing_credit(10, 1.5, 2.0), 0);
}

TEST(Timing, BenchmarkFilterAdmitsGoogleBenchmarkSuffixes) {
  EXPECT_EQ(grader::benchmark_filter("BM_RunAll"), "^BM_RunAll(/.*)?$");
  EXPECT_EQ(grader::benchmark_filter("BM_X<int>/8"), "^BM_X<int>/8(/.*)?$");
  EXPECT_EQ(grader::benchmark_filter("a.b"), "^a\\.b(/.*)?$");
  EXPECT_GE(grader::available_cores(), 1);
}
