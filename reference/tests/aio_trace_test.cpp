// mp::trace in the event loop: each step of a task is a bar on the loop's
// thread (args.task says which task), each due timer an instant. Traced in a
// forked child (tracing starts once per process).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mp/aio.hpp"
#include "mp/trace.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
namespace aio = mp::aio;

std::string trace_path;

aio::Task<int> nap_then(int x) {
  co_await aio::sleep(1ms);  // two steps: before the timer and after it
  co_return x;
}

aio::Task<int> two_tasks() {
  auto a = aio::create_task(nap_then(1));
  auto b = aio::create_task(nap_then(2));
  co_return co_await a + co_await b;
}

void traced_loop() {
  mp::trace::start(trace_path);
  if (aio::run(two_tasks()) != 3) std::_Exit(2);
  if (mp::trace::finish() != trace_path) std::_Exit(3);
  std::_Exit(0);
}

TEST(AioTrace, StepsOfEachTaskAndTheTimers) {
  char dir[] = "/tmp/mp_aio_trace_XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  trace_path = std::string(dir) + "/loop.json";
  ASSERT_EQ(mp::testing::run_in_child(traced_loop, 20s), 0);
  std::ifstream in(trace_path);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove_all(dir);
  const nlohmann::json trace = nlohmann::json::parse(text.str());
  std::set<std::uint64_t> tasks;
  int steps = 0;
  int timers = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "X" && e["cat"] == "aio" && e["name"] == "step") {
      ++steps;
      ASSERT_TRUE(e["args"]["task"].is_number_unsigned()) << e.dump();
      tasks.insert(e["args"]["task"].get<std::uint64_t>());
      EXPECT_GE(e["dur"].get<double>(), 0.0);
    }
    if (e["ph"] == "i" && e["cat"] == "aio" && e["name"] == "timer") ++timers;
  }
  EXPECT_GE(tasks.size(), 3u) << "main and the two tasks it made each have their steps";
  EXPECT_GE(steps, 5) << "each napping task runs twice: before its timer and after";
  EXPECT_GE(timers, 2) << "each nap's timer fires";
}

}  // namespace
