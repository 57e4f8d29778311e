// The grader's parts, one by one: manifest, test filters and reports,
// statistics, builds' error extraction, isolated runs, report writers, the
// command line, hints. Fast (a few seconds), no build tree needed.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>
#include <pugixml.hpp>

#include "build.hpp"
#include "cli.hpp"
#include "gtest_run.hpp"
#include "hints.hpp"
#include "isolated_run.hpp"
#include "manifest.hpp"
#include "report.hpp"
#include "results.hpp"
#include "temp_dir.hpp"
#include "terminal.hpp"
#include "timing.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using grader::ManifestError;

namespace {

using grader::testing::TempDir;

// As in the grader's main(): orphans of a run are adopted, and reaped, by us.
const bool subreaper = (grader::enable_child_subreaper(), true);

// The example of the contract between the lessons and the grader.
constexpr const char* contract_example = R"(
[course]
title = "Concurrency and parallelism in C++20, for Python programmers"
timing_zero_at = 2.0

[[lessons]]
id = "01"
dir = "01-processes"
title = "Processes"

  [[lessons.exercises]]
  id = "run_all"
  title = "Run N functions in N processes and collect their exit codes"
  kind = "use"
  files = ["exercises/01-processes/run_all.cpp"]
  section = "lessons/01-processes/README.md#exercise-1-run_all"
  hints = ["first hint ...", "second hint ...", "third hint ..."]

    [[lessons.exercises.tests]]
    name = "correctness"
    filter = "RunAll.*"
    points = 6
    runs = 3
    timeout_s = 30

    [[lessons.exercises.timing]]
    name = "speed vs reference"
    benchmark = "BM_RunAll"
    kind = "ratio"
    threshold = 1.5
    points = 2

    [[lessons.exercises.timing]]
    name = "speed-up"
    benchmark = "BM_RunAllParallel"
    kind = "speedup"
    baseline = "BM_RunAllSerial"
    threshold_per_core = 0.8
    max_workers = 4
    points = 1
)";

std::string manifest_error(const std::string& text) {
  try {
    (void)grader::parse_manifest(text, "m.toml");
  } catch (const ManifestError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string minimal(const std::string& group_extra = "", const std::string& exercise_extra = "") {
  return "[course]\ntitle = \"t\"\n[[lessons]]\nid = \"01\"\ndir = \"01-x\"\n[[lessons.exercises]]\nid = "
         "\"e\"\n" +
         exercise_extra + "[[lessons.exercises.tests]]\nname = \"g\"\nfilter = \"E.*\"\npoints = 1\n" +
         group_extra;
}

grader::RunResult sh(const std::string& script, grader::RunLimits limits = {}) {
  grader::RunSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.limits = limits;
  return grader::run_isolated(spec);
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

}  // namespace

// ---------------------------------------------------------------- manifest

TEST(Manifest, ReadsTheContractExample) {
  const grader::Course c = grader::parse_manifest(contract_example, "course.toml");
  EXPECT_EQ(c.title, "Concurrency and parallelism in C++20, for Python programmers");
  EXPECT_DOUBLE_EQ(c.timing_zero_at, 2.0);
  ASSERT_EQ(c.lessons.size(), 1U);
  const grader::Lesson& l = c.lessons[0];
  EXPECT_EQ(l.tests_target, "lesson01_tests");
  EXPECT_EQ(l.bench_target, "lesson01_bench");
  ASSERT_EQ(l.exercises.size(), 1U);
  const grader::Exercise& e = l.exercises[0];
  EXPECT_EQ(e.id, "run_all");
  EXPECT_EQ(e.kind, "use");
  EXPECT_EQ(e.hints.size(), 3U);
  ASSERT_EQ(e.tests.size(), 1U);
  EXPECT_EQ(e.tests[0].filter, "RunAll.*");
  EXPECT_EQ(e.tests[0].runs, 3);
  EXPECT_DOUBLE_EQ(e.tests[0].points, 6);
  ASSERT_EQ(e.timing.size(), 2U);
  EXPECT_EQ(e.timing[0].kind, grader::TimingCase::Kind::ratio);
  EXPECT_DOUBLE_EQ(e.timing[0].threshold, 1.5);
  EXPECT_EQ(e.timing[1].kind, grader::TimingCase::Kind::speedup);
  EXPECT_EQ(e.timing[1].baseline, "BM_RunAllSerial");
  EXPECT_EQ(e.timing[1].max_workers, 4);
  EXPECT_DOUBLE_EQ(c.max_points(), 9);
  EXPECT_EQ(c.find_lesson("01"), &l);
  EXPECT_EQ(c.find_lesson("01-processes"), &l);
  EXPECT_EQ(c.find_lesson("lesson01"), &l);
  EXPECT_EQ(c.find_lesson("02"), nullptr);
  EXPECT_EQ(c.find_exercise("run_all"), &e);
}

TEST(Manifest, AppliesDefaults) {
  const grader::Course c = grader::parse_manifest(minimal(), "m.toml");
  const auto& g = c.lessons[0].exercises[0].tests[0];
  EXPECT_EQ(g.runs, 2);
  EXPECT_DOUBLE_EQ(g.timeout_s, 30);
  EXPECT_EQ(c.binary_dir, "grader/lessons");
  EXPECT_EQ(c.lessons[0].exercises[0].kind, "use");
}

TEST(Manifest, RejectsAnUnknownKeyWithItsLine) {
  const std::string e = manifest_error(minimal("point = 6\n"));
  EXPECT_NE(e.find("m.toml:12:"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'point'"), std::string::npos) << e;
}

TEST(Manifest, RejectsMissingAndMistypedKeys) {
  EXPECT_NE(manifest_error("[course]\ntitle = 3\n").find("'title' must be a string"), std::string::npos);
  EXPECT_NE(manifest_error("[[lessons]]\nid = \"01\"\n").find("missing the [course] table"),
            std::string::npos);
  EXPECT_NE(manifest_error(minimal("runs = 0\n")).find("'runs' must be between"), std::string::npos);
  EXPECT_NE(manifest_error(minimal("timeout_s = -1\n")).find("'timeout_s' must be > 0"), std::string::npos);
  EXPECT_NE(manifest_error(minimal("", "kind = \"watch\"\n")).find("\"use\" or \"build\""),
            std::string::npos);
  EXPECT_NE(manifest_error("[course]\ntitle = \"t\"\n").find("no [[lessons]]"), std::string::npos);
}

TEST(Manifest, RejectsDuplicateExerciseIds) {
  std::string text = minimal();
  text +=
      "[[lessons]]\nid = \"02\"\ndir = \"02-y\"\n[[lessons.exercises]]\nid = \"e\"\n"
      "[[lessons.exercises.tests]]\nname = \"g\"\nfilter = \"E.*\"\npoints = 1\n";
  EXPECT_NE(manifest_error(text).find("exercise id 'e' is used twice"), std::string::npos);
}

TEST(Manifest, RejectsASpeedupWithoutBaseline) {
  const std::string text = minimal(
      "[[lessons.exercises.timing]]\nname = \"s\"\nbenchmark = \"BM\"\n"
      "kind = \"speedup\"\nthreshold_per_core = 0.8\npoints = 1\n");
  EXPECT_NE(manifest_error(text).find("missing key 'baseline'"), std::string::npos) << manifest_error(text);
}

TEST(Manifest, ReportsSyntaxErrorsWithLineAndColumn) {
  const std::string e = manifest_error("[course]\ntitle = \"t\n");
  EXPECT_EQ(e.rfind("m.toml:2:", 0), 0U) << e;
}

TEST(Manifest, ReadsLimitsAndTargetOverrides) {
  std::string text = minimal();
  text.insert(text.find("[[lessons]]"),
              "binary_dir = \"x/y\"\n[course.limits]\nmax_processes = 9\noutput_kb = 3\n");
  text.insert(text.find("[[lessons.exercises]]"), "tests_target = \"t1\"\n");
  const grader::Course c = grader::parse_manifest(text, "m.toml");
  EXPECT_EQ(c.binary_dir, "x/y");
  EXPECT_EQ(c.limits.max_processes, 9);
  EXPECT_EQ(c.limits.output_kb, 3U);
  EXPECT_EQ(c.lessons[0].tests_target, "t1");
}

TEST(Manifest, LoadNamesAMissingFile) {
  EXPECT_THROW((void)grader::load_manifest("/nonexistent/course.toml"), ManifestError);
}

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

// ---------------------------------------------------------------- isolated runs

TEST(IsolatedRun, CapturesExitStatusStdoutAndStderr) {
  const auto r = sh("echo out; echo err >&2; exit 3");
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.out.text, "out\n");
  EXPECT_EQ(r.err.text, "err\n");
  EXPECT_FALSE(r.exited_ok());
  EXPECT_EQ(r.describe_end(), "exit status 3");
}

TEST(IsolatedRun, RunsInItsDirectoryWithItsEnvironment) {
  TempDir dir;
  grader::RunSpec spec;
  spec.argv = {"sh", "-c", "pwd; echo \"$GRADER_UNIT_X\"; ps -o pgid= -p $$ | tr -d ' '; echo $$"};
  spec.cwd = dir.path();
  spec.env = {{"GRADER_UNIT_X", "42"}};
  const auto r = grader::run_isolated(spec);
  ASSERT_TRUE(r.exited_ok()) << r.describe_end() << r.err.text;
  std::istringstream lines(r.out.text);
  std::string cwd, x, pgid, pid;
  std::getline(lines, cwd);
  std::getline(lines, x);
  std::getline(lines, pgid);
  std::getline(lines, pid);
  EXPECT_EQ(fs::path(cwd), dir.path());
  EXPECT_EQ(x, "42");
  EXPECT_EQ(pgid, pid) << "the program leads its own process group";
}

TEST(IsolatedRun, ReportsAProgramThatCannotStart) {
  grader::RunSpec spec;
  spec.argv = {"/nonexistent/program"};
  const auto r = grader::run_isolated(spec);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.start_error.find("exec of /nonexistent/program"), std::string::npos) << r.start_error;
  spec.argv = {"no-such-program-anywhere"};
  EXPECT_NE(grader::run_isolated(spec).start_error.find("not found in PATH"), std::string::npos);
}

TEST(IsolatedRun, KillsTheWholeGroupAtTheWallClockLimit) {
  grader::RunLimits limits;
  limits.wall = 300ms;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = sh("sleep 30 & sleep 30 & wait", limits);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.timed_out);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(r.peak_processes, 3);
  EXPECT_TRUE(grader::process_group_members(r.pid).empty()) << "the group is gone, zombies included";
  EXPECT_NE(r.describe_end().find("timed out"), std::string::npos);
}

TEST(IsolatedRun, ShowsWhereATimedOutProgramWas) {
  if (grader::find_program("gdb").empty()) GTEST_SKIP() << "gdb is not installed";
  grader::RunSpec spec;
  spec.argv = {"sleep", "30"};
  spec.limits.wall = 200ms;
  spec.backtraces_on_timeout = true;
  const auto r = grader::run_isolated(spec);
  EXPECT_TRUE(r.timed_out);
  ASSERT_EQ(r.backtraces.size(), 1U);
  EXPECT_EQ(r.backtraces[0].pid, r.pid);
  EXPECT_EQ(r.backtraces[0].command, "sleep 30");
  EXPECT_NE(r.backtraces[0].text.find("#0"), std::string::npos) << r.backtraces[0].text;
}

TEST(IsolatedRun, KeepsTheFirstBytesAndNeverBlocksTheProgram) {
  grader::RunLimits limits;
  limits.output_cap = 1000;
  const auto r = sh("head -c 50000000 /dev/zero; echo done >&2", limits);
  ASSERT_TRUE(r.exited_ok()) << r.describe_end();
  EXPECT_EQ(r.out.text.size(), 1000U);
  EXPECT_EQ(r.out.total_bytes, 50'000'000U);
  EXPECT_TRUE(r.out.truncated());
  EXPECT_EQ(r.err.text, "done\n");
}

TEST(IsolatedRun, LineObserversSeeEveryLinePastTheCap) {
  grader::RunSpec spec;
  spec.argv = {"seq", "1", "100000"};
  spec.limits.output_cap = 100;
  int lines = 0;
  std::string last;
  spec.on_stdout_line = [&](std::string_view l) {
    ++lines;
    last = l;
  };
  const auto r = grader::run_isolated(spec);
  ASSERT_TRUE(r.exited_ok());
  EXPECT_EQ(lines, 100000);
  EXPECT_EQ(last, "100000");
}

TEST(IsolatedRun, StopsAForkBomb) {
  grader::RunLimits limits;
  limits.max_processes = 20;
  limits.wall = 20s;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = sh("i=0; while [ $i -lt 2000 ]; do sleep 60 & i=$((i+1)); done; wait", limits);
  EXPECT_TRUE(r.too_many_processes);
  EXPECT_GT(r.peak_processes, 20);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_TRUE(grader::process_group_members(r.pid).empty());
  EXPECT_NE(r.describe_end().find("processes"), std::string::npos);
}

TEST(IsolatedRun, KillsStragglersLeftBehind) {
  const auto r = sh("sleep 60 & echo $!");
  ASSERT_TRUE(r.exited_ok());
  EXPECT_EQ(r.stragglers_killed, 1);
  const pid_t sleeper = std::stoi(r.out.text);
  // Reaped by us (subreaper) or by init: either way, not running any more.
  (void)subreaper;
  EXPECT_FALSE(alive(sleeper)) << "adopted by us as subreaper, killed and reaped";
  EXPECT_TRUE(grader::process_group_members(r.pid).empty());
}

TEST(IsolatedRun, RemovesTheRunsSharedMemorySegments) {
  const auto r = sh("echo x > /dev/shm/mp_$$_unit; echo y > /dev/shm/grader_unit_other_$$; echo $$");
  ASSERT_TRUE(r.exited_ok());
  const std::string pid = r.out.text.substr(0, r.out.text.find('\n'));
  EXPECT_EQ(r.segments_removed, std::vector<std::string>{"mp_" + pid + "_unit"});
  EXPECT_FALSE(fs::exists("/dev/shm/mp_" + pid + "_unit"));
  const std::string other = "grader_unit_other_" + pid;
  EXPECT_NE(std::find(r.segments_left.begin(), r.segments_left.end(), other), r.segments_left.end());
  fs::remove("/dev/shm/" + other);
}

TEST(IsolatedRun, AppliesTheFileSizeLimit) {
  TempDir dir;
  grader::RunSpec spec;
  spec.argv = {"sh", "-c", "head -c 5000000 /dev/zero > big"};
  spec.cwd = dir.path();
  spec.limits.file_size_bytes = 1 << 20;
  const auto r = grader::run_isolated(spec);
  EXPECT_FALSE(r.exited_ok());
  EXPECT_LE(fs::file_size(dir.path() / "big"), 1U << 20);
}

TEST(IsolatedRun, NamesTheSignalThatEndedTheProgram) {
  const auto r = sh("kill -SEGV $$");
  EXPECT_EQ(r.signal, SIGSEGV);
  EXPECT_NE(r.describe_end().find("SIGSEGV"), std::string::npos) << r.describe_end();
}

// ---------------------------------------------------------------- scores and reports

namespace {

grader::Report sample_report() {
  grader::Report r;
  r.course = "Course <&> \"quoted\"";
  r.mode = "grade";
  r.cores = 2;
  r.grader_version = "0.1.0";
  grader::LessonResult ok;
  ok.id = "01";
  ok.title = "Processes";
  ok.build.status = "ok";
  grader::ExerciseResult e;
  e.id = "run_all";
  e.section = "lessons/01-processes/README.md#run_all";
  e.hints_total = 2;
  e.next_hint = "look at waitpid";
  grader::GroupResult pass;
  pass.name = "basics";
  pass.status = grader::Status::passed;
  pass.points = pass.max_points = 3;
  pass.runs = pass.runs_done = pass.runs_passed = 2;
  grader::GroupResult fail;
  fail.name = "correctness";
  fail.status = grader::Status::failed;
  fail.max_points = 6;
  fail.message = "RunAll.Collects: expected 0\x01 got 1 <oops>";
  fail.command = "build/grader/lessons/lesson01_tests '--gtest_filter=RunAll.*'";
  fail.cases = {{"RunAll.Collects", grader::Status::failed, 1, 0, "expected 0, got 1"}};
  e.tests = {pass, fail};
  grader::TimingResult slow;
  slow.name = "speed";
  slow.kind = "ratio";
  slow.status = grader::Status::partial;
  slow.max_points = 2;
  slow.points = 1;
  slow.value = 2.25;
  slow.reason = "time ratio 2.25";
  grader::TimingResult skipped;
  skipped.name = "speed-up";
  skipped.kind = "speedup";
  skipped.status = grader::Status::skipped;
  skipped.counted = false;
  skipped.max_points = 5;
  skipped.reason = "1 core";
  e.timing = {slow, skipped};
  ok.exercises = {e};
  grader::LessonResult broken;
  broken.id = "02";
  broken.title = "Queues";
  broken.build.status = "failed";
  broken.build.errors = "queue.cpp:3: error: expected ';'";
  grader::ExerciseResult q;
  q.id = "bounded_queue";
  grader::GroupResult b;
  b.name = "correctness";
  b.status = grader::Status::build_failed;
  b.max_points = 4;
  q.tests = {b};
  broken.exercises = {q};
  r.lessons = {ok, broken};
  grader::compute_scores(r);
  return r;
}

}  // namespace

TEST(Status, EveryVerdictHasOneNameInEveryReport) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(grader::Status::error); ++i) {
    const auto s = static_cast<grader::Status>(i);
    const std::string name(grader::to_string(s));
    EXPECT_EQ(nlohmann::json(s), name);     // the JSON report
    EXPECT_EQ(fmt::format("{}", s), name);  // the text, Markdown and JUnit reports
    EXPECT_EQ(nlohmann::json(name).get<grader::Status>(), s);
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 14U) << "two verdicts share a name";
  EXPECT_TRUE(names.count("ended_early") == 1 && names.count("not_counted") == 1);
}

TEST(Scores, SumBottomUpLeavingUncountedTimingOut) {
  const auto r = sample_report();
  EXPECT_DOUBLE_EQ(r.lessons[0].exercises[0].score, 4);
  EXPECT_DOUBLE_EQ(r.lessons[0].exercises[0].max_score, 11);
  EXPECT_EQ(r.lessons[0].exercises[0].status, grader::Status::partial);
  EXPECT_EQ(r.lessons[1].exercises[0].status, grader::Status::build_failed);
  EXPECT_DOUBLE_EQ(r.score, 4);
  EXPECT_DOUBLE_EQ(r.max_score, 15);
  EXPECT_EQ(grader::format_points(2.5), "2.5");
  EXPECT_EQ(grader::format_points(6), "6");
  EXPECT_EQ(grader::format_points(2.0 / 3), "0.67");
}

TEST(Reports, TracedCommandsReadAsAPersonWouldTypeThem) {
  EXPECT_EQ(grader::short_command("/b/grader/lessons/lesson01_tests --gtest_filter=RunAll.* "
                                  "--gtest_output=json:/b/x/gtest.json --gtest_color=no"),
            "lesson01_tests --gtest_filter=RunAll.*");
  EXPECT_EQ(grader::short_command("sleep 30"), "sleep 30");
}

TEST(Reports, JsonHasTheDocumentedShape) {
  const auto j = grader::to_json(sample_report());
  EXPECT_EQ(j["schema"], "mp-grader/1");
  EXPECT_EQ(j["score"], 4);
  EXPECT_EQ(j["max_score"], 15);
  const auto& ex = j["lessons"][0]["exercises"][0];
  EXPECT_EQ(ex["tests"][1]["status"], "failed");
  EXPECT_EQ(ex["tests"][1]["cases"][0]["name"], "RunAll.Collects");
  EXPECT_EQ(ex["timing"][0]["value"], 2.25);
  EXPECT_TRUE(ex["timing"][0]["ci"].is_null());
  EXPECT_EQ(ex["timing"][1]["counted"], false);
  EXPECT_EQ(ex["next_hint"], "look at waitpid");
  EXPECT_EQ(j["lessons"][1]["build"]["status"], "failed");
  // Round trip of the text (control characters escaped, still valid JSON).
  EXPECT_FALSE(nlohmann::json::parse(grader::json_report(sample_report()), nullptr, false).is_discarded());
}

TEST(Reports, JunitParsesBackWithConsistentCounts) {
  const std::string xml = grader::junit_report(sample_report());
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
  const auto root = doc.child("testsuites");
  ASSERT_TRUE(root);
  EXPECT_STREQ(root.attribute("name").value(), "Course <&> \"quoted\"");
  int suites = 0, cases = 0;
  for (const auto& suite : root.children("testsuite")) {
    ++suites;
    int n = 0;
    for (const auto& tc : suite.children("testcase")) {
      (void)tc;
      ++n;
    }
    EXPECT_EQ(suite.attribute("tests").as_int(), n) << suite.attribute("name").value();
    cases += n;
  }
  EXPECT_EQ(suites, 2);
  EXPECT_EQ(root.attribute("tests").as_int(), cases);
  const auto failing = root.find_node([](const pugi::xml_node& n) {
    return std::string(n.name()) == "testcase" && std::string(n.attribute("name").value()) == "correctness" &&
           std::string(n.attribute("classname").value()) == "lesson01.run_all";
  });
  ASSERT_TRUE(failing);
  EXPECT_NE(std::string(failing.child("failure").attribute("message").value()).find("failed (0/6 points)"),
            std::string::npos);
  EXPECT_NE(std::string(failing.child("failure").text().get()).find("--gtest_filter=RunAll.*"),
            std::string::npos);
  EXPECT_EQ(root.attribute("failures").as_int(), 2);  // the group and the partial timing
  EXPECT_EQ(root.attribute("errors").as_int(), 1);    // lesson 02 does not compile
  EXPECT_EQ(root.attribute("skipped").as_int(), 2);   // uncounted timing, the group that could not build
}

TEST(Reports, GradescopeHasItsFields) {
  const auto j = nlohmann::json::parse(grader::gradescope_report(sample_report()));
  EXPECT_EQ(j["score"], 4);
  EXPECT_EQ(j["max_score"], 15);
  ASSERT_TRUE(j["tests"].is_array());
  double sum = 0, max = 0;
  for (const auto& t : j["tests"]) {
    EXPECT_TRUE(t["name"].is_string());
    EXPECT_TRUE(t["score"].is_number());
    EXPECT_TRUE(t["max_score"].is_number());
    EXPECT_TRUE(t["status"] == "passed" || t["status"] == "failed") << t;
    EXPECT_TRUE(t["output"].is_string());
    sum += t["score"].get<double>();
    max += t["max_score"].get<double>();
  }
  EXPECT_DOUBLE_EQ(sum, 4);
  EXPECT_DOUBLE_EQ(max, 15);  // the uncounted timing is not a test there
}

TEST(Reports, MarkdownHasTheTableAndTheFailures) {
  const std::string md = grader::markdown_report(sample_report());
  EXPECT_NE(md.find("| Lesson | Exercise | Points | Status |"), std::string::npos);
  EXPECT_NE(md.find("| 01 Processes | `run_all` | 4 / 11 |"), std::string::npos) << md;
  EXPECT_NE(md.find("does not compile"), std::string::npos);
  EXPECT_NE(md.find("<details>"), std::string::npos);
  EXPECT_NE(md.find("Reproduce: `build/grader/lessons/lesson01_tests"), std::string::npos);
  EXPECT_NE(md.find("Hint 1/2: look at waitpid"), std::string::npos);
}

TEST(Reports, TextReportColoursOnlyWhenAsked) {
  const std::string plain = grader::text_report(sample_report(), false);
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  EXPECT_NE(plain.find("reproduce:"), std::string::npos);
  EXPECT_NE(plain.find("reread:"), std::string::npos);
  EXPECT_NE(plain.find("hint 1/2:"), std::string::npos);
  EXPECT_NE(plain.find("does not compile"), std::string::npos);
  EXPECT_NE(grader::text_report(sample_report(), true).find("\033["), std::string::npos);
}

// ---------------------------------------------------------------- command line, hints

TEST(Cli, PairsEachOutputWithTheFormatBeforeIt) {
  const auto o =
      grader::parse_args({"grade", "01", "--format", "json", "--output", "a.json", "--format=junit",
                          "--output=a.xml", "--format", "markdown", "--no-timing", "--jobs", "3"});
  EXPECT_EQ(o.verb, "grade");
  EXPECT_EQ(o.args, std::vector<std::string>{"01"});
  ASSERT_EQ(o.outputs.size(), 3U);
  EXPECT_EQ(o.outputs[0].format, "json");
  EXPECT_EQ(o.outputs[0].path, "a.json");
  EXPECT_EQ(o.outputs[1].path, "a.xml");
  EXPECT_EQ(o.outputs[2].path, "");
  EXPECT_FALSE(o.run.timing);
  EXPECT_EQ(o.run.jobs, 3);
  const auto t = grader::parse_args({"--output", "r.txt"});
  ASSERT_EQ(t.outputs.size(), 1U);
  EXPECT_EQ(t.outputs[0].format, "text");
  EXPECT_EQ(grader::parse_args({}).verb, "grade");
  EXPECT_DOUBLE_EQ(*grader::parse_args({"--fail-under", "80%"}).fail_under, 80);
}

TEST(Cli, RejectsWhatItDoesNotKnow) {
  using grader::parse_args;
  using grader::UsageError;
  EXPECT_THROW(parse_args({"--frobnicate"}), UsageError);
  EXPECT_THROW(parse_args({"grde"}), UsageError);
  EXPECT_THROW(parse_args({"--format", "html"}), UsageError);
  EXPECT_THROW(parse_args({"--fail-under", "120"}), UsageError);
  EXPECT_THROW(parse_args({"--jobs", "0"}), UsageError);
  EXPECT_THROW(parse_args({"--sanitize", "memory"}), UsageError);
  EXPECT_THROW(parse_args({"hint"}), UsageError);
  EXPECT_THROW(parse_args({"--format", "json", "--output", "a", "--output", "b"}), UsageError);
  EXPECT_THROW(parse_args({"--build-dir"}), UsageError);
}

TEST(Hints, RememberHowManyWereShown) {
  TempDir dir;
  const fs::path file = grader::hints_file(dir.path());
  auto s = grader::HintState::load(file);
  EXPECT_EQ(s.shown("run_all"), 0);
  s.set_shown("run_all", 2);
  s.save();
  EXPECT_EQ(grader::HintState::load(file).shown("run_all"), 2);
  std::ofstream(file) << "not json";
  EXPECT_EQ(grader::HintState::load(file).shown("run_all"), 0);
}
