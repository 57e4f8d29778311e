#include "backtraces.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "proc_scan.hpp"

namespace grader {

std::vector<Backtrace> backtraces_of(pid_t pgid) {
  std::vector<Backtrace> out;
  const std::string gdb = find_program("gdb");
  std::vector<Member> members = members_of(pgid);
  std::sort(members.begin(), members.end(), [&](const Member& a, const Member& b) {
    return (a.pid == pgid) != (b.pid == pgid) ? a.pid == pgid : a.pid < b.pid;  // the leader first
  });
  constexpr std::size_t max_processes = 4;  // each attach costs ~0.5 s
  std::size_t shown = 0;
  for (const Member& m : members) {
    if (m.zombie) continue;
    Backtrace bt;
    bt.pid = m.pid;
    bt.command = read_cmdline(m.pid);
    // The sandbox's own processes wait for the run: their stacks say nothing.
    const std::string program = bt.command.substr(0, bt.command.find(' '));
    if (program == "bwrap" || program.ends_with("/bwrap")) continue;
    if (++shown > max_processes) {
      bt.text =
          fmt::format("(not shown: only the first {} processes of the group are traced)", max_processes);
      out.push_back(std::move(bt));
      continue;
    }
    if (gdb.empty()) {
      bt.text = "(no backtrace: gdb is not installed)";
      out.push_back(std::move(bt));
      continue;
    }
    RunSpec spec;
    spec.argv = {gdb,   "-batch",
                 "-nx", "-q",
                 "-p",  std::to_string(m.pid),
                 "-ex", "set pagination off",
                 "-ex", "thread apply all bt 30"};
    spec.limits.wall = std::chrono::seconds(15);
    spec.limits.output_cap = 256 * 1024;
    const RunResult r = run_isolated(spec);
    std::string text;
    std::size_t pos = 0;
    const std::string& o = r.out.text;
    while (pos < o.size()) {
      std::size_t end = o.find('\n', pos);
      if (end == std::string::npos) end = o.size();
      const std::string_view line(o.data() + pos, end - pos);
      if (line.starts_with("Thread ") || line.starts_with("#")) {
        if (line.starts_with("Thread ") && !text.empty()) text += '\n';
        text.append(line);
        text += '\n';
      }
      pos = end + 1;
    }
    if (text.empty()) {
      text = "(gdb gave no backtrace: " +
             (r.timed_out ? std::string("it timed out") : r.err.text.substr(0, 400)) + ")";
    }
    bt.text = std::move(text);
    out.push_back(std::move(bt));
  }
  return out;
}

}  // namespace grader
