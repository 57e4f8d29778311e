#include "failure_trace.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "grading.hpp"
#include "isolated_run.hpp"

namespace grader {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t trace_cap = 32u << 20;  // bytes of events kept: a long run's trace, not a flood
constexpr std::size_t line_cap = 64u << 10;   // one event: the runtime's are a few hundred bytes
constexpr int depth_cap = 8;                  // an event nests an args object: anything deeper is not one

// The first `cap` bytes of a regular file that the student's code wrote: never through a
// link (it could point at the grader's own files), "" for anything else.
std::string read_untrusted(const fs::path& p, std::size_t cap) {
  std::error_code ec;
  if (fs::symlink_status(p, ec).type() != fs::file_type::regular) return {};
  const int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return {};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return {};
  }
  // Sized by the file, not the cap: thousands of small parts must not cost the cap each.
  std::string out(std::min(cap, static_cast<std::size_t>(st.st_size)), '\0');
  cap = out.size();
  std::size_t got = 0;
  while (got < cap) {
    const ssize_t n = ::read(fd, out.data() + got, cap - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

// Whether a JSON text nests deeper than depth_cap (strings skipped): such a line is not an
// event, and parsing or printing it would recurse as deep as it nests.
bool too_deep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > depth_cap) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

// Events gathered as one trace: each kept one is an object, printed again by the grader.
class Events {
public:
  explicit Events(std::size_t cap) : cap_(cap) {}
  void add(std::string_view text) {
    if (text.empty() || text.size() > line_cap || too_deep(text)) return;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) return;  // also a line that did not parse (discarded)
    add(j);
  }
  void add(const nlohmann::json& event) {
    std::string line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (out_.size() + line.size() + 2 > cap_) return;
    if (count_++ > 0) out_ += ",\n";
    out_ += line;
    const auto ph = event.find("ph");
    if (ph == event.end() || *ph != "M") ++drawn_;
  }
  // None when nothing but row names was recorded: a picture with nothing on it.
  [[nodiscard]] std::optional<std::string> trace() const {
    if (drawn_ == 0) return std::nullopt;
    return "{\"traceEvents\":[\n" + out_ + "\n]}\n";
  }

private:
  std::size_t cap_;
  std::string out_;
  std::size_t count_ = 0;
  std::size_t drawn_ = 0;  // events other than metadata
};

// One event per line, as mp::trace writes its parts and its merged file (there with a comma after it).
void add_lines(Events& events, std::string_view text) {
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    if (line.ends_with(',')) line.remove_suffix(1);
    events.add(line);
    text.remove_prefix(std::min(end + 1, text.size()));
  }
}

}  // namespace

bool wants_failure_trace(Status s) {
  return s == Status::failed || s == Status::flaky || s == Status::crashed || s == Status::ended_early;
}

std::optional<std::string> collect_trace(const fs::path& scratch, std::size_t cap) {
  Events events(cap);
  const fs::path merged = scratch / "trace.json";
  std::error_code ec;
  if (fs::symlink_status(merged, ec).type() == fs::file_type::regular) {
    // mp::trace merges one event per line ('{...},'); the first and last lines
    // ('{"displayTimeUnit":"ms","traceEvents":[', ']}') are not events and are dropped.
    add_lines(events, read_untrusted(merged, cap));
    return events.trace();
  }
  const fs::path parts = scratch / "trace.json.parts";
  if (fs::symlink_status(parts, ec).type() != fs::file_type::directory) return std::nullopt;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(parts, ec)) {
    if (files.size() >= 4096) break;  // processes of one run: a flood of files is not a trace
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::size_t left = cap;
  for (const fs::path& f : files) {
    const std::string text = read_untrusted(f, left);
    left -= text.size();
    add_lines(events, text);
    if (left == 0) break;
  }
  return events.trace();
}

void attach_failure_trace(GroupResult& gr, GroupRunSpec failing, const fs::path& out_dir,
                          const std::string& name, const fs::path& source_dir) {
  if (!wants_failure_trace(gr.status)) return;
  failing.scratch = failing.scratch.string() + "-trace";
  std::error_code ec;
  fs::remove_all(failing.scratch, ec);
  fs::create_directories(failing.scratch, ec);
  failing.env.emplace_back("MP_TRACE", (failing.scratch / "trace.json").string());
  failing.backtraces_on_timeout = false;
  GroupRun run;
  try {
    run = run_group_once(failing);
  } catch (const std::exception& e) {
    gr.trace.note = std::string("no timeline: the traced run could not start: ") + e.what();
    return;
  }
  gr.trace.failed_again = !run.passed;
  const auto trace = collect_trace(failing.scratch, trace_cap);
  if (!trace) {
    gr.trace.note =
        "no timeline: the traced run recorded no process, task or wait (the code under test does not go "
        "through the mp runtime, or the run ended before writing its events)";
    return;
  }
  fs::create_directories(out_dir, ec);
  const fs::path json_path = out_dir / (name + ".json");
  std::ofstream(json_path, std::ios::binary | std::ios::trunc) << *trace;
  gr.trace.json = display_path(json_path);

  const fs::path draw = source_dir / "scripts" / "trace_timeline.py";
  const fs::path svg_path = out_dir / (name + ".svg");
  fs::remove(svg_path, ec);
  if (fs::exists("/usr/bin/python3") && fs::exists(draw)) {
    RunSpec spec;
    spec.argv = {"/usr/bin/python3",
                 draw.string(),
                 json_path.string(),
                 svg_path.string(),
                 "--title",
                 fmt::format("{} ({} run)", name, gr.trace.failed_again ? "a failing" : "a passing")};
    spec.limits.wall = std::chrono::seconds(60);
    const RunResult r = run_isolated(spec);
    if (r.exited_ok() && fs::exists(svg_path)) gr.trace.svg = display_path(svg_path);
  }
}

}  // namespace grader
