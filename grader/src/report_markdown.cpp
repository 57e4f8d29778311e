#include "report.hpp"

#include <fmt/format.h>

namespace grader {

namespace {

std::string cell(std::string s) {
  std::string out;
  for (const char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string fenced(std::string s, std::size_t max = 4000) {
  if (s.size() > max) s = s.substr(0, max) + "\n... (cut)";
  for (std::size_t pos = 0; (pos = s.find("```", pos)) != std::string::npos;) s.replace(pos, 3, "'''");
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return "```text\n" + s + "\n```\n";
}

const char* icon(Status status) {
  if (status == Status::passed) return "✅";
  if (status == Status::partial || status == Status::flaky) return "⚠️";
  if (status == Status::skipped || status == Status::inconclusive) return "⏭️";
  return "❌";
}

}  // namespace

std::string markdown_report(const Report& r) {
  std::string md;
  md += fmt::format("## {} {}: {} / {} points ({:.0f}%)\n\n", r.score >= r.max_score ? "✅" : "📋",
                    r.mode == "selftest" ? "Grader self-test" : "Grade", format_points(r.score),
                    format_points(r.max_score), percent(r.score, r.max_score));
  md += "| Lesson | Exercise | Points | Status |\n|---|---|---:|---|\n";
  for (const auto& l : r.lessons) {
    if (l.build.failed()) {
      md += fmt::format("| {} {} | *all* | 0 / {} | ❌ does not compile |\n", l.id, cell(l.title),
                        format_points(l.max_score));
      continue;
    }
    for (const auto& e : l.exercises) {
      std::string why;  // what went wrong, when it was not a plain failure
      for (const auto& g : e.tests) {
        const std::string_view name = to_string(g.status);
        if (g.status != Status::passed && g.status != Status::failed && why.find(name) == std::string::npos) {
          why += (why.empty() ? "" : ", ") + std::string(name);
        }
      }
      md += fmt::format("| {} {} | `{}` | {} / {} | {} {}{} |\n", l.id, cell(l.title), e.id,
                        format_points(e.score), format_points(e.max_score), icon(e.status), e.status,
                        why.empty() ? "" : " (" + why + ")");
    }
  }
  md +=
      fmt::format("| **Total** | | **{} / {}** | |\n\n", format_points(r.score), format_points(r.max_score));

  std::string failures;
  for (const auto& l : r.lessons) {
    if (l.build.failed()) {
      failures +=
          fmt::format("<details><summary>❌ lesson {} ({}) does not compile</summary>\n\n", l.id, l.title);
      failures += fenced(l.build.errors);
      failures += fmt::format("\nBuild it yourself: `{}`\n\n</details>\n\n", l.build.command);
      continue;
    }
    for (const auto& e : l.exercises) {
      auto tail = [&] {
        std::string t;
        if (!e.section.empty()) t += fmt::format("Reread: `{}`\n\n", e.section);
        if (!e.next_hint.empty()) {
          t += fmt::format("Hint {}/{}: {}\n\n", e.hints_shown + 1, e.hints_total, e.next_hint);
        }
        return t;
      };
      if (!e.warnings.empty()) {
        failures += fmt::format(
            "<details><summary>⚠️ {} <code>{}</code>: the compiler warns (a note, not a "
            "failure)</summary>\n\n",
            l.id, e.id);
        failures += fenced(e.warnings) + "\n</details>\n\n";
      }
      for (const auto& g : e.tests) {
        if (g.status == Status::passed) continue;
        failures += fmt::format("<details><summary>{} {} · <code>{}</code> · {}: {} ({}/{})</summary>\n\n",
                                icon(g.status), l.id, e.id, g.name, g.status, format_points(g.points),
                                format_points(g.max_points));
        failures += fenced(g.message);
        for (const auto& b : g.backtraces) {
          failures +=
              fmt::format("\nWhere process {} was (`{}`):\n\n", b.pid, cell(short_command(b.command)));
          failures += fenced(b.text, 3000);
        }
        failures += fmt::format("\nReproduce: `{}`\n\n", g.command);
        if (!g.hint.empty()) failures += fmt::format("About this failure: {}\n\n", g.hint);
        if (!g.trace.json.empty()) failures += fmt::format("{}\n\n", trace_line(g.trace));
        failures += tail();
        failures += "</details>\n\n";
      }
      for (const auto& t : e.timing) {
        if (t.status == Status::skipped || t.points >= t.max_points) continue;
        failures += fmt::format(
            "<details><summary>{} {} · <code>{}</code> · timing {}: {} ({}/{})</summary>\n\n", icon(t.status),
            l.id, e.id, t.name, t.status, format_points(t.points), format_points(t.max_points));
        failures += fenced(t.reason);
        if (!t.command.empty()) failures += fmt::format("\nMeasure it yourself: `{}`\n\n", t.command);
        failures += "</details>\n\n";
      }
    }
  }
  if (!failures.empty()) md += "### What to fix\n\n" + failures;
  std::vector<std::string> skipped;
  for (const auto& l : r.lessons) {
    for (const auto& e : l.exercises) {
      for (const auto& t : e.timing) {
        if (!t.counted) skipped.push_back(fmt::format("`{}` {}: {}", e.id, t.name, t.reason));
      }
    }
  }
  if (!skipped.empty()) {
    md += "### Not graded here\n\n";
    for (const auto& s : skipped) md += "- " + s + "\n";
    md += "\n";
  }
  md += fmt::format("<sub>mp grader {} · {} cores · {:.0f} s{}</sub>\n", r.grader_version, r.cores,
                    r.duration_s, r.sanitizer.empty() ? "" : " · sanitizer: " + r.sanitizer);
  return md;
}

}  // namespace grader
