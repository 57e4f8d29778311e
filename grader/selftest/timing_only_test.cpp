// Timing points a busy machine could not grade: said once in the total, and graded later
// with --timing-only, which keeps the last grade's correctness points (last_grade.hpp).
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "last_grade.hpp"
#include "report.hpp"
#include "results.hpp"
#include "temp_dir.hpp"
#include "terminal.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using grader::testing::TempDir;

// Lesson 02's word_count: correctness 8/8, its speed-up (2 points) deferred or measured.
grader::Report word_count(bool deferred) {
  grader::Report r;
  r.course = "Course";
  r.mode = "grade";
  grader::LessonResult l;
  l.id = "02";
  l.title = "Queues";
  l.build.status = "ok";
  grader::ExerciseResult e;
  e.id = "word_count";
  grader::GroupResult g;
  g.name = "counts";
  g.status = grader::Status::passed;
  g.points = g.max_points = 8;
  e.tests = {g};
  grader::TimingResult t;
  t.name = "speed-up";
  t.kind = "speedup";
  t.max_points = 2;
  if (deferred) {
    t.status = grader::Status::skipped;
    t.counted = false;
    t.deferred = true;
    t.reason = "the machine is busy";
  } else {
    t.status = grader::Status::partial;
    t.points = 1.5;
  }
  e.timing = {t};
  l.exercises = {e};
  r.lessons = {l};
  grader::compute_scores(r);
  return r;
}

json as_json(const grader::Report& r) { return json::parse(grader::json_report(r)); }

}  // namespace

TEST(TimingOnly, TheTotalSaysOnceWhatABusyMachineLeftUngraded) {
  ::setenv("MP_GRADER_COMMAND", "./course", 1);
  const std::string text = grader::text_report(word_count(true), false);
  ::unsetenv("MP_GRADER_COMMAND");
  EXPECT_NE(text.find("Total  8 / 8 points"), std::string::npos) << text;
  EXPECT_NE(text.find("2 points not graded: the machine was too busy to time them; run `./course grade "
                      "word_count --timing-only` when it is quiet."),
            std::string::npos)
      << text;
  EXPECT_EQ(grader::text_report(word_count(false), false).find("not graded: the machine"), std::string::npos);
}

TEST(TimingOnly, KeepsTheLastGradesCorrectnessPoints) {
  const TempDir dir("grader-timing-only");
  grader::LastGrade last = grader::LastGrade::load(dir.path());
  last.remember(as_json(word_count(true)));
  const json* e = last.exercise("02", "word_count");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ((*e)["score"], 8);
  EXPECT_EQ((*e)["max_score"], 8);

  // Later, --timing-only: the gate passed once (not scored), the speed-up measured.
  grader::Report later = word_count(false);
  later.timing_only = true;
  later.lessons[0].exercises[0].tests[0].counted = false;
  grader::compute_scores(later);
  EXPECT_EQ(later.score, 1.5);
  EXPECT_EQ(later.max_score, 2);
  last.remember(as_json(later));
  const grader::LastGrade reread = grader::LastGrade::load(dir.path());  // as the next `list` reads it
  e = reread.exercise("02", "word_count");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ((*e)["score"], 9.5);
  EXPECT_EQ((*e)["max_score"], 10);
  EXPECT_EQ((*e)["status"], "partial");

  // A gate that fails now changes nothing: the correctness points need a full grade.
  grader::Report broken = later;
  broken.lessons[0].exercises[0].tests[0].status = grader::Status::failed;
  last.remember(as_json(broken));
  const grader::LastGrade after = grader::LastGrade::load(dir.path());
  ASSERT_NE(after.exercise("02", "word_count"), nullptr);
  EXPECT_EQ((*after.exercise("02", "word_count"))["score"], 9.5);
}

TEST(TimingOnly, WithoutAFullGradeThereIsNothingToKeep) {
  const TempDir dir("grader-timing-only");
  grader::LastGrade last = grader::LastGrade::load(dir.path());
  grader::Report r = word_count(false);
  r.timing_only = true;
  last.remember(as_json(r));
  const grader::LastGrade after = grader::LastGrade::load(dir.path());
  EXPECT_EQ(after.exercise("02", "word_count"), nullptr);
  EXPECT_EQ(after.lesson("02"), nullptr);
}

TEST(TimingOnly, ConflictingOptionsAreRefused) {
  EXPECT_TRUE(grader::parse_args({"grade", "02", "--timing-only"}).run.timing_only);
  EXPECT_THROW(grader::parse_args({"grade", "--timing-only", "--no-timing"}), grader::UsageError);
  EXPECT_THROW(grader::parse_args({"grade", "--timing-only", "--sanitize", "thread"}), grader::UsageError);
}
