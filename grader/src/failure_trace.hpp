#pragma once
/// @file
/// @brief The timeline of a failing test group (issue 19): one more run of the
/// group's tests with the runtime's tracing on (`MP_TRACE`, mp/trace.hpp), not
/// scored, whose trace (Chrome trace event format: Perfetto opens it) is kept
/// beside the report and drawn as an SVG (scripts/trace_timeline.py, when
/// Debian's python3-matplotlib is there).
///
/// The trace is written by the student's code, inside the sandbox: the grader
/// never grades from it, keeps only the lines that parse as JSON objects, at
/// most a size cap of them, and draws it with a time limit (docs/grading.md,
/// "Threat model").
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "gtest_run.hpp"
#include "results.hpp"

namespace grader {

/// What a traced run left in `scratch` (where `trace.json` was asked for), as
/// one trace file's text: `trace.json` itself when the program ended and
/// merged it, else the parts (`trace.json.parts/PID.jsonl`) of the processes
/// that wrote them, merged here (a program killed by its timeout merges
/// nothing). Only lines that parse as JSON objects are kept, `cap` bytes at
/// most. nullopt when there is no event but row names (nothing to draw).
std::optional<std::string> collect_trace(const std::filesystem::path& scratch, std::size_t cap);

/// Whether a group that ended so gets a timeline: failed, flaky, crashed or
/// ended early (a timeout's traced run would time out again, and a hang's
/// unfinished spans are never written: its backtraces say more).
bool wants_failure_trace(Status status);

/// Runs the group's tests once more as `failing` (the spec of the run that
/// failed: its environment, its schedule seed) with tracing on, in the scratch
/// directory `failing.scratch` + "-trace", and writes the trace to
/// `out_dir/NAME.json` and its picture to `out_dir/NAME.svg` (drawn by
/// `source_dir/scripts/trace_timeline.py`). Fills gr.trace (never throws: a
/// trace that cannot be made says why in gr.trace.note).
void attach_failure_trace(GroupResult& gr, GroupRunSpec failing, const std::filesystem::path& out_dir,
                          const std::string& name, const std::filesystem::path& source_dir);

}  // namespace grader
