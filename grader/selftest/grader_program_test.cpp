// The `grader` program's verbs and options beyond one grading of the fixture
// course (fixture_test.cpp): selftest, exit statuses, hints, list, one exercise,
// files, what comes next, and the commands its messages suggest.
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "fixture_course.hpp"
#include "grader_process.hpp"
#include "isolated_run.hpp"

namespace fs = std::filesystem;
using grader::testing::args;
using grader::testing::common_args;
using grader::testing::read;
using grader::testing::run_grader;
using json = nlohmann::json;
using namespace std::chrono_literals;

TEST(GraderProgram, SelftestOnTheFixturesReferenceGives100Percent) {
  char tmpl[] = "/tmp/grader-selftest-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  const auto r =
      run_grader(args({"selftest", "--format", "json", "--output", (dir / "s.json").string()}), 300s);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const json j = json::parse(read(dir / "s.json"), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["mode"], "selftest");
  EXPECT_EQ(j["score"], j["max_score"]) << r.out;
  fs::remove_all(dir);
}

TEST(GraderProgram, FailUnderSetsTheExitStatus) {
  EXPECT_EQ(run_grader(args({"grade", "93", "--fail-under", "50", "--quiet"}), 120s).exit_code, 1);
  EXPECT_EQ(run_grader(args({"grade", "93", "--fail-under", "0", "--quiet"}), 120s).exit_code, 0);
}

TEST(GraderProgram, ExitStatusSaysWhyItCouldNotRun) {
  char tmpl[] = "/tmp/grader-bad-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  std::ofstream(dir / "bad.toml") << "[course]\ntitle = \"x\"\ntiming_zero = 2\n";
  auto r = run_grader(
      {"grade", "--manifest", (dir / "bad.toml").string(), "--build-dir", GRADER_TEST_BUILD_DIR}, 30s);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_CONTAINS(r.err, "bad.toml:3");
  EXPECT_CONTAINS(r.err, "unknown key 'timing_zero'");
  r = run_grader({"grade", "--manifest", GRADER_FIXTURE_MANIFEST, "--build-dir", (dir / "nowhere").string()},
                 30s);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_CONTAINS(r.err, "not a CMake build tree");
  r = run_grader(args({"grade", "77"}), 30s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "no lesson or exercise '77'");
  r = run_grader({"--no-such-option"}, 30s);
  EXPECT_EQ(r.exit_code, 2);
  fs::remove_all(dir);
}

TEST(GraderProgram, HintsComeOneAtATime) {
  char tmpl[] = "/tmp/grader-hints-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  const std::vector<std::string> a{"hint",        "fail",       "--manifest", GRADER_FIXTURE_MANIFEST,
                                   "--build-dir", dir.string(), "--color",    "never"};
  auto r = run_grader(a, 30s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Hint 1/2: the answer is 42");
  EXPECT_CONTAINS(r.out, "Reread: lessons/92-bad/README.md#fail");
  r = run_grader(a, 30s);
  EXPECT_CONTAINS(r.out, "Hint 2/2: really");
  r = run_grader(a, 30s);
  EXPECT_CONTAINS(r.out, "You have seen all 2 hints");
  EXPECT_TRUE(fs::exists(dir / "grader" / "hints.json"));
  r = run_grader({"hint", "nope", "--manifest", GRADER_FIXTURE_MANIFEST, "--build-dir", dir.string()}, 30s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "no exercise 'nope'");
  fs::remove_all(dir);
}

TEST(GraderProgram, ListShowsLessonsExercisesAndPoints) {
  const auto r = run_grader(args({"list"}), 30s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "91 Good");
  EXPECT_CONTAINS(r.out, "deadlock");
  EXPECT_CONTAINS(r.out, "Total: 29 points");
}

// `list` says where the student stands, from the last grades: done (full score), now
// (the first exercise not done), next (the one after it), and how to go on.
TEST(GraderProgram, ListSaysDoneNowAndNext) {
  char tmpl[] = "/tmp/grader-list-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  fs::create_directories(dir / "grader");
  std::ofstream(dir / "grader" / "last-grade.json") << R"({"lessons": {"91": {"score": 7, "max_score": 10,
      "build": "ok", "exercises": {"adder": {"score": 6, "max_score": 6, "status": "passed"},
                                   "slowpoke": {"score": 1, "max_score": 4, "status": "partial"}}}}})";
  const std::vector<std::string> a{
      "list", "--manifest", GRADER_FIXTURE_MANIFEST, "--build-dir", dir.string(), "--color", "never"};
  auto r = run_grader(a, 30s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("adder +build +6 pts +6/6 passed +done "))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("slowpoke +build +4 pts +1/4 partial +now "))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("parallel +use +2 pts +- +next "))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("pass +use +1 pts +- +hints"))) << r.out;
  EXPECT_CONTAINS(
      r.out, "Now: slowpoke (Correct, but ten times slower than the reference): `grader watch` grades it");
  // A broken file is no grade at all, not a crash.
  std::ofstream(dir / "grader" / "last-grade.json") << "{\"lessons\": [1, 2";
  r = run_grader(a, 30s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("adder +build +6 pts +- +now "))) << r.out;
  fs::remove_all(dir);
}

// `grade EXERCISE` grades that exercise alone, and `list` keeps the other exercises'
// last grades.
TEST(GraderProgram, OneExerciseIsGradedAlone) {
  char tmpl[] = "/tmp/grader-one-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  const fs::path report = dir / "r.json";
  auto r = run_grader(
      args({"grade", "slowpoke", "--no-timing", "--format", "json", "--output", report.string()}), 120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(read(report));
  ASSERT_EQ(j["lessons"].size(), 1U);
  EXPECT_EQ(j["lessons"][0]["id"], "91");
  ASSERT_EQ(j["lessons"][0]["exercises"].size(), 1U);
  EXPECT_EQ(j["lessons"][0]["exercises"][0]["id"], "slowpoke");
  EXPECT_DOUBLE_EQ(j["score"].get<double>(), 1);
  r = run_grader(args({"grade", "adder", "--no-timing", "--format", "json", "--output", report.string()}),
                 120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_grader(args({"list"}), 30s);
  EXPECT_TRUE(std::regex_search(r.out, std::regex("slowpoke +build +4 pts +1/1 passed"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("adder +build +6 pts +4/4 passed"))) << r.out;
  r = run_grader(args({"grade", "nothing_like_it"}), 30s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "no lesson or exercise 'nothing_like_it'");
  fs::remove_all(dir);
}

// --timing-only: each correctness group runs once, as timing's gate, and is not scored.
TEST(GraderProgram, TimingOnlyRunsTheGateOnceAndScoresTheTiming) {
  char tmpl[] = "/tmp/grader-timing-only-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  const fs::path report = dir / "r.json";
  const auto r = run_grader(
      args({"grade", "adder", "--timing-only", "--format", "json", "--output", report.string()}), 180s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(read(report));
  EXPECT_EQ(j["options"]["timing_only"], true);
  const json& e = j["lessons"][0]["exercises"][0];
  ASSERT_EQ(e["id"], "adder");
  EXPECT_EQ(e["tests"][0]["status"], "passed");
  EXPECT_EQ(e["tests"][0]["runs_done"], 1);
  EXPECT_EQ(e["tests"][0]["counted"], false);
  double timing_max = 0;
  for (const auto& t : e["timing"])
    if (t["counted"].get<bool>()) timing_max += t["max_points"].get<double>();
  EXPECT_EQ(j["max_score"].get<double>(), timing_max) << "the correctness points are not in the maximum";
  fs::remove_all(dir);
}

// What the text report cuts, it says where to read whole: the report is always saved.
TEST(GraderProgram, ACutReportSaysWhereTheWholeIs) {
  const fs::path saved = fs::path(GRADER_TEST_BUILD_DIR) / "grader" / "last-report.json";
  fs::remove(saved);
  const auto r = run_grader(args({"grade", "spew", "--no-timing"}), 120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out,
                  "the program printed more than the grader keeps: the rest was dropped; the reproduce "
                  "command shows it all");
  const json j = json::parse(read(saved), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << "no whole report in " << saved;
  EXPECT_EQ(j["lessons"][0]["exercises"][0]["id"], "spew");
  EXPECT_EQ(r.out.find("see the JSON report"), std::string::npos) << "a report the student does not have";
}

// The report's hint, read at a terminal, counts as seen: `hint` then gives the next one,
// and says 2/2, as the report's numbering goes on. (`script` gives the grader a terminal.)
TEST(GraderProgram, AHintShownAtATerminalCountsAsSeen) {
  const fs::path hints = fs::path(GRADER_TEST_BUILD_DIR) / "grader" / "hints.json";
  const bool had = fs::exists(hints);
  const std::string before = had ? read(hints) : "";
  fs::remove(hints);
  std::string command = std::string(GRADER_EXE) + " grade fail --no-timing";
  for (const auto& a : common_args) command += " '" + a + "'";
  grader::RunSpec spec;
  spec.argv = {"script", "-qec", command, "/dev/null"};
  spec.limits.wall = 120s;
  const auto r = grader::run_isolated(spec);
  EXPECT_TRUE(r.started) << r.start_error;
  EXPECT_CONTAINS(r.out.text, "hint 1/2:");
  const auto h = run_grader(args({"hint", "fail"}), 30s);
  EXPECT_CONTAINS(h.out, "Hint 2/2: really");
  fs::remove(hints);
  if (had) std::ofstream(hints) << before;
}

// After a full score the report says what comes next: the next exercise of the lesson,
// or the next lesson's page.
TEST(GraderProgram, AFullScoreSaysWhatIsNext) {
  auto r = run_grader(args({"grade", "adder", "--no-timing"}), 120s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out,
                  "All passed. Next: slowpoke (Correct, but ten times slower than the reference), then "
                  "`grader grade slowpoke`.");
  r = run_grader(args({"grade", "parallel", "--no-timing"}), 120s);
  EXPECT_CONTAINS(
      r.out, "All passed. Next: lesson 92 (Bad): read lessons/92-bad/README.md, then `grader grade 92`.");
  r = run_grader(args({"grade", "fail", "--no-timing"}), 120s);
  EXPECT_EQ(r.out.find("All passed"), std::string::npos) << "not after a failure";
}

// `files` names what `./course reset` puts back: the manifest's files of an exercise.
TEST(GraderProgram, FilesNamesAnExercisesFiles) {
  auto r = run_grader(args({"files", "adder"}), 30s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "grader/selftest/fixtures/good_code.cpp\n");
  r = run_grader(args({"files", "no_such_exercise"}), 30s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "no exercise 'no_such_exercise'");
}

// ./course runs the grader with MP_GRADER_COMMAND=./course: the commands it suggests are
// the ones the student has.
TEST(GraderProgram, SuggestedCommandsAreSpelledAsThePersonRunsIt) {
  auto r = run_grader(args({"list"}), 30s);
  EXPECT_CONTAINS(r.out, "`grader watch` grades it each time you save, `grader hint ");
  r = run_grader(args({"list"}), 30s, {{"MP_GRADER_COMMAND", "./course"}});
  EXPECT_CONTAINS(r.out, "`./course watch` grades it each time you save, `./course hint ");
  EXPECT_EQ(r.out.find("`grader "), std::string::npos) << r.out;
  r = run_grader(args({"hint"}), 30s, {{"MP_GRADER_COMMAND", "./course"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "./course hint EXERCISE");
}
