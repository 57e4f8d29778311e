#pragma once
/// @file
/// @brief `mp::trace`: every run as a timeline, in the Chrome trace event format.
///
/// Python has no counterpart in the standard library (the nearest are
/// `viztracer` and `sys.setprofile`). With tracing on, the runtime records
/// what its processes and threads do (a process's life, each pool or
/// executor task on the worker that ran it, the waits of locks and queues
/// that had to sleep), and the program's own spans (trace::Span). The result
/// is one JSON file in the Chrome trace event format, which
/// https://ui.perfetto.dev and chrome://tracing open as it is: one row per
/// process and thread, one bar per task.
///
/// Turn it on for any program that uses the runtime with the environment
/// variable `MP_TRACE=run.json`, or from the program with trace::start().
/// `./course trace lesson07_pool_timings` runs a lesson example so.
///
/// **Free when off**: each recording point is one load and one untaken
/// branch. **Kill-safe**: each process appends its events to its own file
/// (`run.json.parts/PID.jsonl`) in blocks, so a killed process loses at most
/// the events it had not written yet; the process that turned tracing on
/// merges the parts into `run.json` when it ends (or at trace::finish()).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace mp::trace {

namespace detail {
/// Whether this process records (read on every recording point).
inline std::atomic<bool> on{false};
}  // namespace detail

/// Whether events are being recorded in this process. Never blocks.
inline bool enabled() noexcept { return detail::on.load(std::memory_order_relaxed); }

/// Nanoseconds on the clock every event uses (CLOCK_MONOTONIC, the same in
/// every process of the machine).
inline std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Starts recording into `path` (a .json file; its parts go to `path.parts/`).
/// Children forked from now on record too. Called once; a second call, or
/// `MP_TRACE` already set, does nothing.
/// @throws std::system_error when the parts folder cannot be made.
void start(const std::string& path);

/// Stops recording, writes this process's last events and, in the process
/// that started tracing, merges every process's parts into the JSON file.
/// Returns the file's path ("" where this process did not start tracing).
/// Called at exit by itself; call it earlier to read the file in the program.
std::string finish();

/// Writes this process's buffered events to its part (a child does so before
/// it ends; a long-running program may call it to bound what a kill loses).
void flush() noexcept;

/// Records a finished span: `name` from `begin_ns` to `end_ns` on the calling
/// thread, with `category` (e.g. "pool") and `args` a JSON object's members
/// (e.g. `"\"job\":3"`, or empty). Does nothing when tracing is off.
void complete(std::string_view name, std::string_view category, std::int64_t begin_ns, std::int64_t end_ns,
              std::string_view args = {});

/// Records a finished span on another process's row (`pid`, thread `tid`):
/// what a process saw of one that cannot record it (the pool draws the task
/// a worker was killed in, from the start the worker left in shared memory).
void complete_on(long pid, long tid, std::string_view name, std::string_view category, std::int64_t begin_ns,
                 std::int64_t end_ns, std::string_view args = {});

/// Records an instant (a point on the calling thread's row).
void instant(std::string_view name, std::string_view category, std::string_view args = {});

/// Records a counter's value from now on (Perfetto draws it as a graph, the
/// course's timeline as a line under the rows): e.g. the items in a queue,
/// `counter("queue 1", "queue", "items", 3)`. `series` is a JSON key.
void counter(std::string_view name, std::string_view category, std::string_view series, std::int64_t value);

/// Names the calling thread's row (Perfetto shows it instead of the number).
void name_thread(std::string_view name);

/// Names this process's row (by default its mp::Process name, or "MainProcess").
void name_process(std::string_view name);

/// Names another process's row (`pid`): a parent names its child's, which
/// keeps its name in the trace even when the child is killed before it
/// writes its own events.
void name_process(std::string_view name, long pid);

/// A span from construction to destruction on the calling thread (free when off).
/// @code
/// { mp::trace::Span span("bake", "cakes"); bake(cake); }
/// @endcode
class Span {
public:
  /// `name` and `category` must outlive the span (string literals do).
  Span(std::string_view name, std::string_view category) noexcept
      : name_(name), category_(category), begin_(enabled() ? now_ns() : 0) {}
  ~Span() {
    if (begin_ != 0) complete(name_, category_, begin_, now_ns());
  }
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

private:
  std::string_view name_;
  std::string_view category_;
  std::int64_t begin_;
};

}  // namespace mp::trace
