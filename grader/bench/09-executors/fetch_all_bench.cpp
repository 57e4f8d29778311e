// Lesson 09, exercise 1: fetch_all against fetching the same sources one after the
// other. The grader's speed-up is BM_FetchAllSerial / BM_FetchAll. A source waits
// 20 ms (as for a network) before its content comes: the work is waiting, so 8
// workers fetch about 8 times as fast as one, whatever the number of cores.
// Trusted-parent style: the sources are written here; BM_FetchAll runs the student's
// fetch_all in a child that loaded it (time_in_student), BM_FetchAllSerial the loop in
// a child that did not (time_in_trusted_child); the contents are checked here.
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "fetch_all.hpp"
#include "student_code.hpp"

namespace {

namespace fs = std::filesystem;
constexpr int sources = 32, workers = 8, delay_ms = 20;

std::string read_slowly(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("no such source: " + path);
  std::stringstream content;
  content << in.rdbuf();
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  return content.str();
}

// The sources, written once in a temporary folder (removed at exit).
struct Sources {
  fs::path dir;
  std::vector<std::string> names;
  std::string expected;  // every content, in name order
  Sources() {
    std::string tmpl = (fs::temp_directory_path() / "lesson09_bench_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    std::map<std::string, std::string> all;
    for (int i = 0; i < sources; ++i) {
      const std::string name = (dir / ("source" + std::to_string(i))).string();
      const std::string content = "content of source " + std::to_string(i) + '\n';
      std::ofstream(name) << content;
      names.push_back(name);
      all[name] = content;
    }
    for (const auto& [name, content] : all) expected += content;
  }
  ~Sources() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};
const Sources& the_sources() {
  static const Sources s;
  return s;
}

template <class InChild, class Fetch>
void time_fetches(benchmark::State& state, InChild in_child, Fetch fetch) {
  const auto rounds = static_cast<int>(state.max_iterations);
  const Sources& src = the_sources();
  try {
    const auto [seconds, contents] = in_child([&] {
      std::vector<std::string> all;
      for (int r = 0; r < rounds; ++r) all.push_back(fetch(src.names));
      return all;
    });
    for (const auto& c : contents) {
      if (c != src.expected) {
        state.SkipWithError("wrong or missing contents");
        return;
      }
    }
    for (auto _ : state) state.SetIterationTime(seconds / rounds);
    state.SetItemsProcessed(state.iterations() * sources);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_FetchAllSerial(benchmark::State& state) {
  time_fetches(
      state, [](auto&& fn) { return mp::testing::time_in_trusted_child(fn); },
      [](const std::vector<std::string>& names) {
        std::map<std::string, std::string> all;
        for (const auto& n : names) all[n] = read_slowly(n);
        std::string out;
        for (const auto& [name, content] : all) out += content;
        return out;
      });
}
BENCHMARK(BM_FetchAllSerial)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_FetchAll(benchmark::State& state) {
  time_fetches(
      state, [](auto&& fn) { return mp::testing::time_in_student(fn); },
      [](const std::vector<std::string>& names) {
        const lesson09::FetchReport r =
            lesson09::fetch_all(names, read_slowly, workers, std::chrono::seconds(30));
        std::string out;
        for (const auto& [name, content] : r.results) out += content;
        return out;
      });
  state.counters["workers"] = workers;
}
BENCHMARK(BM_FetchAll)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
