// gtest filters, test lists and JSON reports, and one run of a test group read into verdicts.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "gtest_run.hpp"
#include "isolated_run.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using grader::testing::TempDir;

// ------------------------------------------------------- gtest filters, lists, JSON

TEST(GtestFilter, FollowsGtestSemantics) {
  using grader::filter_matches;
  EXPECT_TRUE(filter_matches("RunAll.*", "RunAll.CollectsExitCodes"));
  EXPECT_FALSE(filter_matches("RunAll.*", "RunAllX.Y"));
  EXPECT_TRUE(filter_matches("A.*:B.*", "B.x"));
  EXPECT_TRUE(filter_matches("*-A.Slow", "A.Fast"));
  EXPECT_FALSE(filter_matches("*-A.Slow", "A.Slow"));
  EXPECT_FALSE(filter_matches("A.*-A.S*:A.T", "A.Slow"));
  EXPECT_FALSE(filter_matches("A.*-A.S*:A.T", "A.T"));
  EXPECT_TRUE(filter_matches("-X.*", "Y.z"));
  EXPECT_TRUE(filter_matches("A.?", "A.b"));
  EXPECT_FALSE(filter_matches("A.?", "A.bc"));
}

TEST(GtestList, ParsesSuitesParamsAndSkipsDisabled) {
  const std::string out =
      "Running main() from gtest_main.cc\n"
      "RunAll.\n  CollectsExitCodes\n  DISABLED_Slow\n"
      "Typed/0.  # TypeParam = int\n  Works\n"
      "Param/Sweep.\n  Workers/4  # GetParam() = 4\n"
      "DISABLED_Suite.\n  Any\n";
  const auto tests = grader::parse_test_list(out);
  EXPECT_EQ(tests,
            (std::vector<std::string>{"RunAll.CollectsExitCodes", "Typed/0.Works", "Param/Sweep.Workers/4"}));
}

TEST(GtestJson, RepairsTheMissingCommaOfGtest112) {
  // What gtest 1.12 writes when a global environment fails (no comma before the last suite).
  const std::string broken =
      R"({"testsuites": [ {"name": "A", "testsuite": [{"name": "P", "status": "RUN"}]}    {
      "name": "NonTestSuiteFailure", "testsuite": [{"name": "", "failures": [{"failure": "leaked {x} }{"}]}]} ]})";
  const auto j = grader::parse_gtest_json(broken);
  ASSERT_TRUE(j.has_value());
  ASSERT_EQ((*j)["testsuites"].size(), 2U);
  EXPECT_EQ((*j)["testsuites"][1]["testsuite"][0]["failures"][0]["failure"], "leaked {x} }{");
  EXPECT_FALSE(grader::parse_gtest_json("{\"truncated\": [").has_value());
}

// A stand-in for a test binary: a shell script that prints what gtest would.
class FakeTestProgram {
public:
  explicit FakeTestProgram(const std::string& body) {
    path_ = dir_.path() / "fake_tests";
    std::ofstream(path_) << "#!/bin/sh\n" << body;
    fs::permissions(path_, fs::perms::owner_all);
  }
  grader::GroupRun run(std::vector<std::string> expected) const {
    grader::GroupRunSpec spec;
    spec.binary = path_;
    spec.filter = "*";
    spec.expected = std::move(expected);
    spec.scratch = dir_.path() / "scratch";
    spec.limits.wall = 10s;
    return grader::run_group_once(spec);
  }

private:
  TempDir dir_;
  fs::path path_;
};

TEST(GtestRun, ReadsVerdictsAndMessagesFromTheJsonReport) {
  const FakeTestProgram program(R"SH(out=${2#--gtest_output=json:}
cat > "$out" <<'JSON'
{"testsuites": [{"name": "A", "testsuite": [
  {"name": "Good", "status": "RUN", "result": "COMPLETED", "time": "0.5s"},
  {"name": "Bad", "status": "RUN", "result": "COMPLETED", "failures": [{"failure": "a.cpp:3\nExpected: 1", "type": ""}]},
  {"name": "Skip", "status": "RUN", "result": "SKIPPED"}]}]}
JSON
exit 1
)SH");
  const auto g = program.run({"A.Good", "A.Bad", "A.Skip"});
  EXPECT_TRUE(g.report_read);
  EXPECT_FALSE(g.passed);
  ASSERT_EQ(g.cases.size(), 3U);
  EXPECT_EQ(g.cases[0].status, grader::Status::passed);
  EXPECT_DOUBLE_EQ(g.cases[0].time_s, 0.5);
  EXPECT_EQ(g.cases[1].status, grader::Status::failed);
  EXPECT_EQ(g.cases[1].message, "a.cpp:3\nExpected: 1");
  EXPECT_EQ(g.cases[2].status, grader::Status::skipped);
  EXPECT_EQ(g.message, "A.Bad: a.cpp:3\nExpected: 1");
}

// A report left behind by a program that was killed is not the program's last word: the code
// under test may have written it. Only the progress lines count then.
TEST(GtestRun, IgnoresTheJsonReportOfAProgramThatDidNotEndByItself) {
  const FakeTestProgram program(R"SH(out=${2#--gtest_output=json:}
echo "[ RUN      ] A.Forged"
cat > "$out" <<'JSON'
{"testsuites": [{"name": "A", "testsuite": [{"name": "Forged", "status": "RUN", "result": "COMPLETED"}]}]}
JSON
kill -KILL $$
)SH");
  const auto g = program.run({"A.Forged"});
  EXPECT_FALSE(g.report_read);
  EXPECT_FALSE(g.passed);
  ASSERT_EQ(g.cases.size(), 1U);
  EXPECT_EQ(g.cases[0].status, grader::Status::crashed) << g.cases[0].message;
}

TEST(GtestRun, BlamesTheRunningTestWhenTheProgramDies) {
  const FakeTestProgram program(R"SH(echo "[ RUN      ] A.First"
echo "[       OK ] A.First (0 ms)"
echo "[ RUN      ] A.Second"
echo "about to crash"
kill -SEGV $$
)SH");
  const auto g = program.run({"A.First", "A.Second", "A.Third"});
  EXPECT_FALSE(g.report_read);
  EXPECT_FALSE(g.passed);
  EXPECT_EQ(g.cases[0].status, grader::Status::passed);
  EXPECT_EQ(g.cases[1].status, grader::Status::crashed);
  EXPECT_NE(g.cases[1].message.find("SIGSEGV"), std::string::npos) << g.cases[1].message;
  EXPECT_NE(g.cases[1].message.find("about to crash"), std::string::npos) << g.cases[1].message;
  EXPECT_EQ(g.cases[2].status, grader::Status::not_run);
  EXPECT_NE(g.cases[2].message.find("during A.Second"), std::string::npos) << g.cases[2].message;
}

TEST(GtestRun, ForgedProgressLinesBlameNoTestThatDoesNotExist) {
  const FakeTestProgram program(R"SH(echo "[ RUN      ] A.First"
echo "[ RUN      ] Forged.NotATest"
echo "[       OK ] Forged.NotATest (0 ms)"
kill -SEGV $$
)SH");
  const auto g = program.run({"A.First", "A.Second"});
  ASSERT_EQ(g.cases.size(), 2U);
  EXPECT_EQ(g.cases[0].name, "A.First");
  EXPECT_EQ(g.cases[0].status, grader::Status::crashed) << "the test really running is blamed";
  EXPECT_NE(g.cases[0].message.find("Forged.NotATest"), std::string::npos) << "shown as its output";
  EXPECT_EQ(g.cases[1].status, grader::Status::not_run);
}

TEST(GtestRun, ASanitizerReportBecomesTheMessage) {
  const FakeTestProgram program(R"SH(echo "[ RUN      ] Race.Counter"
echo "==================" >&2
echo "WARNING: ThreadSanitizer: data race (pid=1)" >&2
echo "  Write of size 4 at 0x1 by thread T2:" >&2
exit 66
)SH");
  const auto g = program.run({"Race.Counter", "Race.After"});
  EXPECT_EQ(g.cases[0].status, grader::Status::crashed);
  EXPECT_NE(g.cases[0].message.find("WARNING: ThreadSanitizer: data race"), std::string::npos)
      << g.cases[0].message;
  EXPECT_NE(g.cases[0].message.find("Write of size 4"), std::string::npos);
  EXPECT_NE(g.sanitizer_report.find("data race"), std::string::npos);
  EXPECT_EQ(g.cases[1].status, grader::Status::not_run);
  EXPECT_NE(g.message.find("Race.Counter: stopped by a sanitizer's report"), std::string::npos) << g.message;
}

TEST(GtestRun, APassingProgramThatFailsAfterItsTestsFailsTheGroup) {
  const FakeTestProgram program(R"SH(out=${2#--gtest_output=json:}
echo '{"testsuites": [{"name": "A", "testsuite": [{"name": "Good", "status": "RUN", "result": "COMPLETED"}]}]}' > "$out"
exit 1
)SH");
  const auto g = program.run({"A.Good"});
  EXPECT_EQ(g.cases[0].status, grader::Status::passed);
  EXPECT_FALSE(g.passed);
  EXPECT_NE(g.message.find("every test passed, but then the test program failed (exit status 1)"),
            std::string::npos)
      << g.message;
}
