// The command line (verbs, formats and their outputs, options) and the hints shown so far.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli.hpp"
#include "hints.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using grader::testing::TempDir;

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
  EXPECT_TRUE(grader::parse_args({"grade"}).run.timelines) << "a failing group's timeline by default";
  EXPECT_FALSE(grader::parse_args({"grade", "--no-timelines"}).run.timelines);
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
