#include "stack_folding.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace grader {

namespace {

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  for (std::size_t pos = 0; (pos = s.find(what, pos)) != std::string::npos; pos += with.size())
    s.replace(pos, what.size(), with);
}

struct Frame {
  std::string number;    ///< "#4"
  std::string function;  ///< folded
  std::string where;     ///< "exercises/x.cpp:42", "libc.so.6", or ""
  bool in_sources = false;
  bool student = false;
  bool library = false;  ///< libc, the standard library, GoogleTest: folded
};

struct Thread {
  std::string header;  ///< "Thread 2 (LWP 123 "name"):"
  std::vector<Frame> frames;
  bool has_student() const {
    return std::any_of(frames.begin(), frames.end(), [](const Frame& f) { return f.student; });
  }
};

// "#4  0x0000 in word_count (docs=..., n=4) at /src/exercises/x.cpp:42" -> its parts.
Frame parse_frame(std::string_view line, const std::string& prefix, const std::vector<std::string>& files) {
  Frame f;
  const std::size_t sp = line.find(' ');
  f.number = std::string(line.substr(0, sp));
  std::string_view rest = sp == std::string_view::npos ? std::string_view{} : line.substr(sp);
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  if (rest.starts_with("0x")) {
    const std::size_t in = rest.find(" in ");
    if (in != std::string_view::npos) rest.remove_prefix(in + 4);
  }
  std::string_view location;
  if (const std::size_t at = rest.rfind(" at "); at != std::string_view::npos) {
    location = rest.substr(at + 4);
    rest = rest.substr(0, at);
  } else if (const std::size_t from = rest.rfind(" from "); from != std::string_view::npos) {
    location = rest.substr(from + 6);
    if (const std::size_t slash = location.rfind('/'); slash != std::string_view::npos)
      location.remove_prefix(slash + 1);  // libc.so.6
    rest = rest.substr(0, from);
  }
  // The function ends at the first " (" outside <...> and (...): what follows is the
  // arguments' values.
  int depth = 0;
  std::size_t end = rest.size();
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c == '<' || c == '(') ++depth;
    if (c == '>' || c == ')') --depth;
    if (depth == 0 && c == ' ' && i + 1 < rest.size() && rest[i + 1] == '(') {
      end = i;
      break;
    }
  }
  f.function = fold_templates(rest.substr(0, end));
  f.where = std::string(location);
  if (!prefix.empty() && f.where.starts_with(prefix)) {
    f.where.erase(0, prefix.size());
    f.in_sources = true;
  }
  const std::string file = f.where.substr(0, f.where.rfind(':'));
  f.student = f.in_sources && std::find(files.begin(), files.end(), file) != files.end();
  // Outside the sources by its file, and by its name too: a test body inlined from a
  // standard header (its line is then in <chrono>) is still the test's.
  static constexpr std::string_view library_names[] = {
      "std::", "__",           "_",    "testing::", "void testing::", "bool testing::", "RUN_ALL_TESTS",
      "??",    "start_thread", "clone"};
  const bool library_name =
      f.function == "main" || std::any_of(std::begin(library_names), std::end(library_names),
                                          [&](std::string_view n) { return f.function.starts_with(n); });
  const bool library_file =  // glibc's sources (./nptl/..., ../sysdeps/...) or a shared object
      f.where.starts_with("./") || f.where.starts_with("../") || f.where.find(".so") != std::string::npos;
  f.library = !f.in_sources && (library_name || library_file);
  return f;
}

// "Thread 1 (Thread 0x7f... (LWP 4241) "name"):" -> "Thread 1 (LWP 4241 "name"):".
std::string thread_header(std::string_view line) {
  const std::size_t lwp = line.find("(LWP ");
  const std::size_t close = line.find(')', lwp);
  if (lwp == std::string_view::npos || close == std::string_view::npos) return std::string(line);
  const std::size_t space = line.find(' ', std::string_view("Thread ").size());
  std::string out = std::string(line.substr(0, space)) + " " + std::string(line.substr(lwp, close - lwp));
  if (const std::size_t quote = line.find('"', close); quote != std::string_view::npos) {
    const std::size_t end = line.find('"', quote + 1);
    if (end != std::string_view::npos) out += " " + std::string(line.substr(quote, end - quote + 1));
  }
  return out + "):";
}

std::string frame_line(const Frame& f) {
  std::string line = fmt::format("{:<4}{}", f.number, f.function);
  if (!f.where.empty()) line += "  " + f.where;
  if (f.student) line += "   <- your code";
  return line + "\n";
}

}  // namespace

std::string fold_templates(std::string_view name) {
  std::string s(name);
  replace_all(s, "std::__cxx11::", "std::");
  replace_all(s, "std::basic_string<char, std::char_traits<char>, std::allocator<char> >", "std::string");
  replace_all(s, "std::basic_string_view<char, std::char_traits<char> >", "std::string_view");
  replace_all(s, " >", ">");  // gdb's "std::vector<std::string >"
  std::string out;
  constexpr std::size_t keep = 24;  // template arguments up to this long stay
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '<') {
      out += s[i];
      continue;
    }
    if (i >= 8 && s.compare(i - 8, 8, "operator") == 0) {  // operator<, operator<<, operator<=
      while (i < s.size() && (s[i] == '<' || s[i] == '=')) out += s[i++];
      --i;
      continue;
    }
    int depth = 0;
    std::size_t j = i;
    for (; j < s.size(); ++j) {
      if (s[j] == '<') ++depth;
      if (s[j] == '>' && --depth == 0) break;
    }
    if (j >= s.size()) {  // unbalanced: leave the rest as it is
      out += s.substr(i);
      break;
    }
    const std::string_view inner(s.data() + i + 1, j - i - 1);
    out += inner.size() <= keep ? "<" + std::string(inner) + ">" : std::string("<…>");
    i = j;
  }
  return out;
}

std::string fold_backtrace(std::string_view text, const std::filesystem::path& source_dir,
                           const std::vector<std::string>& student_files) {
  const std::string prefix = source_dir.empty() ? "" : (source_dir.lexically_normal() / "").string();
  std::vector<Thread> threads;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.starts_with("Thread ")) {
      threads.push_back({thread_header(line), {}});
    } else if (line.starts_with("#")) {
      if (threads.empty()) threads.push_back({"", {}});
      threads.back().frames.push_back(parse_frame(line, prefix, student_files));
    }
  }
  if (threads.empty()) return std::string(text);
  std::stable_partition(threads.begin(), threads.end(), [](const Thread& t) { return t.has_student(); });

  std::string out;
  for (const Thread& t : threads) {
    if (!out.empty()) out += '\n';
    if (!t.header.empty()) out += t.header + '\n';
    for (const Frame& f : t.frames)
      if (f.student) out += fmt::format("your code: {} in {}\n", f.where, f.function);
    // The stack, with runs of three or more library frames folded.
    for (std::size_t i = 0; i < t.frames.size();) {
      std::size_t j = i;
      while (j < t.frames.size() && t.frames[j].library) ++j;
      if (j - i >= 3) {
        // At the top, the first two say what the thread waits in (read, futex_wait, ...).
        const std::size_t top = i == 0 ? 2 : 0;
        for (std::size_t k = i; k < i + top; ++k) out += frame_line(t.frames[k]);
        if (j - i - top == 1) {
          out += frame_line(t.frames[j - 1]);
        } else {
          out += fmt::format("{}..{} {} frames of libraries (libc, the standard library, GoogleTest)\n",
                             t.frames[i + top].number, t.frames[j - 1].number, j - i - top);
        }
        i = j;
        continue;
      }
      out += frame_line(t.frames[i]);
      ++i;
    }
  }
  return out;
}

}  // namespace grader
