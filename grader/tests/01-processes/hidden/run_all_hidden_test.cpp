// Lesson 01, exercise 1: run_all, the tests students do not see (`hidden = true` in the
// manifest; ./course export-student leaves this folder out). The same contract as
// ../run_all_test.cpp, with other inputs: code that was written to the visible tests'
// values, rather than to the contract, fails here.
#include <csignal>
#include <functional>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include <mp/process.hpp>

#include "run_all.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using mp::testing::in_student;
using mp::testing::scaled;
using Functions = std::vector<std::function<void()>>;

std::vector<int> run_all_codes(const Functions& fns) {
  return in_student([&] { return lesson01::run_all(fns, scaled(20s)); });
}

TEST(RunAllHidden, FortyChildrenEachWithItsOwnEnd) {
  Functions fns;
  std::vector<int> expected;
  for (int i = 0; i < 40; ++i) {
    if (i % 10 == 3) {
      fns.emplace_back([] { throw std::runtime_error("hidden"); });
      expected.push_back(1);
    } else if (i % 10 == 7) {
      fns.emplace_back([] { ::raise(SIGTERM); });
      expected.push_back(-SIGTERM);
    } else {
      fns.emplace_back([i] { mp::exit(i); });
      expected.push_back(i);
    }
  }
  EXPECT_EQ(run_all_codes(fns), expected);
}

TEST(RunAllHidden, ExitCodesUpTo255ArePassedOn) {
  const Functions fns = {[] { mp::exit(255); }, [] { mp::exit(128); }, [] { mp::exit(200); }};
  EXPECT_EQ(run_all_codes(fns), (std::vector<int>{255, 128, 200}));
}

}  // namespace
