#include "sandbox.hpp"

#include <cstdlib>
#include <mutex>

#include <fmt/format.h>

#include "isolated_run.hpp"
#include "run_cgroup.hpp"

namespace grader {

namespace {

// The flags every sandboxed run gets; the probe runs `true` under exactly these.
std::vector<std::string> base_flags(const SandboxLimits& limits) {
  return {"--unshare-all",
          "--die-with-parent",
          "--ro-bind",
          "/",
          "/",
          "--dev",
          "/dev",
          "--size",
          std::to_string(limits.shm_bytes),
          "--tmpfs",
          "/dev/shm",
          "--proc",
          "/proc",
          "--size",
          std::to_string(limits.tmp_bytes),
          "--tmpfs",
          "/tmp",
          "--uid",
          "65534",
          "--gid",
          "65534",
          "--cap-drop",
          "ALL"};
}

SandboxSupport probe() {
  SandboxSupport s;
  if (const char* v = std::getenv("MP_GRADER_SANDBOX"); v != nullptr && std::string(v) == "off") {
    s.why_not = "turned off (MP_GRADER_SANDBOX=off)";
    return s;
  }
  s.program = find_program("bwrap");
  if (s.program.empty()) {
    s.why_not = "bubblewrap is not installed (sudo apt-get install bubblewrap)";
    return s;
  }
  RunSpec version;
  version.argv = {s.program, "--version"};
  version.limits.wall = std::chrono::seconds(10);
  const RunResult v = run_isolated(version);
  s.version = v.out.text.substr(0, v.out.text.find('\n'));

  const std::string truth = find_program("true");
  RunSpec test;
  SandboxLimits probe_limits;
  probe_limits.enabled = true;
  test.argv = base_flags(probe_limits);
  test.argv.insert(test.argv.begin(), s.program);
  test.argv.insert(test.argv.end(), {"--", truth.empty() ? "/bin/true" : truth});
  test.limits.wall = std::chrono::seconds(10);
  const RunResult r = run_isolated(test);
  if (r.exited_ok()) {
    s.available = true;
  } else {
    std::string err = r.err.text.substr(0, r.err.text.find('\n'));
    s.why_not = fmt::format(
        "bwrap cannot make its namespaces here ({}{}{}): unprivileged user namespaces may be off "
        "(sysctl kernel.unprivileged_userns_clone=1, or an AppArmor profile for bwrap)",
        r.describe_end(), err.empty() ? "" : ": ", err);
  }
  return s;
}

}  // namespace

const SandboxSupport& sandbox_support() {
  static const SandboxSupport support = probe();  // thread-safe initialisation
  return support;
}

std::vector<std::string> sandboxed_argv(const SandboxSupport& support, const SandboxLimits& limits,
                                        const std::filesystem::path& cwd,
                                        const std::vector<std::string>& argv) {
  std::vector<std::string> out{support.program};
  for (auto& f : base_flags(limits)) out.push_back(std::move(f));
  std::vector<std::filesystem::path> visible = limits.visible;
  if (!argv.empty()) visible.push_back(std::filesystem::path(argv[0]).parent_path());
  for (const auto& v : visible) {
    const std::string p = v.lexically_normal().string();
    const bool hidden = p.starts_with("/tmp/") || p.starts_with("/dev/shm/");
    if (hidden && std::filesystem::exists(v)) out.insert(out.end(), {"--ro-bind", p, p});
  }
  if (!cwd.empty()) {
    out.insert(out.end(), {"--bind", cwd.string(), cwd.string(), "--chdir", cwd.string()});
  }
  out.emplace_back("--");
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string sandbox_description() {
  const SandboxSupport& s = sandbox_support();
  const CgroupSupport& c = cgroup_support();
  const std::string cgroup = c.available
                                 ? fmt::format("; a cgroup {} per run (memory, processes, CPU)", c.version)
                                 : "; no cgroup per run (" + c.why_not + ")";
  if (!s.available) return "none: " + s.why_not + cgroup;
  return fmt::format(
      "{}: own user, PID and network namespaces (nothing outlives a run), read-only files but the "
      "run's scratch directory, private /tmp and /dev/shm{}",
      s.version.empty() ? "bubblewrap" : s.version, cgroup);
}

}  // namespace grader
