// mp::trace: a traced run is one JSON file in the Chrome trace event format
// (what Perfetto and chrome://tracing open), with each pool task on the
// worker that ran it; a killed process loses only what it had not written.
// Each test traces in a forked child (tracing is started once per process).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mp/pool.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"
#include "mp/trace.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string trace_path;  // set by each test before its child starts

int cube(int x) { return x * x * x; }

std::string temp_path(const char* name) {
  char dir[] = "/tmp/mp_trace_test_XXXXXX";
  if (::mkdtemp(dir) == nullptr) return {};
  return std::string(dir) + "/" + name;
}

// The trace's JSON (and its temporary folder removed).
json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  return json::parse(text.str());  // throws on anything but one well-formed JSON document
}

// Every event as the format requires: a name, a phase, numeric pid and tid;
// "X" with a start and a duration, "i" with a start, "M" naming a row.
::testing::AssertionResult well_formed(const json& trace) {
  if (!trace.is_object() || !trace.contains("traceEvents") || !trace["traceEvents"].is_array())
    return ::testing::AssertionFailure() << "no traceEvents array";
  for (const json& e : trace["traceEvents"]) {
    const bool ok = e.is_object() && e.value("name", json()).is_string() &&
                    e.value("ph", json()).is_string() && e.value("pid", json()).is_number_integer() &&
                    e.value("tid", json()).is_number_integer();
    if (!ok) return ::testing::AssertionFailure() << "malformed event " << e.dump();
    const std::string ph = e["ph"];
    if (ph == "X" &&
        !(e.value("ts", json()).is_number() && e.value("dur", json()).is_number() && e["dur"] >= 0))
      return ::testing::AssertionFailure() << "a complete event needs ts and dur >= 0: " << e.dump();
    if (ph == "i" && !e.value("ts", json()).is_number())
      return ::testing::AssertionFailure() << "an instant needs ts: " << e.dump();
    if (ph == "M" && !e["args"].value("name", json()).is_string())
      return ::testing::AssertionFailure() << "metadata needs args.name: " << e.dump();
    if (ph == "C" &&
        !(e.value("ts", json()).is_number() && e.value("args", json()).is_object() && !e["args"].empty()))
      return ::testing::AssertionFailure() << "a counter needs ts and args: " << e.dump();
    if (ph != "X" && ph != "i" && ph != "M" && ph != "C")
      return ::testing::AssertionFailure() << "unexpected phase " << ph;
  }
  return ::testing::AssertionSuccess();
}

// Runs `body` (which traces into trace_path) in a child, and returns its trace: merged (the
// parts removed) and well-formed; null, with the failure recorded, when there is none.
json run_traced(const char* file, void (*body)()) {
  trace_path = temp_path(file);
  if (trace_path.empty()) {
    ADD_FAILURE() << "no temporary folder";
    return {};
  }
  if (const int code = mp::testing::run_in_child(body, 20s); code != 0) {
    ADD_FAILURE() << "the traced child ended with " << code;
    return {};
  }
  EXPECT_FALSE(std::filesystem::exists(trace_path + ".parts")) << "the parts are merged and removed";
  json trace = read_json(trace_path);
  if (!well_formed(trace)) {
    ADD_FAILURE() << well_formed(trace).message();
    return {};
  }
  return trace;
}

void traced_pool_run() {
  mp::trace::start(trace_path);
  {
    const mp::trace::Span span("map 8 cubes", "test");
    mp::Pool pool(2);
    if (pool.map(cube, std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}).size() != 8) std::_Exit(2);
    pool.close();
    pool.join();
  }
  mp::Process child([] { const mp::trace::Span span("child's work", "test"); });
  child.set_name("Baker");
  child.start();
  child.join();
  if (mp::trace::finish() != trace_path) std::_Exit(3);
  std::_Exit(0);
}

TEST(Trace, APoolRunIsOneChromeTraceFile) {
  const json trace = run_traced("run.json", traced_pool_run);
  ASSERT_FALSE(trace.is_null());

  std::map<int, std::string> process_names;  // pid -> name
  int root = 0;
  std::vector<json> tasks;
  std::set<std::string> spans;
  for (const json& e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "process_name") process_names[e["pid"]] = e["args"]["name"];
    if (e["ph"] == "X" && e["name"] == "task" && e["cat"] == "pool") tasks.push_back(e);
    if (e["ph"] == "X" && e["cat"] == "test") {
      spans.insert(e["name"].get<std::string>());
      if (e["name"] == "map 8 cubes") root = e["pid"];
    }
  }
  EXPECT_EQ(spans, (std::set<std::string>{"map 8 cubes", "child's work"}));
  EXPECT_EQ(process_names[root], "MainProcess");
  ASSERT_EQ(tasks.size(), 8u) << "one bar per task (map with 2 workers, chunks of 1)";
  std::set<int> workers;
  for (const json& t : tasks) {
    EXPECT_NE(t["pid"], root) << "a task runs in a worker process";
    EXPECT_TRUE(t["args"].contains("job") && t["args"].contains("part")) << t.dump();
    workers.insert(t["pid"].get<int>());
  }
  for (const int pid : workers)
    EXPECT_TRUE(process_names[pid].starts_with("ForkPoolWorker-"))
        << process_names[pid];  // as Python names them
  bool baker = false;
  for (const auto& [pid, name] : process_names) baker = baker || name == "Baker";
  EXPECT_TRUE(baker) << "the mp::Process's row carries its name";
}

void traced_kill() {
  mp::trace::start(trace_path);
  mp::Process victim([] {
    mp::trace::instant("written", "test");
    mp::trace::flush();
    mp::trace::instant("lost", "test");  // still in the buffer when the kill comes
    ::raise(SIGKILL);
  });
  victim.start();
  victim.join();
  if (victim.exitcode() != -SIGKILL) std::_Exit(2);
  (void)mp::trace::finish();
  std::_Exit(0);
}

TEST(Trace, AKilledProcessLosesOnlyWhatItHadNotWritten) {
  const json trace = run_traced("killed.json", traced_kill);
  ASSERT_FALSE(trace.is_null());
  std::set<std::string> instants;
  for (const json& e : trace["traceEvents"])
    if (e["ph"] == "i") instants.insert(e["name"].get<std::string>());
  EXPECT_EQ(instants, std::set<std::string>{"written"});
}

// Items through a queue between two processes: the queue's item count after each put and get.
void traced_queue_run() {
  mp::trace::start(trace_path);
  mp::Queue<int> q;
  for (int i = 0; i < 3; ++i) q.put(i);
  mp::Process consumer([q]() mutable {
    for (int i = 0; i < 3; ++i) (void)q.get(5s);
  });
  consumer.start();
  consumer.join();
  if (consumer.exitcode() != 0 || q.qsize() != 0) std::_Exit(2);
  (void)mp::trace::finish();
  std::_Exit(0);
}

TEST(Trace, AQueuesItemsAreACounter) {
  const json trace = run_traced("queue.json", traced_queue_run);
  ASSERT_FALSE(trace.is_null());
  std::vector<std::pair<double, int>> values;  // (ts, items), every process's together
  std::set<int> pids;
  for (const json& e : trace["traceEvents"]) {
    if (e["ph"] != "C") continue;
    EXPECT_EQ(e["name"], "queue 1") << "the first traced queue of the process that made it";
    values.emplace_back(e["ts"].get<double>(), e["args"]["items"].get<int>());
    pids.insert(e["pid"].get<int>());
  }
  std::sort(values.begin(), values.end());
  std::vector<int> items;
  for (const auto& v : values) items.push_back(v.second);
  EXPECT_EQ(items, (std::vector<int>{1, 2, 3, 2, 1, 0})) << "3 puts, then 3 gets in the other process";
  EXPECT_EQ(pids.size(), 2u) << "each process records its own puts and gets";
}

int die_in_task(int) {
  ::raise(SIGKILL);
  return 0;
}
int twice(int x) { return 2 * x; }

// A pool worker killed in its task cannot record it: the pool draws it on the dead worker's row.
void traced_worker_death() {
  mp::trace::start(trace_path);
  {
    mp::Pool pool(1);
    try {
      (void)pool.apply(die_in_task, 1);
      std::_Exit(2);
    } catch (const mp::WorkerLost&) {
    }
    if (pool.apply(twice, 21) != 42) std::_Exit(3);
    mp::Process parent_of_two([] {  // its children are named as Python names them
      mp::Process grandchild([] {});
      grandchild.start();
      grandchild.join();
    });
    parent_of_two.start();
    parent_of_two.join();
  }
  (void)mp::trace::finish();
  std::_Exit(0);
}

TEST(Trace, AWorkerKilledInItsTaskShowsTheTaskItLost) {
  const json trace = run_traced("lost.json", traced_worker_death);
  ASSERT_FALSE(trace.is_null());
  std::map<int, std::set<std::string>> names;  // pid -> every name it was given
  std::vector<json> lost;
  std::vector<json> done;
  for (const json& e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "process_name") names[e["pid"]].insert(e["args"]["name"]);
    if (e["ph"] == "X" && e["cat"] == "pool") (e["args"].contains("lost") ? lost : done).push_back(e);
  }
  ASSERT_EQ(lost.size(), 1u) << "the task the worker died in";
  EXPECT_EQ(lost[0]["args"]["exitcode"], -SIGKILL);
  EXPECT_EQ(lost[0]["pid"], lost[0]["tid"]);
  EXPECT_TRUE(names[lost[0]["pid"]].contains("ForkPoolWorker-1"))
      << "the dead worker's row is named (by the pool, which started it)";
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(names[done[0]["pid"]].contains("ForkPoolWorker-2"))
      << "the replacement, numbered as Python does";
  std::set<std::string> all;
  for (const auto& [pid, given] : names) all.insert(given.begin(), given.end());
  std::string child;  // the pool's workers count too, as in Python: Process-3 here
  for (const std::string& n : all)
    if (n.starts_with("Process-") && n.find(':') == std::string::npos) child = n;
  ASSERT_FALSE(child.empty()) << "the Process's row is named";
  EXPECT_TRUE(all.contains(child + ":1")) << "a child's first child is named " << child << ":1, as in Python";
}

TEST(Trace, OffByDefault) {
  if (std::getenv("MP_TRACE") != nullptr) GTEST_SKIP() << "MP_TRACE is set for this run";
  EXPECT_FALSE(mp::trace::enabled());
  EXPECT_EQ(mp::trace::finish(), "") << "nothing to write when tracing never started";
}

}  // namespace
