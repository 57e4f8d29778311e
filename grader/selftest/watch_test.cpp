// `grader watch` as a student uses it: at a terminal (tmux gives it one), grading the
// exercise again each time its file is saved, and answering keys. The "edits" write
// the fixture's file back unchanged (in place, then as an editor does: a copy renamed
// over it), so that the tree stays as it was.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "build.hpp"
#include "fixture_course.hpp"
#include "isolated_run.hpp"

namespace fs = std::filesystem;
using grader::testing::common_args;
using grader::testing::read;
using namespace std::chrono_literals;

namespace {

// A tmux server of its own, one window running `command` at 160x50.
class Tmux {
public:
  explicit Tmux(const std::string& command) : socket_("grader-watch-" + std::to_string(::getpid())) {
    run({"new-session", "-d", "-x", "160", "-y", "50", "-s", "w", command});
  }
  ~Tmux() { run({"kill-server"}); }
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;

  std::string screen() const { return run({"capture-pane", "-p", "-J", "-t", "w"}); }
  void keys(const std::string& k) const { run({"send-keys", "-t", "w", k}); }

  /// Waits until the screen shows `text`; false at the deadline.
  bool shows(const std::string& text, std::chrono::seconds limit = 120s) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (screen().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);  // polling what a person would see
    }
    return false;
  }

private:
  std::string run(std::vector<std::string> a) const {
    grader::RunSpec spec;
    spec.argv = {"tmux", "-L", socket_, "-f", "/dev/null"};
    spec.argv.insert(spec.argv.end(), a.begin(), a.end());
    spec.limits.wall = 20s;
    return grader::run_isolated(spec).out.text;
  }
  std::string socket_;
};

// The grader's watch on the fixture course; when it ends, its exit status and the
// terminal's settings go to files in `dir`.
std::string watch_command(const fs::path& dir, const std::string& env) {
  std::vector<std::string> argv{GRADER_EXE, "watch", "adder", "--no-timing"};
  argv.insert(argv.end(), common_args.begin(), common_args.end());
  for (auto& a : argv)
    if (a == "never") a = "auto";  // colours as a person gets them (capture-pane drops them)
  return env + " " + grader::shell_join(argv) + "; echo $? > " + (dir / "rc").string() + "; stty -a > " +
         (dir / "stty").string() + "; sleep 60";
}

// Writes `path` back with `text`, in place or (as many editors do) as a copy renamed over it.
void save(const fs::path& path, const std::string& text, bool by_rename) {
  const fs::path target = by_rename ? fs::path(path.string() + ".watch-tmp") : path;
  std::ofstream(target, std::ios::binary | std::ios::trunc) << text;
  if (by_rename) fs::rename(target, path);
}

bool file_says(const fs::path& p, const std::string& text, std::chrono::seconds limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (read(p).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

class GraderWatch : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/grader-watch-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    had_hints_ = fs::exists(hints_);
    if (had_hints_) hints_before_ = read(hints_);
    fs::remove(hints_);
    code_text_ = read(code_);
    ASSERT_FALSE(code_text_.empty());
  }
  void TearDown() override {
    if (read(code_) != code_text_) save(code_, code_text_, false);
    fs::remove(hints_);
    if (had_hints_) std::ofstream(hints_) << hints_before_;
    fs::remove_all(dir_);
  }
  fs::path dir_;
  const fs::path code_ = fs::path(GRADER_TEST_SOURCE_DIR) / "grader/selftest/fixtures/good_code.cpp";
  const fs::path hints_ = fs::path(GRADER_TEST_BUILD_DIR) / "grader" / "hints.json";
  std::string code_text_, hints_before_;
  bool had_hints_ = false;
};

}  // namespace

TEST_F(GraderWatch, GradesAgainOnEachSaveAndAnswersKeys) {
  const Tmux t(watch_command(dir_, "env"));
  ASSERT_TRUE(t.shows("grade 1: the first")) << t.screen();
  ASSERT_TRUE(t.shows("watching grader/selftest/fixtures/good_code.cpp (inotify): save to grade again"))
      << t.screen();
  EXPECT_TRUE(t.shows("keys: h hint")) << t.screen();

  save(code_, code_text_, false);
  ASSERT_TRUE(t.shows("grade 2: after a save of grader/selftest/fixtures/good_code.cpp")) << t.screen();
  ASSERT_TRUE(t.shows("keys: h hint")) << t.screen();
  EXPECT_TRUE(t.shows("adder")) << t.screen();

  save(code_, code_text_, true);
  ASSERT_TRUE(t.shows("grade 3: after a save of grader/selftest/fixtures/good_code.cpp")) << t.screen();
  ASSERT_TRUE(t.shows("keys: h hint")) << t.screen();

  t.keys("h");
  EXPECT_TRUE(t.shows("Hint 1/2: first adder hint")) << t.screen();
  t.keys("n");
  ASSERT_TRUE(t.shows("watch: slowpoke (lesson 91)")) << t.screen();
  ASSERT_TRUE(t.shows("keys: h hint")) << t.screen();
  t.keys("q");
  ASSERT_TRUE(file_says(dir_ / "rc", "0")) << t.screen();
  // The keys were read one at a time, without echo; the terminal is back as it was.
  ASSERT_TRUE(file_says(dir_ / "stty", "icanon"));
  EXPECT_EQ(read(dir_ / "stty").find("-icanon"), std::string::npos);
  EXPECT_EQ(read(dir_ / "stty").find("-echo "), std::string::npos);
}

// Where inotify is missing (forced here with MP_WATCH_POLL=1) a save is still seen.
TEST_F(GraderWatch, PollingSeesASaveToo) {
  const Tmux t(watch_command(dir_, "env MP_WATCH_POLL=1"));
  ASSERT_TRUE(t.shows("(polling): save to grade again")) << t.screen();
  ASSERT_TRUE(t.shows("keys: h hint")) << t.screen();
  save(code_, code_text_, false);  // same size, a later modification time
  ASSERT_TRUE(t.shows("grade 2: after a save of grader/selftest/fixtures/good_code.cpp")) << t.screen();
  ASSERT_TRUE(t.shows("keys: h hint")) << t.screen();
  t.keys("q");
  EXPECT_TRUE(file_says(dir_ / "rc", "0")) << t.screen();
}
