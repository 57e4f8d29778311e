// main() of every lesson's test program (lessonNN_tests): GoogleTest, run as
// the trusted parent of the student's code (student_code.hpp), with the leak
// check after all tests.
#include <gtest/gtest.h>

#include "student_code.hpp"
#include "test_support.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  mp::testing::prepare_trusted_parent(-1);
  ::testing::AddGlobalTestEnvironment(mp::testing::leak_check_environment());  // gtest owns it
  return RUN_ALL_TESTS();
}
