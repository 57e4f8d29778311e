#pragma once
/// @file
/// @brief The terminal: colours (only on a terminal; NO_COLOR and TERM=dumb
/// honoured), progress lines while grading, and the text report.
#include <cstdio>
#include <mutex>
#include <string>

#include "results.hpp"

namespace grader {

enum class ColorMode { automatic, always, never };

/// Whether to colour what goes to `stream` (stdout or stderr).
bool use_color(std::FILE* stream, ColorMode mode);

/// Progress on stderr. On a terminal one line that rewrites itself; elsewhere
/// (CI logs) one line per step. Thread-safe.
class Progress {
public:
  Progress(bool enabled, ColorMode mode);
  void operator()(const std::string& line);
  /// Clears the rewriting line (call before printing the report).
  void finish();

private:
  std::mutex mu_;
  bool enabled_;
  bool tty_;
  bool color_;
  bool dirty_ = false;
};

/// The report for people: a table of lessons and exercises with points, then
/// each failure with the test, its message, the command that reproduces it,
/// the lesson section to reread, and the next hint.
/// `compact` (watch) leaves out the preamble (course, build tree, sandbox).
std::string text_report(const Report& report, bool color, bool compact = false);

/// How the person runs the grader, for the commands messages suggest: the value
/// of MP_GRADER_COMMAND (`./course` sets it to "./course"), else "grader".
std::string own_command();

/// Wraps `text` in an ANSI colour when `color` (kinds: ok, bad, warn, dim, bold, title).
std::string paint(const std::string& text, const char* kind, bool color);

}  // namespace grader
