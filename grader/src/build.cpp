#include "build.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "isolated_run.hpp"

namespace grader {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    pos = end + 1;
  }
  return lines;
}

bool is_noise(std::string_view line) {
  const auto trimmed = line.substr(std::min(line.find_first_not_of(' '), line.size()));
  return trimmed.empty() || line.starts_with("[") /* [ 42%] progress */ || line.starts_with("gmake") ||
         line.starts_with("make") || line.starts_with("ninja:") || line.starts_with("Consolidate compiler") ||
         line.starts_with("Scanning dependencies") || line.starts_with("Dependee ") ||
         line.starts_with("compilation terminated");
}

bool is_error(std::string_view line) {
  return line.find(": error:") != std::string_view::npos ||
         line.find(": fatal error:") != std::string_view::npos ||
         line.find("undefined reference to") != std::string_view::npos ||
         line.find("multiple definition of") != std::string_view::npos ||
         line.find("ld returned") != std::string_view::npos || line.starts_with("CMake Error") ||
         line.find("No rule to make target") != std::string_view::npos;
}

bool is_context(std::string_view line) {
  return line.find(": In function") != std::string_view::npos ||
         line.find(": In member function") != std::string_view::npos ||
         line.find(": In constructor") != std::string_view::npos ||
         line.find(": In destructor") != std::string_view::npos ||
         line.find(": In instantiation of") != std::string_view::npos ||
         line.find(": In lambda function") != std::string_view::npos ||
         line.starts_with("In file included from") || line.starts_with("                 from ");
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (std::size_t pos = 0; (pos = s.find(what, pos)) != std::string::npos; pos += with.size()) {
    s.replace(pos, what.size(), with);
  }
}

}  // namespace

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && std::all_of(a.begin(), a.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("-_./=:,+@%").find(c) != std::string_view::npos;
    });
    if (plain) {
      out += a;
    } else {
      std::string q = a;
      replace_all(q, "'", "'\\''");
      out += "'" + q + "'";
    }
  }
  return out;
}

std::string first_errors(std::string_view output, std::size_t max_lines, std::string_view strip_prefix) {
  const auto all = split_lines(output);
  std::vector<std::string_view> lines;
  for (const auto l : all) {
    if (!is_noise(l)) lines.push_back(l);
  }
  std::size_t first = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (is_error(lines[i])) {
      first = i;
      break;
    }
  }
  std::size_t begin = 0;
  if (first == lines.size()) {
    begin =
        lines.size() > max_lines ? lines.size() - max_lines : 0;  // no recognisable error: the end of the log
  } else {
    begin = first;
    while (begin > 0 && first - begin < 4 && is_context(lines[begin - 1])) --begin;
  }
  std::string out;
  std::size_t taken = 0;
  for (std::size_t i = begin; i < lines.size() && taken < max_lines; ++i, ++taken) {
    out.append(lines[i]);
    out += '\n';
  }
  if (begin + taken < lines.size()) out += fmt::format("... ({} more lines)\n", lines.size() - begin - taken);
  replace_all(out, strip_prefix, "");
  return out;
}

bool is_build_tree(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(dir / "CMakeCache.txt", ec);
}

BuildResult build_targets(const std::filesystem::path& build_dir, const std::vector<std::string>& targets,
                          int jobs, std::chrono::seconds limit) {
  BuildResult b;
  RunSpec spec;
  spec.argv = {"cmake", "--build", build_dir.string(), "-j", std::to_string(std::max(1, jobs)), "--target"};
  spec.argv.insert(spec.argv.end(), targets.begin(), targets.end());
  spec.limits.wall = limit;
  spec.limits.output_cap = 1024 * 1024;
  spec.env = {{"CLICOLOR_FORCE", "0"}, {"GCC_COLORS", ""}};
  b.command = shell_join(spec.argv);
  const RunResult r = run_isolated(spec);
  b.ok = r.exited_ok();
  b.output = r.out.text + r.err.text;
  b.duration_s = r.wall_s;
  if (!b.ok) {
    if (!r.started) {
      b.first_errors = "cannot run cmake: " + r.start_error;
    } else {
      // Errors go to stderr interleaved with make's stdout: look at both, stderr first.
      b.first_errors = first_errors(r.err.text.empty() ? r.out.text : r.err.text);
      if (r.timed_out) b.first_errors = "the build " + r.describe_end() + "\n" + b.first_errors;
    }
  }
  return b;
}

std::filesystem::path sanitizer_build_dir(const std::filesystem::path& build_dir,
                                          const SanitizerProfile& sanitizer) {
  std::filesystem::path dir = build_dir.lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();
  return dir.parent_path() / (dir.filename().string() + sanitizer.tree_suffix);
}

BuildResult configure_sanitizer_tree(const std::filesystem::path& source_dir,
                                     const std::filesystem::path& tree, const SanitizerProfile& sanitizer) {
  BuildResult b;
  if (is_build_tree(tree)) {
    b.ok = true;
    return b;
  }
  RunSpec spec;
  spec.argv = {"cmake",
               "-S",
               source_dir.string(),
               "-B",
               tree.string(),
               "-DCMAKE_BUILD_TYPE=Debug",
               "-DMP_SANITIZER=" + sanitizer.name,
               "-DMP_BUILD_TESTS=ON",
               "-DMP_BUILD_BENCHMARKS=ON",
               "-DMP_BUILD_EXAMPLES=OFF"};
  if (!sanitizer.compiler.empty() && !find_program(sanitizer.compiler).empty())
    spec.argv.push_back("-DCMAKE_CXX_COMPILER=" + sanitizer.compiler);
  spec.limits.wall = std::chrono::minutes(5);
  spec.limits.output_cap = 256 * 1024;
  b.command = shell_join(spec.argv);
  const RunResult r = run_isolated(spec);
  b.ok = r.exited_ok();
  b.output = r.out.text + r.err.text;
  b.duration_s = r.wall_s;
  if (!b.ok) b.first_errors = r.started ? first_errors(r.err.text + r.out.text) : r.start_error;
  return b;
}

}  // namespace grader
