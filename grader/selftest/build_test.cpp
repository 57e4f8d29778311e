// Builds: the compiler's first errors for a student, shell quoting, sanitizer trees.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "build.hpp"
#include "sanitizer.hpp"

namespace fs = std::filesystem;

// ---------------------------------------------------------------- builds

TEST(Build, FirstErrorsKeepTheErrorAndItsContextOnly) {
  const std::string log =
      "[ 10%] Building CXX object grader/CMakeFiles/x.dir/a.cpp.o\n"
      "/src/exercises/01-processes/run_all.cpp: In function 'int f()':\n"
      "/src/exercises/01-processes/run_all.cpp:3:11: error: invalid conversion from 'const char*' to 'int'\n"
      "    3 |   int x = \"seven\";\n"
      "gmake[2]: *** [x] Error 1\n"
      "/src/exercises/01-processes/run_all.cpp:4:11: error: expected ';'\n";
  const std::string e = grader::first_errors(log, 25, "/src/");
  EXPECT_EQ(e.rfind("exercises/01-processes/run_all.cpp: In function", 0), 0U) << e;
  EXPECT_NE(e.find("run_all.cpp:3:11: error: invalid conversion"), std::string::npos) << e;
  EXPECT_NE(e.find("expected ';'"), std::string::npos) << e;
  EXPECT_EQ(e.find("gmake"), std::string::npos) << e;
  EXPECT_EQ(e.find("[ 10%]"), std::string::npos) << e;
  EXPECT_EQ(e.find("/src/"), std::string::npos) << e;
  const std::string cut = grader::first_errors(log, 2, "/src/");
  EXPECT_NE(cut.find("(2 more lines)"), std::string::npos) << cut;
}

TEST(Build, LinkErrorsAreErrorsToo) {
  const std::string e = grader::first_errors(
      "noise\n/usr/bin/ld: a.o: undefined reference to `f()'\ncollect2: error: ld returned 1 exit status\n");
  EXPECT_EQ(e.rfind("/usr/bin/ld: a.o: undefined reference", 0), 0U) << e;
}

TEST(Build, ShellJoinQuotesWhatAShellWouldExpand) {
  EXPECT_EQ(grader::shell_join({"bin/t", "--gtest_filter=RunAll.*", "it's"}),
            "bin/t '--gtest_filter=RunAll.*' 'it'\\''s'");
  EXPECT_EQ(grader::shell_join({"cmake", "--build", "build/dev"}), "cmake --build build/dev");
}

TEST(Sanitizer, ThreadSanitizerRunsUseTheRuntimesSuppressions) {
  const auto tsan = grader::sanitizer_profile("thread", GRADER_TEST_SOURCE_DIR);
  EXPECT_EQ(tsan.label, "ThreadSanitizer");
  EXPECT_EQ(tsan.time_scale, 5);
  std::string options;
  for (const auto& [k, v] : tsan.env)
    if (k == "TSAN_OPTIONS") options = v;
  const auto at = options.find("suppressions=");
  ASSERT_NE(at, std::string::npos) << options;
  const std::string file = options.substr(at + 13, options.find(':', at) - at - 13);
  EXPECT_TRUE(fs::exists(file)) << file;
  EXPECT_NE(tsan.repro_prefix().find("TSAN_OPTIONS="), std::string::npos);
  EXPECT_TRUE(grader::sanitizer_profile("", "/").none());
  EXPECT_EQ(grader::sanitizer_profile("", "/").time_scale, 1);
  EXPECT_THROW((void)grader::sanitizer_profile("memory", "/"), std::invalid_argument);
}

TEST(Build, SanitizerTreesSitBesideTheBuildTree) {
  EXPECT_EQ(grader::sanitizer_build_dir("/w/build/dev", grader::sanitizer_profile("thread", "/w")),
            fs::path("/w/build/dev-tsan"));
  EXPECT_EQ(grader::sanitizer_build_dir("/w/build/dev/", grader::sanitizer_profile("address", "/w")),
            fs::path("/w/build/dev-asan"));
  EXPECT_FALSE(grader::is_build_tree("/nonexistent"));
}
