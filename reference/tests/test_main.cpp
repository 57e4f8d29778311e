// main() of every runtime test suite: GoogleTest, plus a check after all tests
// that nothing leaked (mp::testing::leak_check_environment()).

#include <gtest/gtest.h>

#include "test_support.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(mp::testing::leak_check_environment());  // gtest owns it
  return RUN_ALL_TESTS();
}
