#include "compiler_warnings.hpp"

#include <fstream>
#include <sstream>

namespace grader {

namespace fs = std::filesystem;

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// gcc's and clang's source excerpt under a diagnostic: "   42 |   int x;" and "      |       ^".
bool is_excerpt(std::string_view line) {
  const std::size_t bar = line.find(" | ");
  const std::size_t end_bar =
      line.size() >= 2 && line.ends_with(" |") ? line.size() - 2 : std::string_view::npos;
  const std::size_t b = bar != std::string_view::npos ? bar : end_bar;
  return b != std::string_view::npos &&
         line.substr(0, b).find_first_not_of(" 0123456789") == std::string_view::npos;
}

}  // namespace

std::string warnings_about(std::string_view output, const std::string& file, std::string_view source_prefix) {
  const std::string absolute = std::string(source_prefix) + file;
  std::string out;
  const auto lines = lines_of(output);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    const bool ours = line.starts_with(absolute + ":") || line.starts_with(file + ":");
    if (!ours || line.find(": warning: ") == std::string_view::npos) continue;
    if (line.starts_with(source_prefix)) line.remove_prefix(source_prefix.size());
    out.append(line);
    out += '\n';
    for (std::size_t k = i + 1; k < lines.size() && is_excerpt(lines[k]); ++k) {
      out.append(lines[k]);
      out += '\n';
    }
  }
  return out;
}

CompilerWarnings::CompilerWarnings(fs::path dir) : dir_(std::move(dir)) {}

fs::path CompilerWarnings::memory_of(const std::string& file) const {
  std::string name = file;
  for (char& c : name)
    if (c == '/') c = '%';
  return dir_ / (name + ".txt");
}

void CompilerWarnings::update(std::string_view output, const std::vector<std::string>& files,
                              const fs::path& source_dir) const {
  const std::string prefix = (source_dir.lexically_normal() / "").string();
  for (const auto& file : files) {
    // Make's "Building CXX object DIR/CMakeFiles/T.dir/.../word_count.cpp.o": compiled now.
    // (Object paths are relative to the folder of the target's CMakeLists: the name decides.)
    const std::string object = "/" + fs::path(file).filename().string() + ".o";
    bool compiled = false;
    for (const auto line : lines_of(output))
      if (line.find("Building CXX object") != std::string_view::npos && line.ends_with(object))
        compiled = true;
    if (!compiled) continue;
    std::error_code ec;
    fs::create_directories(dir_, ec);
    const std::string found = warnings_about(output, file, prefix);
    if (found.empty()) {
      fs::remove(memory_of(file), ec);
    } else {
      std::ofstream(memory_of(file), std::ios::binary | std::ios::trunc) << found;
    }
  }
}

std::string CompilerWarnings::of(const std::vector<std::string>& files, std::size_t max_lines) const {
  std::string all;
  for (const auto& file : files) {
    std::ifstream in(memory_of(file), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    all += s.str();
  }
  const auto lines = lines_of(all);
  if (lines.size() <= max_lines) return all;
  std::string out;
  for (std::size_t i = 0; i < max_lines; ++i) {
    out.append(lines[i]);
    out += '\n';
  }
  return out + "... (" + std::to_string(lines.size() - max_lines) + " more lines)\n";
}

}  // namespace grader
