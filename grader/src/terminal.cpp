#include "terminal.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace grader {

bool use_color(std::FILE* stream, ColorMode mode) {
  if (mode == ColorMode::always) return true;
  if (mode == ColorMode::never) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return ::isatty(::fileno(stream)) != 0;
}

std::string own_command() {
  const char* c = std::getenv("MP_GRADER_COMMAND");
  return c != nullptr && *c != '\0' ? c : "grader";
}

std::string paint(const std::string& text, const char* kind, bool color) {
  if (!color) return text;
  const std::string_view k(kind);
  const char* code = k == "ok"      ? "32"
                     : k == "bad"   ? "31"
                     : k == "warn"  ? "33"
                     : k == "dim"   ? "2"
                     : k == "bold"  ? "1"
                     : k == "title" ? "1;36"
                                    : "0";
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

Progress::Progress(bool enabled, ColorMode mode)
    : enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0 &&
           (std::getenv("TERM") == nullptr || std::strcmp(std::getenv("TERM"), "dumb") != 0)),
      color_(use_color(stderr, mode)) {}

void Progress::operator()(const std::string& line) {
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  if (tty_) {
    winsize ws{};
    std::size_t width = 100;
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) width = ws.ws_col - 1;
    std::string shown = line.substr(0, line.find('\n'));
    if (shown.size() > width) shown = shown.substr(0, width - 3) + "...";
    std::fprintf(stderr, "\r\033[K%s", paint(shown, "dim", color_).c_str());
    dirty_ = true;
  } else {
    std::fprintf(stderr, "grader: %s\n", line.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish() {
  std::lock_guard lock(mu_);
  if (dirty_) std::fprintf(stderr, "\r\033[K");
  dirty_ = false;
  std::fflush(stderr);
}

namespace {

// `text` indented by `pad`, at most `max_lines` lines; `where` is the place of the rest.
std::string indent(const std::string& text, const std::string& pad, std::size_t max_lines,
                   const std::string& where) {
  std::string out;
  std::size_t pos = 0, lines = 0, total = 0;
  for (std::size_t i = 0; i < text.size(); ++i) total += text[i] == '\n';
  ++total;
  while (pos < text.size() && lines < max_lines) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    out += pad + text.substr(pos, end - pos) + "\n";
    pos = end + 1;
    ++lines;
  }
  if (pos < text.size()) out += pad + fmt::format("... ({} more lines in {})\n", total - lines, where);
  return out;
}

const char* kind_of(Status status) {
  if (status == Status::passed) return "ok";
  if (status == Status::partial || status == Status::flaky || status == Status::skipped ||
      status == Status::inconclusive)
    return "warn";
  return "bad";
}

// gtest's "unknown file" line (an exception has no location) says nothing.
std::string tidy(const std::string& message) {
  std::string m = message;
  for (std::size_t pos = 0; (pos = m.find("unknown file\n", pos)) != std::string::npos;) {
    if (pos == 0 || m[pos - 1] == '\n')
      m.erase(pos, 13);
    else
      ++pos;
  }
  return m;
}

std::string shown_status(Status status) {
  return status == Status::not_counted   ? "waits for correctness"
         : status == Status::ended_early ? "ended early"
                                         : std::string(to_string(status));
}

std::string pad_right(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

// The course, the build tree, the cores, the sandbox.
std::string preamble(const Report& r, bool color) {
  std::string out;
  out += paint(fmt::format("{} — {}", r.course,
                           r.mode == "selftest" ? "grader self-test (the reference solutions)" : "grade"),
               "title", color) +
         "\n";
  out += paint(fmt::format("build {} · {} cores{}{}", r.build_dir, r.cores,
                           r.sanitizer.empty() ? "" : " · sanitizer: " + r.sanitizer,
                           r.timing_enabled ? "" : " · timing off"),
               "dim", color) +
         "\n";
  // Said plainly when student code ran without the sandbox (the grade is then not tamper-proof).
  if (r.sandbox.starts_with("none")) {
    out += paint("sandbox: " + r.sandbox, "warn", color) + "\n";
  } else if (!r.sandbox.empty()) {
    out += paint("sandbox: " + r.sandbox, "dim", color) + "\n";
  }
  return out;
}

}  // namespace

std::string text_report(const Report& r, bool color, bool compact) {
  // Where the whole of what is cut here can be read.
  const std::string full = r.full_report.empty() ? "the JSON report (--format json)" : r.full_report;
  const auto cut = [&](const std::string& text, const std::string& pad, std::size_t max_lines) {
    return indent(text, pad, max_lines, full);
  };
  std::string out;
  if (!compact) out += preamble(r, color);
  out += "\n";

  for (const auto& l : r.lessons) {
    const std::string points = fmt::format("{}/{}", format_points(l.score), format_points(l.max_score));
    out += paint(pad_right(fmt::format("{} {}", l.id, l.title), 42), "bold", color) + pad_right(points, 10);
    if (l.build.failed()) out += paint("does not compile", "bad", color);
    out += "\n";
    if (l.build.failed()) continue;
    for (const auto& e : l.exercises) {
      std::string detail;
      for (const auto& g : e.tests) {
        detail += fmt::format("{}{} {}{}", detail.empty() ? "" : " · ", g.name,
                              paint(g.status == Status::passed ? "ok" : std::string(to_string(g.status)),
                                    kind_of(g.status), color),
                              g.counted ? "" : " (checked once, not scored)");
      }
      for (const auto& t : e.timing) {
        std::string v = shown_status(t.status);
        if (t.value)
          v += t.kind == "ratio" ? fmt::format(" {:.2f}x ref time", *t.value)
                                 : fmt::format(" {:.2f}x speed-up", *t.value);
        detail += fmt::format(" · {} {}", t.name, paint(v, kind_of(t.status), color));
      }
      out += fmt::format(
          "   {}{}{}  {}\n", pad_right(e.id, 22), pad_right(e.kind, 7),
          paint(pad_right(fmt::format("{}/{}", format_points(e.score), format_points(e.max_score)), 10),
                kind_of(e.status), color),
          detail);
    }
  }
  out += fmt::format("\n{}  {} / {} points  ({:.0f}%){}\n", paint("Total", "bold", color),
                     paint(format_points(r.score), r.score >= r.max_score ? "ok" : "bold", color),
                     format_points(r.max_score), percent(r.score, r.max_score),
                     r.timing_only ? "  timing only: your last grade keeps the correctness points" : "");
  // Points a busy machine could not time: said once, with the way to time them later.
  double deferred = 0;
  std::vector<std::string> to_time;
  for (const auto& l : r.lessons)
    for (const auto& e : l.exercises)
      for (const auto& t : e.timing)
        if (t.deferred) {
          deferred += t.max_points;
          if (std::find(to_time.begin(), to_time.end(), e.id) == to_time.end()) to_time.push_back(e.id);
        }
  if (deferred > 0)
    out += paint(fmt::format("{} {} not graded: the machine was too busy to time them; run `{} grade {} "
                             "--timing-only` when it is quiet.\n",
                             format_points(deferred), deferred == 1 ? "point" : "points", own_command(),
                             fmt::join(to_time, " ")),
                 "warn", color);

  std::string failures;
  for (const auto& l : r.lessons) {
    if (l.build.failed()) {
      failures +=
          "\n" +
          paint(fmt::format("lesson {} ({}) does not compile: 0 points for its exercises", l.id, l.title),
                "bad", color) +
          "\n";
      failures += cut(l.build.errors, "    ", 25);
      failures += fmt::format("    build it yourself: {}\n", l.build.command);
      continue;
    }
    for (const auto& e : l.exercises) {
      bool any = false;
      for (const auto& g : e.tests) {
        if (g.status == Status::passed) continue;
        any = true;
        failures += "\n" +
                    paint(fmt::format("{} {} · {}: {} ({}/{} points)", l.id, e.id, g.name, g.status,
                                      format_points(g.points), format_points(g.max_points)),
                          kind_of(g.status), color) +
                    "\n";
        // Failing tests, those with the same message together (a stub fails them all alike).
        std::vector<std::pair<std::string, std::vector<const CaseResult*>>> by_message;
        for (const auto& c : g.cases) {
          if (c.status == Status::passed || c.status == Status::skipped || c.status == Status::not_run)
            continue;
          const std::string m = tidy(c.message);
          auto it =
              std::find_if(by_message.begin(), by_message.end(), [&](const auto& p) { return p.first == m; });
          if (it == by_message.end())
            by_message.push_back({m, {&c}});
          else
            it->second.push_back(&c);
        }
        int shown = 0;
        for (const auto& [m, cases] : by_message) {
          if (++shown > 3) {
            failures += paint(
                fmt::format("  ... and {} more failures: all of them in {}\n", by_message.size() - 3, full),
                "dim", color);
            break;
          }
          std::string names;
          for (std::size_t i = 0; i < cases.size() && i < 3; ++i)
            names += (i ? ", " : "") + paint(cases[i]->name, "bold", color);
          if (cases.size() > 3) names += fmt::format(" and {} more", cases.size() - 3);
          failures +=
              fmt::format("  {} {}\n", names,
                          paint(std::string(to_string(cases[0]->status)), kind_of(cases[0]->status), color));
          failures += cut(m, "      ", 12);
        }
        if (shown == 0)
          failures += cut(tidy(g.message), "    ", 14);
        else if (g.message.starts_with("flaky") || g.message.find("every test passed") != std::string::npos) {
          failures += cut(g.message.substr(0, g.message.find('\n')), "    ", 1);
        }
        std::size_t traced = 0;
        for (const auto& b : g.backtraces) {
          if (++traced > 2) {
            failures += fmt::format("    ({} more processes traced: in {})\n", g.backtraces.size() - 2, full);
            break;
          }
          failures += fmt::format("    where process {} ({}) was:\n", b.pid, short_command(b.command));
          failures += cut(b.text, "      ", 16);
        }
        if (!g.sanitizer_report.empty() &&
            g.message.find(g.sanitizer_report.substr(0, 40)) == std::string::npos) {
          failures += "    sanitizer report:\n" + cut(g.sanitizer_report, "      ", 20);
        }
        if (g.output_truncated)
          failures += paint(
              "    (the program printed more than the grader keeps: the rest was dropped; the reproduce "
              "command shows it all)\n",
              "dim", color);
        failures += fmt::format("    {} {}\n", paint("reproduce:", "dim", color), g.command);
        if (!g.trace.json.empty())
          failures += fmt::format("    {} {}\n", paint("timeline:", "dim", color), trace_line(g.trace));
        if (!g.hint.empty())
          failures += fmt::format("    {} {}\n", paint("about this failure:", "warn", color), g.hint);
      }
      for (const auto& t : e.timing) {
        if (t.status == Status::skipped || t.status == Status::not_counted || t.points >= t.max_points)
          continue;
        any = true;
        failures += "\n" +
                    paint(fmt::format("{} {} · timing {}: {} ({}/{} points)", l.id, e.id, t.name, t.status,
                                      format_points(t.points), format_points(t.max_points)),
                          kind_of(t.status), color) +
                    "\n";
        failures += cut(t.reason, "    ", 10);
        if (!t.command.empty())
          failures += fmt::format("    {} {}\n", paint("measure:", "dim", color), t.command);
      }
      if (any) {
        if (!e.section.empty())
          failures += fmt::format("    {}    {}\n", paint("reread:", "dim", color), e.section);
        if (!e.next_hint.empty()) {
          failures +=
              fmt::format("    {}  {}\n",
                          paint(fmt::format("hint {}/{}:", e.hints_shown + 1, e.hints_total), "warn", color),
                          e.next_hint);
          failures +=
              paint(fmt::format("              (`{} hint {}` to see the next one)\n", own_command(), e.id),
                    "dim", color);
        }
      }
    }
  }
  if (!failures.empty()) out += "\n" + paint("What to fix", "title", color) + "\n" + failures;
  std::string notes;
  for (const auto& l : r.lessons)
    for (const auto& e : l.exercises)
      if (!e.warnings.empty())
        notes += fmt::format("\n{} {}: the compiler warns (a note, not a failure; often a bug):\n{}", l.id,
                             e.id, cut(e.warnings, "    ", 30));
  if (!notes.empty()) out += "\n" + paint("Notes", "title", color) + "\n" + notes;
  for (const auto& l : r.lessons) {
    for (const auto& e : l.exercises) {
      for (const auto& t : e.timing) {
        if (!t.counted)
          out += paint(fmt::format("\nnot graded: {} timing {}: {}", e.id, t.name, t.reason), "dim", color);
      }
    }
  }
  out += "\n";
  return out;
}

}  // namespace grader
