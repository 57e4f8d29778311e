// main() of every lesson's test program (lessonNN_tests): GoogleTest, run as
// the trusted parent of the student's code (student_code.hpp), with the leak
// check after all tests and, when the grader asks, a perturbed schedule
// (perturbation.hpp).
#include <gtest/gtest.h>

#include "perturbation.hpp"
#include "student_code.hpp"
#include "test_support.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  mp::testing::prepare_trusted_parent(-1);
  mp::testing::perturb_from_environment();
  ::testing::AddGlobalTestEnvironment(mp::testing::leak_check_environment());  // gtest owns it
  return RUN_ALL_TESTS();
}
