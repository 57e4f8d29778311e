#pragma once
// What the tests of the `grader` program on the fixture course share: the
// arguments that point it at the fixtures, and small helpers.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace grader::testing {

/// --manifest, --build-dir, --source-dir of the fixture course, and no colours.
inline const std::vector<std::string> common_args{
    "--manifest",   GRADER_FIXTURE_MANIFEST, "--build-dir", GRADER_TEST_BUILD_DIR,
    "--source-dir", GRADER_TEST_SOURCE_DIR,  "--color",     "never"};

/// `a` followed by common_args.
inline std::vector<std::string> args(std::vector<std::string> a) {
  a.insert(a.end(), common_args.begin(), common_args.end());
  return a;
}

/// A whole file ("" when it cannot be read).
inline std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace grader::testing

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)
