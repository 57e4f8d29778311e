// The real course (grader/course.toml): `grader selftest` gives 100% on the
// reference solutions, and the untouched skeletons give 0 correctness points
// in bounded time, leaving nothing running. Skipped, with a message, while
// the course has no manifest yet or when exercises/ has been edited.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "grader_process.hpp"

namespace fs = std::filesystem;
using grader::testing::run_grader;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const fs::path manifest_path = fs::path(GRADER_TEST_SOURCE_DIR) / "grader" / "course.toml";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> common(const fs::path& json_out) {
  return {"--build-dir",  GRADER_TEST_BUILD_DIR,
          "--source-dir", GRADER_TEST_SOURCE_DIR,
          "--color",      "never",
          "--format",     "json",
          "--output",     json_out.string()};
}

fs::path temp_dir() {
  char tmpl[] = "/tmp/grader-course-XXXXXX";
  return ::mkdtemp(tmpl);
}

// Lesson test programs still running (nothing may be left behind).
std::vector<std::string> lesson_processes() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::error_code ec;
    const fs::path exe = fs::read_symlink(e.path() / "exe", ec);
    if (!ec && exe.string().find("/grader/lessons/lesson") != std::string::npos &&
        exe.string().find(GRADER_TEST_BUILD_DIR) == 0) {
      out.push_back(e.path().filename().string() + " " + exe.string());
    }
  }
  return out;
}

}  // namespace

TEST(Course, Reference_selftest) {
  if (!fs::exists(manifest_path))
    GTEST_SKIP() << manifest_path << " does not exist yet: no course to self-test";
  const fs::path dir = temp_dir();
  std::vector<std::string> a{"selftest"};
  for (auto& x : common(dir / "selftest.json")) a.push_back(x);
  const auto r = run_grader(a, 1100s);
  const json j = json::parse(read(dir / "selftest.json"), nullptr, false);
  fs::remove_all(dir);
  ASSERT_FALSE(j.is_discarded()) << r.out << r.err;
  // Every test group of the reference passes. Its timing is measured (every benchmark must
  // run), but a timing verdict on this shared machine is not a test: a busy CI runner once
  // gave a speed-up of 1.05x where 1.11x was asked. `./course selftest` on a quiet machine
  // asks for 100%, timing included (docs/instructors.md).
  int groups = 0;
  for (const auto& l : j["lessons"])
    for (const auto& e : l["exercises"]) {
      for (const auto& g : e["tests"]) {
        ++groups;
        EXPECT_EQ(g["status"], "passed") << e["id"] << " / " << g["name"] << "\n" << r.out;
      }
      for (const auto& t : e["timing"])
        EXPECT_NE(t["status"], "error") << e["id"] << " / timing " << t["name"] << ": " << t["reason"];
    }
  EXPECT_GT(groups, 0);
  EXPECT_TRUE(r.exit_code == 0 || (r.exit_code == 1 && j["score"] < j["max_score"])) << r.out << r.err;
  EXPECT_GT(j["max_score"].get<double>(), 0);
  EXPECT_EQ(lesson_processes(), std::vector<std::string>{});
  std::cout << "grader selftest on the course: " << j["score"] << "/" << j["max_score"] << " in " << r.wall_s
            << " s\n";
}

TEST(Course, Untouched_skeletons) {
  if (!fs::exists(manifest_path)) GTEST_SKIP() << manifest_path << " does not exist yet: no course to grade";
  // Only meaningful on the skeletons as shipped: skip once a student has edited them.
  // (Modified tracked files only: exercises not yet committed count as shipped.)
  const std::string git = "git -C '" GRADER_TEST_SOURCE_DIR
                          "' diff --name-only HEAD -- 'exercises/*.cpp' 'exercises/*.hpp' 2>/dev/null";
  std::string changes;
  if (FILE* p = ::popen(git.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p) != nullptr) changes += buf;
    if (::pclose(p) != 0) GTEST_SKIP() << "cannot tell whether exercises/ is untouched (no git checkout)";
  }
  if (!changes.empty())
    GTEST_SKIP() << "exercises/ has been edited, so the skeletons are not untouched:\n" << changes;

  const fs::path dir = temp_dir();
  std::vector<std::string> a{"grade", "--no-timing"};
  for (auto& x : common(dir / "grade.json")) a.push_back(x);
  const auto r = run_grader(a, 1100s);
  const json j = json::parse(read(dir / "grade.json"), nullptr, false);
  fs::remove_all(dir);
  ASSERT_FALSE(j.is_discarded()) << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const auto& l : j["lessons"]) {
    EXPECT_EQ(l["build"]["status"], "ok")
        << "the skeletons of lesson " << l["id"] << " must compile as given:\n"
        << l["build"]["errors"];
    for (const auto& e : l["exercises"]) {
      for (const auto& g : e["tests"]) {
        EXPECT_EQ(g["points"], 0) << e["id"] << "/" << g["name"] << ": a skeleton earned points";
        // Skeletons fail fast: with an exception, never by hanging.
        EXPECT_NE(g["status"], "timeout") << e["id"] << "/" << g["name"] << ": " << g["message"];
        EXPECT_LT(g["duration_s"].get<double>(), 60) << e["id"] << "/" << g["name"];
      }
    }
  }
  EXPECT_EQ(lesson_processes(), std::vector<std::string>{});
  std::cout << "grader grade on the skeletons: " << j["score"] << "/" << j["max_score"] << " in " << r.wall_s
            << " s\n";
}
