#include "report.hpp"

#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

namespace grader {

namespace {

// XML 1.0 cannot hold most control characters, even escaped: drop them.
std::string xml_text(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 || c == '\n' || c == '\t' || c == '\r') out += c;
  }
  return out;
}

std::string first_line(const std::string& s, std::size_t max = 300) {
  std::string l = s.substr(0, s.find('\n'));
  if (l.size() > max) l = l.substr(0, max) + "...";
  return l;
}

std::string group_details(const GroupResult& g) {
  std::string d = g.message + "\n\nreproduce: " + g.command + "\n";
  for (const auto& c : g.cases) {
    if (c.status != Status::passed && c.status != Status::skipped)
      d += fmt::format("\n[{}] {}\n{}\n", c.status, c.name, c.message);
  }
  for (const auto& b : g.backtraces)
    d += fmt::format("\nprocess {} ({}):\n{}\n", b.pid, short_command(b.command), b.text);
  if (!g.sanitizer_report.empty()) d += "\nsanitizer report:\n" + g.sanitizer_report + "\n";
  return xml_text(d);
}

}  // namespace

std::string junit_report(const Report& r) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto root = doc.append_child("testsuites");
  root.append_attribute("name") = xml_text(r.course).c_str();
  int all_tests = 0, all_failures = 0, all_errors = 0, all_skipped = 0;
  double all_time = 0;

  for (const auto& l : r.lessons) {
    auto suite = root.append_child("testsuite");
    suite.append_attribute("name") = fmt::format("lesson{} {}", l.id, l.title).c_str();
    int tests = 0, failures = 0, errors = 0, skipped = 0;
    double time = l.build.duration_s;
    auto props = suite.append_child("properties");
    auto prop = [&](const char* name, const std::string& value) {
      auto p = props.append_child("property");
      p.append_attribute("name") = name;
      p.append_attribute("value") = xml_text(value).c_str();
    };
    prop("score", format_points(l.score));
    prop("max_score", format_points(l.max_score));
    if (l.build.failed()) {
      auto tc = suite.append_child("testcase");
      tc.append_attribute("classname") = fmt::format("lesson{}", l.id).c_str();
      tc.append_attribute("name") = "build";
      tc.append_attribute("time") = fmt::format("{:.3f}", l.build.duration_s).c_str();
      auto e = tc.append_child("error");
      e.append_attribute("message") = "the lesson does not compile";
      e.append_attribute("type") = "build_failed";
      e.append_child(pugi::node_pcdata).set_value(xml_text(l.build.command + "\n" + l.build.errors).c_str());
      ++tests;
      ++errors;
    }
    for (const auto& ex : l.exercises) {
      const std::string classname = fmt::format("lesson{}.{}", l.id, ex.id);
      for (const auto& g : ex.tests) {
        auto tc = suite.append_child("testcase");
        tc.append_attribute("classname") = classname.c_str();
        tc.append_attribute("name") = g.name.c_str();
        tc.append_attribute("time") = fmt::format("{:.3f}", g.duration_s).c_str();
        time += g.duration_s;
        ++tests;
        if (g.status == Status::build_failed) {
          auto s = tc.append_child("skipped");
          s.append_attribute("message") = "not run: the lesson does not compile";
          ++skipped;
        } else if (g.status != Status::passed) {
          auto f = tc.append_child(g.status == Status::error ? "error" : "failure");
          f.append_attribute("message") =
              xml_text(fmt::format("{} ({}/{} points): {}", g.status, format_points(g.points),
                                   format_points(g.max_points), first_line(g.message)))
                  .c_str();
          f.append_attribute("type") = std::string(to_string(g.status)).c_str();
          f.append_child(pugi::node_pcdata).set_value(group_details(g).c_str());
          if (g.status == Status::error)
            ++errors;
          else
            ++failures;
          if (!g.output.empty()) {
            tc.append_child("system-out")
                .append_child(pugi::node_pcdata)
                .set_value(xml_text(g.output).c_str());
          }
        }
      }
      for (const auto& t : ex.timing) {
        auto tc = suite.append_child("testcase");
        tc.append_attribute("classname") = classname.c_str();
        tc.append_attribute("name") = ("timing: " + t.name).c_str();
        tc.append_attribute("time") = "0";
        ++tests;
        if (t.status == Status::skipped) {
          tc.append_child("skipped").append_attribute("message") = xml_text(t.reason).c_str();
          ++skipped;
        } else if (t.status == Status::error) {
          auto e = tc.append_child("error");
          e.append_attribute("message") = xml_text(first_line(t.reason)).c_str();
          e.append_attribute("type") = "error";
          e.append_child(pugi::node_pcdata).set_value(xml_text(t.reason).c_str());
          ++errors;
        } else if (t.points < t.max_points) {
          auto f = tc.append_child("failure");
          f.append_attribute("message") =
              xml_text(fmt::format("{} ({}/{} points): {}", t.status, format_points(t.points),
                                   format_points(t.max_points), first_line(t.reason)))
                  .c_str();
          f.append_attribute("type") = std::string(to_string(t.status)).c_str();
          f.append_child(pugi::node_pcdata).set_value(xml_text(t.reason).c_str());
          ++failures;
        } else if (!t.reason.empty()) {
          tc.append_child("system-out").append_child(pugi::node_pcdata).set_value(xml_text(t.reason).c_str());
        }
      }
    }
    suite.append_attribute("tests") = tests;
    suite.append_attribute("failures") = failures;
    suite.append_attribute("errors") = errors;
    suite.append_attribute("skipped") = skipped;
    suite.append_attribute("time") = fmt::format("{:.3f}", time).c_str();
    all_tests += tests;
    all_failures += failures;
    all_errors += errors;
    all_skipped += skipped;
    all_time += time;
  }
  root.append_attribute("tests") = all_tests;
  root.append_attribute("failures") = all_failures;
  root.append_attribute("errors") = all_errors;
  root.append_attribute("skipped") = all_skipped;
  root.append_attribute("time") = fmt::format("{:.3f}", r.duration_s > 0 ? r.duration_s : all_time).c_str();
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace grader
