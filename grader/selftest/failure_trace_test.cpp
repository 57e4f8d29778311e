// A failing group's timeline (grader/src/failure_trace.hpp) from what the student's
// code left in the run's scratch folder: the grader keeps the events of a real trace and
// nothing of a hostile one (a link to the grader's files, deep nesting, garbage, a flood).
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "failure_trace.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t cap = 1u << 20;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

const std::string task = R"({"name":"task","cat":"pool","ph":"X","ts":1,"dur":2,"pid":4,"tid":4})";
const std::string row = R"({"name":"process_name","ph":"M","pid":4,"tid":4,"args":{"name":"Process-1"}})";

TEST(FailureTrace, TheMergedFileOfARunThatEndedIsKeptEventByEvent) {
  grader::testing::TempDir scratch;
  write(scratch.path() / "trace.json",
        "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n" + row + ",\n" + task + "\n]}\n");
  const auto trace = grader::collect_trace(scratch.path(), cap);
  ASSERT_TRUE(trace);
  const json j = json::parse(*trace);
  ASSERT_EQ(j["traceEvents"].size(), 2u);
  EXPECT_EQ(j["traceEvents"][1], json::parse(task));
}

TEST(FailureTrace, TheSurvivingPartsOfAKilledRunAreMerged) {
  grader::testing::TempDir scratch;
  write(scratch.path() / "trace.json.parts" / "4.jsonl", row + "\n" + task + "\n{\"name\":\"half-wri");
  write(scratch.path() / "trace.json.parts" / "5.jsonl", task + "\n");
  const auto trace = grader::collect_trace(scratch.path(), cap);
  ASSERT_TRUE(trace);
  EXPECT_EQ(json::parse(*trace)["traceEvents"].size(), 3u) << "the half-written last line is dropped";
}

TEST(FailureTrace, EveryPartOfARunWithManyProcessesIsKept) {
  grader::testing::TempDir scratch;
  for (int pid = 2; pid < 1002; ++pid)
    write(scratch.path() / "trace.json.parts" / (std::to_string(pid) + ".jsonl"), task + "\n");
  const auto trace = grader::collect_trace(scratch.path(), cap);
  ASSERT_TRUE(trace);
  EXPECT_EQ(json::parse(*trace)["traceEvents"].size(), 1000u);
}

TEST(FailureTrace, NothingButRowNamesIsNoTimeline) {
  grader::testing::TempDir scratch;
  write(scratch.path() / "trace.json.parts" / "4.jsonl", row + "\n");
  EXPECT_FALSE(grader::collect_trace(scratch.path(), cap));
  grader::testing::TempDir empty;
  EXPECT_FALSE(grader::collect_trace(empty.path(), cap));
}

// The student's code controls the scratch folder: a link there must not make the grader
// copy its own files (or anything the grader may read) into the report's folder.
TEST(FailureTrace, ALinkIsNeverFollowed) {
  grader::testing::TempDir secret_dir;
  write(secret_dir.path() / "secret.jsonl", task + "\n");  // readable by the grader, and well-formed
  grader::testing::TempDir scratch;
  fs::create_symlink(secret_dir.path() / "secret.jsonl", scratch.path() / "trace.json");
  EXPECT_FALSE(grader::collect_trace(scratch.path(), cap)) << "trace.json as a link";
  fs::remove(scratch.path() / "trace.json");
  fs::create_directory_symlink(secret_dir.path(), scratch.path() / "trace.json.parts");
  EXPECT_FALSE(grader::collect_trace(scratch.path(), cap)) << "the parts folder as a link";
  fs::remove(scratch.path() / "trace.json.parts");
  fs::create_directories(scratch.path() / "trace.json.parts");
  fs::create_symlink(secret_dir.path() / "secret.jsonl", scratch.path() / "trace.json.parts" / "4.jsonl");
  EXPECT_FALSE(grader::collect_trace(scratch.path(), cap)) << "a part as a link";
}

TEST(FailureTrace, HostileLinesAreDroppedAndTheRestKept) {
  grader::testing::TempDir scratch;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');  // would recurse 100000 deep
  const std::string deep_object = "{\"a\":" + std::string(20, '[') + std::string(20, ']') + "}";
  const std::string long_line = "{\"name\":\"" + std::string(200000, 'x') + "\"}";
  write(scratch.path() / "trace.json.parts" / "4.jsonl",
        deep + "\n" + deep_object + "\nnot json\n[1,2]\n" + long_line + "\n\xff\xfe\n" + task + "\n");
  const auto trace = grader::collect_trace(scratch.path(), cap);
  ASSERT_TRUE(trace);
  const json j = json::parse(*trace);
  ASSERT_EQ(j["traceEvents"].size(), 1u) << *trace;
  EXPECT_EQ(j["traceEvents"][0], json::parse(task));
}

TEST(FailureTrace, AFloodIsCutAtTheCap) {
  grader::testing::TempDir scratch;
  std::string flood;
  while (flood.size() < 4 * cap) flood += task + "\n";
  write(scratch.path() / "trace.json.parts" / "4.jsonl", flood);
  const auto trace = grader::collect_trace(scratch.path(), cap);
  ASSERT_TRUE(trace);
  EXPECT_LE(trace->size(), cap + 64) << "at most the cap, with the file's frame";
  EXPECT_GT(json::parse(*trace)["traceEvents"].size(), 1000u) << "what fits is kept";
}

}  // namespace
