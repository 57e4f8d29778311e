// The manifest (grader/course.toml -> Course): what it reads, its defaults, and the errors
// it reports with their lines.
#include <string>

#include <gtest/gtest.h>

#include "manifest.hpp"

using grader::ManifestError;

namespace {

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

TEST(Manifest, ReadsDeadlinesTheLatePolicyAndHiddenGroups) {
  std::string text = minimal("hidden = true\n");
  text.insert(text.find("[[lessons]]"),
              "edition = \"student\"\n[course.late]\nper_day_percent = 10\nmax_days = 3\n");
  text.insert(text.find("[[lessons.exercises]]"), "deadline = 2027-01-15T23:59:00+01:00\n");
  const grader::Course c = grader::parse_manifest(text, "m.toml");
  EXPECT_EQ(c.edition, grader::Edition::student);
  EXPECT_DOUBLE_EQ(c.late.per_day_percent, 10);
  EXPECT_EQ(c.late.max_days, 3);
  EXPECT_EQ(c.lessons[0].deadline, "2027-01-15T23:59:00+01:00");
  EXPECT_TRUE(c.lessons[0].exercises[0].tests[0].hidden);
  const grader::Course d = grader::parse_manifest(minimal(), "m.toml");
  EXPECT_EQ(d.edition, grader::Edition::instructors);
  EXPECT_EQ(d.lessons[0].deadline, "");
  EXPECT_FALSE(d.lessons[0].exercises[0].tests[0].hidden);
}

TEST(Manifest, RejectsADeadlineWithoutItsOffsetOrAsAString) {
  // A deadline without an offset would mean a different instant on every grading machine.
  for (const char* deadline : {"2027-01-15T23:59:00", "\"2027-01-15T23:59:00+01:00\"", "2027-01-15"}) {
    std::string text = minimal();
    text.insert(text.find("[[lessons.exercises]]"), std::string("deadline = ") + deadline + "\n");
    EXPECT_NE(manifest_error(text).find("'deadline' must be a date-time with its offset"), std::string::npos)
        << deadline << ": " << manifest_error(text);
  }
  std::string edition = minimal();
  edition.insert(edition.find("[[lessons]]"), "edition = \"teachers\"\n");
  EXPECT_NE(manifest_error(edition).find("'edition' must be"), std::string::npos);
  std::string late = minimal();
  late.insert(late.find("[[lessons]]"), "[course.late]\nper_day_percent = 120\n");
  EXPECT_NE(manifest_error(late).find("between 0 and 100"), std::string::npos);
}

TEST(Manifest, ReadsTheGradescopeSettings) {
  std::string text = minimal();
  text.insert(
      text.find("[[lessons]]"),
      "[course.gradescope]\nvisibility = \"after_due_date\"\nhints = false\nunmeasured_timing = \"zero\"\n");
  const grader::Course c = grader::parse_manifest(text, "m.toml");
  EXPECT_EQ(c.gradescope.visibility, "after_due_date");
  EXPECT_EQ(c.gradescope.hidden_visibility, "after_published");
  EXPECT_FALSE(c.gradescope.hints);
  EXPECT_EQ(c.gradescope.unmeasured_timing, "zero");
  std::string bad = minimal();
  bad.insert(bad.find("[[lessons]]"), "[course.gradescope]\nvisibility = \"later\"\n");
  EXPECT_NE(manifest_error(bad).find("'visibility' must be one of"), std::string::npos)
      << manifest_error(bad);
}
