// Scores summed bottom-up, and every report writer: JSON, JUnit, Gradescope, Markdown, text.
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "report.hpp"
#include "results.hpp"
#include "status.hpp"
#include "terminal.hpp"

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

TEST(Reports, GradescopeFollowsItsSpecification) {
  const auto j = nlohmann::json::parse(grader::gradescope_report(sample_report()));
  // No top-level score (Gradescope adds the tests up) and no max_score: the specification has none.
  EXPECT_FALSE(j.contains("score"));
  EXPECT_FALSE(j.contains("max_score"));
  EXPECT_EQ(j["visibility"], "visible");
  EXPECT_EQ(j["stdout_visibility"], "hidden");
  ASSERT_TRUE(j["tests"].is_array());
  double sum = 0, max = 0;
  for (const auto& t : j["tests"]) {
    EXPECT_TRUE(t["name"].is_string());
    EXPECT_TRUE(t["score"].is_number());
    EXPECT_TRUE(t["max_score"].is_number());
    EXPECT_TRUE(t["status"] == "passed" || t["status"] == "failed") << t;
    EXPECT_TRUE(t["output"].is_string());
    EXPECT_EQ(t["visibility"], "visible");
    sum += t["score"].get<double>();
    max += t["max_score"].get<double>();
  }
  // The timing not measured here is a test too: the maximum is the manifest's (3 + 6 + 2 +
  // 5 + 4), whatever this machine could measure. Its points (full by default) go only to
  // code that passes every test, which run_all here does not.
  EXPECT_DOUBLE_EQ(max, 20);
  EXPECT_DOUBLE_EQ(sum, 3 + 1);
  grader::Report correct = sample_report();
  correct.lessons[0].exercises[0].tests[1].status = grader::Status::passed;
  correct.lessons[0].exercises[0].tests[1].points = 6;
  double correct_sum = 0;
  const auto all_passed = nlohmann::json::parse(grader::gradescope_report(correct));
  for (const auto& t : all_passed["tests"]) correct_sum += t["score"].get<double>();
  EXPECT_DOUBLE_EQ(correct_sum, 3 + 6 + 1 + 5);
}

TEST(Reports, GradescopeTakesTheCoursesSettings) {
  grader::Report r = sample_report();
  r.lessons[0].exercises[0].tests[1].hidden = true;
  r.lessons[0].exercises[0].tests[1].hint = "about the group";
  grader::GradescopeSettings s;
  s.visibility = "after_due_date";
  s.hidden_visibility = "hidden";
  s.hints = false;
  s.unmeasured_timing = "zero";
  const auto j = nlohmann::json::parse(grader::gradescope_report(r, s));
  EXPECT_EQ(j["visibility"], "after_due_date");
  double sum = 0;
  for (const auto& t : j["tests"]) {
    const std::string name = t["name"];
    sum += t["score"].get<double>();
    EXPECT_EQ(t["visibility"],
              name.find("correctness") != std::string::npos && name.find("run_all") != std::string::npos
                  ? "hidden"
                  : "after_due_date")
        << name;
    EXPECT_EQ(t["output"].get<std::string>().find("look at waitpid"), std::string::npos) << "hints are off";
    EXPECT_EQ(t["output"].get<std::string>().find("about the group"), std::string::npos) << "hints are off";
  }
  EXPECT_DOUBLE_EQ(sum, 3 + 1);  // the timing not measured here: no points
  const auto with_hints = nlohmann::json::parse(grader::gradescope_report(r));
  EXPECT_NE(with_hints.dump().find("look at waitpid"), std::string::npos);
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
