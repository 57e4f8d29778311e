// The `grader` program on the fixture course (fixtures/course.toml): every
// misbehaving "submission" gets the right verdict, in bounded time, without
// harming the grader (its memory stays small) or the other exercises, and
// without leaving processes or shared-memory segments behind. The reports
// are read back: JSON, JUnit XML (pugixml), Gradescope, Markdown.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "fixture_course.hpp"
#include "grader_process.hpp"

namespace fs = std::filesystem;
using grader::testing::args;
using grader::testing::common_args;
using grader::testing::GraderRun;
using grader::testing::read;
using grader::testing::run_grader;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::set<std::string> shm_names() {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator("/dev/shm")) names.insert(e.path().filename().string());
  return names;
}

fs::path bad_ref_binary() {
  return fs::path(GRADER_TEST_BUILD_DIR) / "grader/selftest/fixtures/fixture_bad_tests_ref";
}

// Processes whose command line contains `needle`.
std::vector<pid_t> processes_running(const std::string& needle) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::string cmd = read(e.path() / "cmdline");
    for (auto& c : cmd) c = c == '\0' ? ' ' : c;
    if (cmd.find(needle) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

// Processes still running one of the fixture programs.
std::vector<std::string> fixture_processes() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::error_code ec;
    const fs::path exe = fs::read_symlink(e.path() / "exe", ec);
    if (!ec && exe.string().find("/grader/selftest/fixtures/fixture_") != std::string::npos) {
      out.push_back(name + " " + exe.string());
    }
  }
  return out;
}

class FixtureCourse : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/grader-fixtures-XXXXXX";
    dir_ = new fs::path(::mkdtemp(tmpl));
    shm_before_ = new std::set<std::string>(shm_names());
    ref_before_ = new std::string(read(bad_ref_binary()));
    // Compiled again by the grader's build, as a student's edited file is: its warning is seen.
    fs::last_write_time(fs::path(GRADER_TEST_SOURCE_DIR) / "grader/selftest/fixtures/forger_code.cpp",
                        fs::file_time_type::clock::now());
    run_ = new GraderRun(run_grader(
        args({"grade", "--jobs", "2", "--format", "json", "--output", (*dir_ / "r.json").string(), "--format",
              "junit", "--output", (*dir_ / "r.xml").string(), "--format", "gradescope", "--output",
              (*dir_ / "gs.json").string(), "--format", "markdown", "--output", (*dir_ / "r.md").string()}),
        std::chrono::seconds(400)));
    report_ = new json(json::parse(read(*dir_ / "r.json"), nullptr, false));
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    delete shm_before_;
    delete ref_before_;
    delete run_;
    delete report_;
  }

  void SetUp() override {
    ASSERT_FALSE(run_->timed_out) << run_->err;
    ASSERT_EQ(run_->exit_code, 0) << run_->err;
    ASSERT_FALSE(report_->is_discarded()) << "the JSON report could not be read";
  }

  static const json& lesson(const std::string& id) {
    for (const auto& l : (*report_)["lessons"]) {
      if (l["id"] == id) return l;
    }
    throw std::runtime_error("no lesson " + id);
  }
  static const json& exercise(const std::string& id) {
    for (const auto& l : (*report_)["lessons"]) {
      for (const auto& e : l["exercises"]) {
        if (e["id"] == id) return e;
      }
    }
    throw std::runtime_error("no exercise " + id);
  }
  static const json& group(const std::string& id) { return exercise(id)["tests"][0]; }
  static std::string message(const std::string& id) { return group(id)["message"].get<std::string>(); }
  // What most misbehaviours are checked for first: their group's status, and a message that says why.
  static void expect_verdict(const std::string& id, const std::string& status, const std::string& says) {
    EXPECT_EQ(group(id)["status"], status);
    EXPECT_CONTAINS(message(id), says);
  }

  static fs::path* dir_;
  static std::set<std::string>* shm_before_;
  static std::string* ref_before_;  // fixture_bad_tests_ref before grading (the attack poisons it)
  static GraderRun* run_;
  static json* report_;
};

fs::path* FixtureCourse::dir_ = nullptr;
std::set<std::string>* FixtureCourse::shm_before_ = nullptr;
std::string* FixtureCourse::ref_before_ = nullptr;
GraderRun* FixtureCourse::run_ = nullptr;
json* FixtureCourse::report_ = nullptr;

}  // namespace

TEST_F(FixtureCourse, GradesEverythingInBoundedTimeWithSmallMemory) {
  EXPECT_LT(run_->wall_s, 240) << "grading the fixtures took too long";
  // Two gigabytes of output went through the grader: it kept only the first kilobytes.
  EXPECT_GT(run_->peak_rss_kb, 0);
  EXPECT_LT(run_->peak_rss_kb, 100 * 1024) << "the grader's memory grew with the program's output";
  EXPECT_EQ((*report_)["schema"], "mp-grader/1");
  EXPECT_EQ((*report_)["mode"], "grade");
  EXPECT_EQ((*report_)["lessons"].size(), 5U);
}

TEST_F(FixtureCourse, APassingExerciseEarnsItsPoints) {
  const auto& g = group("adder");
  EXPECT_EQ(g["status"], "passed");
  EXPECT_EQ(g["points"], 4);
  EXPECT_EQ(g["runs_passed"], 3);
  const auto& p = group("pass");
  EXPECT_EQ(p["status"], "passed") << p["message"];
  EXPECT_EQ(p["points"], 1);
}

TEST_F(FixtureCourse, TimingAtTheReferencesSpeedEarnsFullPoints) {
  const auto& t = exercise("adder")["timing"][0];
  if (t["status"] == "inconclusive") {
    // A noisy machine: deferred, never given nor lost.
    EXPECT_EQ(t["points"], 0);
    EXPECT_EQ(t["counted"], false);
    EXPECT_CONTAINS(t["reason"].get<std::string>(), "deferred");
    return;
  }
  EXPECT_EQ(t["status"], "passed") << t.dump(2);
  EXPECT_EQ(t["points"], 2);
  EXPECT_GE(t["pairs"], 5);
  EXPECT_LE(t["pairs"], 8);
  EXPECT_EQ(t["samples_ns"]["a"].size(), t["pairs"].get<std::size_t>());
}

TEST_F(FixtureCourse, TenTimesSlowerThanTheReferenceEarnsNoTimingPoints) {
  const auto& e = exercise("slowpoke");
  EXPECT_EQ(e["tests"][0]["status"], "passed");
  const auto& t = e["timing"][0];
  EXPECT_EQ(t["status"], "slow") << t.dump(2);
  EXPECT_EQ(t["points"], 0);
  EXPECT_GT(t["value"].get<double>(), 4.0);
  EXPECT_GT(t["ci"][0].get<double>(), 1.5);
  EXPECT_EQ(e["score"], 1);
  EXPECT_EQ(e["status"], "partial");
}

TEST_F(FixtureCourse, ASpeedUpIsMeasuredOrSkippedWithAReason) {
  const auto& t = exercise("parallel")["timing"][0];
  if ((*report_)["machine"]["cores"].get<int>() < 2) {
    EXPECT_EQ(t["status"], "skipped");
    EXPECT_EQ(t["counted"], false);
    EXPECT_CONTAINS(t["reason"].get<std::string>(), "1 core");
  } else if (t["status"] == "skipped") {
    // Too few cores were free while measuring (a busy machine): said so, not graded.
    EXPECT_EQ(t["counted"], false);
    EXPECT_CONTAINS(t["reason"].get<std::string>(), "busy");
  } else {
    EXPECT_TRUE(t["status"] == "passed" || (t["status"] == "inconclusive" && t["counted"] == false))
        << t.dump(2);
    EXPECT_GT(t["free_cores"].get<double>(), 1.4);
    EXPECT_LE(t["required"].get<double>(), 0.2);
  }
}

TEST_F(FixtureCourse, AFailedAssertionShowsItsMessageAndStopsAfterTheFirstRun) {
  expect_verdict("fail", "failed", "the answer must be 42");
  const auto& g = group("fail");
  EXPECT_EQ(g["points"], 0);
  EXPECT_EQ(g["runs_done"], 1);
  EXPECT_EQ(g["cases"][0]["name"], "Fail.WrongAnswer");
  EXPECT_EQ(g["cases"][0]["status"], "failed");
  EXPECT_CONTAINS(g["command"].get<std::string>(), "fixture_bad_tests '--gtest_filter=Fail.*'");
}

TEST_F(FixtureCourse, AStubThatThrowsFailsWithItsMessage) {
  expect_verdict("stub", "failed", "92/task 1: not implemented yet");
}

TEST_F(FixtureCourse, ADeadlockTimesOutWithTheStackOfEveryProcess) {
  expect_verdict("deadlock", "timeout", "deadlock");
  const auto& g = group("deadlock");
  EXPECT_EQ(g["runs_done"], 1) << "a timeout is not repeated";
  EXPECT_LT(g["duration_s"].get<double>(), 30);
  EXPECT_EQ(g["cases"][0]["status"], "timeout");
  if (grader::find_program("gdb").empty()) return;
  ASSERT_GE(g["backtraces"].size(), 2U) << "the test process and its child";
  for (const auto& b : g["backtraces"]) {
    EXPECT_CONTAINS(b["text"].get<std::string>(), "#0");
    EXPECT_CONTAINS(b["command"].get<std::string>(), "fixture_bad_tests");
  }
}

TEST_F(FixtureCourse, AnEndlessLoopTimesOut) {
  EXPECT_EQ(group("loop")["status"], "timeout");
  EXPECT_EQ(group("loop")["cases"][0]["status"], "timeout");
}

TEST_F(FixtureCourse, ASegfaultIsACrashNamedBySignal) {
  expect_verdict("segfault", "crashed", "SIGSEGV");
  EXPECT_EQ(group("segfault")["cases"][0]["status"], "crashed");
}

TEST_F(FixtureCourse, AForkBombIsStoppedAtTheProcessLimit) {
  expect_verdict("fork_bomb", "crashed", "processes");
  const auto& g = group("fork_bomb");
  EXPECT_EQ(g["runs_done"], 1);
  EXPECT_GT(g["cleanup"]["peak_processes"].get<int>(), 64);
  EXPECT_LT(g["duration_s"].get<double>(), 20);
}

TEST_F(FixtureCourse, GigabytesOfOutputAreCappedAndTheFailureStillFound) {
  expect_verdict("spew", "failed", "wrong answer after a lot of output");
  const auto& g = group("spew");
  EXPECT_EQ(g["output_truncated"], true);
  EXPECT_LT(g["output"].get<std::string>().size(), 64U * 1024);
}

TEST_F(FixtureCourse, ExitInTheMiddleFailsTheRestOfTheTests) {
  const auto& g = group("exit_zero");
  EXPECT_EQ(g["status"], "failed");
  ASSERT_EQ(g["cases"].size(), 3U);
  EXPECT_EQ(g["cases"][0]["status"], "passed");
  EXPECT_EQ(g["cases"][1]["name"], "ExitZero.Second");
  EXPECT_EQ(g["cases"][1]["status"], "ended_early");
  EXPECT_CONTAINS(g["cases"][1]["message"].get<std::string>(), "ended early: exit status 0");
  EXPECT_EQ(g["cases"][2]["status"], "not_run");
}

TEST_F(FixtureCourse, ALeakedSegmentFailsTheGroupAndIsRemoved) {
  expect_verdict("leak_shm", "failed", "shared-memory segments leaked");
  const auto& g = group("leak_shm");
  if (!(*report_)["machine"]["sandbox"].get<std::string>().starts_with("none")) {
    // The run had its own /dev/shm, gone with it: nothing for the grader to remove
    // (shm_before_ checks at the end that the machine's /dev/shm has nothing new).
    EXPECT_TRUE(g["cleanup"]["segments_removed"].empty()) << g.dump(2);
    return;
  }
  const std::regex runtime_name("mp_[0-9]+_x");
  ASSERT_EQ(g["cleanup"]["segments_removed"].size(), 1U) << g.dump(2);
  const std::string name = g["cleanup"]["segments_removed"][0];
  EXPECT_TRUE(std::regex_match(name, runtime_name)) << name;
  EXPECT_FALSE(fs::exists("/dev/shm/" + name));
}

TEST_F(FixtureCourse, AttacksFromATestReachNothing) {
  if ((*report_)["machine"]["sandbox"].get<std::string>().starts_with("none"))
    GTEST_SKIP() << "no sandbox here, so the fixture does not attack: " << (*report_)["machine"]["sandbox"];
  // The grader was stopped neither by the test nor by its scan of /proc (it finished: SetUp),
  // the test's own verdict came through, the escapee died with the run, the binary is intact.
  expect_verdict("attack", "failed", "the answer must be 42");
  EXPECT_EQ(processes_running("sleep 3109"), std::vector<pid_t>{}) << "a setsid() escapee outlived its run";
  EXPECT_TRUE(read(bad_ref_binary()) == *ref_before_) << "the run wrote the reference's binary";
}

// A group's own hint goes with its failure, beside the exercise's next hint.
TEST_F(FixtureCourse, AFailuresOwnHintGoesWithIt) {
  EXPECT_EQ(group("fail")["hint"], "Fail's own hint: these tests want 42");
  EXPECT_EQ(group("pass")["hint"], nullptr);
  EXPECT_CONTAINS(read(*dir_ / "r.md"), "About this failure: Fail's own hint: these tests want 42");
  const auto again = run_grader(args({"grade", "fail", "--no-timing"}), std::chrono::seconds(120));
  EXPECT_CONTAINS(again.out, "about this failure: Fail's own hint: these tests want 42");
}

// The compiler's warnings about the student's file are a note in every report, never a failure.
TEST_F(FixtureCourse, CompilerWarningsAreANote) {
  const std::string w = exercise("forger")["warnings"].get<std::string>();
  EXPECT_CONTAINS(w, "grader/selftest/fixtures/forger_code.cpp:");
  EXPECT_CONTAINS(w, "unused variable");
  EXPECT_CONTAINS(w, "unused_on_purpose = 0;");  // the line, as the compiler quotes it
  EXPECT_EQ(w.find(GRADER_TEST_SOURCE_DIR), std::string::npos) << "paths relative to the sources";
  EXPECT_EQ(exercise("adder")["warnings"], "");
  EXPECT_CONTAINS(read(*dir_ / "r.md"), "<code>forger</code>: the compiler warns (a note, not a failure)");
  // The next grade did not compile it again: the warning is remembered.
  const auto again = run_grader(args({"grade", "forger", "--no-timing"}), std::chrono::seconds(120));
  EXPECT_CONTAINS(again.out, "94 forger: the compiler warns (a note, not a failure; often a bug):");
  EXPECT_CONTAINS(again.out, "unused variable");
}

// Code that forges gtest's report (atexit, a listener, progress lines) and reaches for
// the test program's memory, from the child that loaded it: only its wrong end counts.
TEST_F(FixtureCourse, CodeThatForgesItsVerdictFails) {
  expect_verdict("forger", "failed", "before the call returned");
  EXPECT_EQ(group("forger")["points"], 0);
  EXPECT_EQ(message("forger").find("forger: opened the parent's memory"), std::string::npos);
  EXPECT_EQ(message("forger").find("forger: attached to the parent"), std::string::npos);
}

TEST_F(FixtureCourse, ALeakedChildFailsTheGroup) {
  expect_verdict("leak_child", "failed", "child processes outlived the tests");
}

TEST_F(FixtureCourse, ATestThatFailsInOneRunOfThreeIsFlaky) {
  expect_verdict("flaky", "flaky", "lost the race this time");
  const auto& g = group("flaky");
  EXPECT_EQ(g["points"], 0);
  EXPECT_EQ(g["runs_done"], 3);
  EXPECT_EQ(g["runs_passed"], 2);
  EXPECT_CONTAINS(message("flaky"), "flaky 2/3");
  EXPECT_EQ(g["cases"][0]["status"], "flaky");
  EXPECT_CONTAINS(g["command"].get<std::string>(), "--gtest_repeat=");
}

// A lost update that a plain run shows about once in twenty (fixtures/racy_code.cpp):
// the runs after the first perturb the schedule, and it shows (docs/grading.md, "Races").
TEST_F(FixtureCourse, ARaceThatShowsOnceInTwentyPlainRunsIsCaught) {
  const auto& g = group("racy");
  EXPECT_NE(g["status"], "passed") << message("racy");
  EXPECT_EQ(g["points"], 0);
  // The command rebuilds what it runs first: the student has edited since, probably.
  EXPECT_CONTAINS(g["command"].get<std::string>(), "--target fixture_racy_tests fixture_racy_code && ");
  if (g["status"] == "flaky") {  // run 1, plain, passed: a perturbed run failed
    EXPECT_CONTAINS(message("racy"), "schedule perturbed, MP_PERTURB=");
    EXPECT_CONTAINS(g["command"].get<std::string>(), "MP_PERTURB=");
  }
}

// A failing group gets a timeline: one more run with the runtime's tracing on, its trace kept
// beside the report (docs/grading.md, "Timelines"), whether the race shows again or not.
TEST_F(FixtureCourse, AFailingGroupGetsTheTimelineOfATracedRun) {
  const auto& trace = group("racy")["trace"];
  ASSERT_TRUE(trace["json"].is_string()) << trace.dump() << "\n" << message("racy");
  EXPECT_TRUE(trace["json"].get<std::string>().ends_with("grader/traces/95-racy-correctness.json"))
      << trace["json"];
  const json events = json::parse(
      read(fs::path(GRADER_TEST_BUILD_DIR) / "grader/traces/95-racy-correctness.json"), nullptr, false);
  ASSERT_TRUE(events.is_object() && events.contains("traceEvents")) << "a trace Perfetto opens";
  std::set<std::string> rows;  // the processes of the run, named
  for (const auto& e : events["traceEvents"])
    if (e.value("ph", "") == "M") rows.insert(e["args"].value("name", ""));
  EXPECT_TRUE(rows.contains("MainProcess")) << events.dump().substr(0, 2000);
  EXPECT_TRUE(trace["failed_again"].is_boolean());
  // Passing groups get none: no extra run for them.
  EXPECT_TRUE(group("adder")["trace"]["json"].is_null());
  // A failing group whose tests record nothing (no mp process, task or wait) gets a note, not an empty
  // picture.
  EXPECT_TRUE(group("fail")["trace"]["json"].is_null());
  EXPECT_CONTAINS(group("fail")["trace"]["note"].get<std::string>(), "recorded no process, task or wait");
  const std::string md = read(*dir_ / "r.md");
  EXPECT_CONTAINS(md, "95-racy-correctness.json (open it in https://ui.perfetto.dev)");
}

TEST_F(FixtureCourse, CodeThatDoesNotCompileCostsItsLessonOnly) {
  const auto& l = lesson("93");
  EXPECT_EQ(l["build"]["status"], "failed");
  EXPECT_EQ(l["score"], 0);
  EXPECT_EQ(l["max_score"], 2);
  const std::string errors = l["build"]["errors"];
  EXPECT_CONTAINS(errors, "broken_code.cpp");
  EXPECT_CONTAINS(errors, "error");
  EXPECT_EQ(errors.find("/work/"), std::string::npos) << "paths are shown relative to the sources";
  EXPECT_EQ(l["exercises"][0]["tests"][0]["status"], "build_failed");
  EXPECT_EQ(l["exercises"][0]["status"], "build_failed");
  EXPECT_EQ(lesson("91")["build"]["status"], "ok");
}

TEST_F(FixtureCourse, ScoresAddUp) {
  double score = 0, max = 0;
  for (const auto& l : (*report_)["lessons"]) {
    score += l["score"].get<double>();
    max += l["max_score"].get<double>();
  }
  EXPECT_DOUBLE_EQ((*report_)["score"].get<double>(), score);
  EXPECT_DOUBLE_EQ((*report_)["max_score"].get<double>(), max);
  // 91: adder 4+2, slowpoke 1, parallel 1 (+1 when its speed-up could be judged); 92: pass 1;
  // 94: the forger 0 of 1; 95: the race 0 of 1.
  const double parallel = exercise("parallel")["timing"][0]["counted"] == true ? 1 : 0;
  EXPECT_DOUBLE_EQ(score, 9 + parallel);
  EXPECT_DOUBLE_EQ(max, 28 + parallel);
}

TEST_F(FixtureCourse, NothingIsLeftRunningOrInSharedMemory) {
  EXPECT_EQ(fixture_processes(), std::vector<std::string>{});
  std::vector<std::string> left;
  const std::regex fixture_segment("mp_[0-9]+_x");
  for (const auto& n : shm_names()) {
    if (shm_before_->count(n) == 0 && std::regex_match(n, fixture_segment)) left.push_back(n);
  }
  EXPECT_EQ(left, std::vector<std::string>{});
}

TEST_F(FixtureCourse, TheTextReportSaysWhatToDoNext) {
  const std::string& out = run_->out;
  EXPECT_CONTAINS(out, "What to fix");
  EXPECT_CONTAINS(out, "92 fail · correctness: failed (0/1 points)");
  EXPECT_CONTAINS(out, "the answer must be 42");
  EXPECT_CONTAINS(out, "reproduce:");
  EXPECT_CONTAINS(out, "'--gtest_filter=Fail.*'");
  EXPECT_CONTAINS(out, "reread:    lessons/92-bad/README.md#fail");
  EXPECT_CONTAINS(out, "hint 1/2:  the answer is 42");
  EXPECT_CONTAINS(out, "lesson 93 (Broken) does not compile");
  EXPECT_CONTAINS(out, "Total");
  EXPECT_EQ(out.find('\033'), std::string::npos) << "no colours when not on a terminal";
  EXPECT_CONTAINS(run_->err, "building fixture_bad_tests");  // progress, on stderr
}

TEST_F(FixtureCourse, JunitXmlParsesBack) {
  pugi::xml_document doc;
  const auto parsed = doc.load_file((*dir_ / "r.xml").c_str());
  ASSERT_TRUE(parsed) << parsed.description();
  const auto root = doc.child("testsuites");
  int suites = 0, cases = 0, failures = 0, errors = 0;
  for (const auto& s : root.children("testsuite")) {
    ++suites;
    int n = 0, f = 0, e = 0;
    for (const auto& tc : s.children("testcase")) {
      ++n;
      f += tc.child("failure") ? 1 : 0;
      e += tc.child("error") ? 1 : 0;
    }
    EXPECT_EQ(s.attribute("tests").as_int(), n);
    EXPECT_EQ(s.attribute("failures").as_int(), f);
    EXPECT_EQ(s.attribute("errors").as_int(), e);
    cases += n;
    failures += f;
    errors += e;
  }
  EXPECT_EQ(suites, 5);
  EXPECT_EQ(root.attribute("tests").as_int(), cases);
  EXPECT_EQ(root.attribute("failures").as_int(), failures);
  EXPECT_EQ(root.attribute("errors").as_int(), errors);
  const auto deadlock = root.find_node([](const pugi::xml_node& n) {
    return std::string(n.name()) == "testcase" &&
           std::string(n.attribute("classname").value()) == "lesson92.deadlock";
  });
  ASSERT_TRUE(deadlock);
  EXPECT_STREQ(deadlock.child("failure").attribute("type").value(), "timeout");
  const auto broken = root.find_node([](const pugi::xml_node& n) {
    return std::string(n.name()) == "testcase" &&
           std::string(n.attribute("classname").value()) == "lesson93" &&
           std::string(n.attribute("name").value()) == "build";
  });
  ASSERT_TRUE(broken);
  EXPECT_CONTAINS(std::string(broken.child("error").text().get()), "broken_code.cpp");
}

TEST_F(FixtureCourse, GradescopeResultsHaveTheirFields) {
  const json gs = json::parse(read(*dir_ / "gs.json"), nullptr, false);
  ASSERT_FALSE(gs.is_discarded());
  // Gradescope's specification: no top-level max_score; no top-level score either (the
  // tests add up), and every timing entry is a test, measured here or not.
  EXPECT_FALSE(gs.contains("max_score"));
  EXPECT_FALSE(gs.contains("score"));
  double expected_sum = (*report_)["score"].get<double>(), expected_max = 0;
  for (const auto& l : (*report_)["lessons"])
    for (const auto& e : l["exercises"]) {
      bool correct = true;
      for (const auto& g : e["tests"]) {
        expected_max += g["max_points"].get<double>();
        correct = correct && g["status"] == "passed";
      }
      for (const auto& t : e["timing"]) {
        expected_max += t["max_points"].get<double>();
        if (!t["counted"].get<bool>() && correct) expected_sum += t["max_points"].get<double>();  // "full"
      }
    }
  EXPECT_TRUE(gs["execution_time"].is_number());
  ASSERT_TRUE(gs["tests"].is_array());
  double sum = 0, max = 0;
  bool saw_deadlock = false;
  for (const auto& t : gs["tests"]) {
    for (const char* field : {"name", "score", "max_score", "status", "output"})
      EXPECT_TRUE(t.contains(field)) << t;
    EXPECT_TRUE(t["status"] == "passed" || t["status"] == "failed");
    sum += t["score"].get<double>();
    max += t["max_score"].get<double>();
    if (t["name"].get<std::string>().find("deadlock") != std::string::npos) {
      saw_deadlock = true;
      EXPECT_EQ(t["status"], "failed");
      EXPECT_CONTAINS(t["output"].get<std::string>(), "timeout");
    }
  }
  EXPECT_TRUE(saw_deadlock);
  EXPECT_NEAR(sum, expected_sum, 1e-6);
  EXPECT_NEAR(max, expected_max, 1e-6);
}

TEST_F(FixtureCourse, MarkdownSummarySuitsAPullRequest) {
  const std::string md = read(*dir_ / "r.md");
  EXPECT_CONTAINS(md, "| Lesson | Exercise | Points | Status |");
  EXPECT_CONTAINS(md, "| 92 Bad | `deadlock` | 0 / 1 |");
  EXPECT_CONTAINS(md, "does not compile");
  EXPECT_CONTAINS(md, "<details>");
}
