#pragma once
/// @file
/// @brief The operating-system sandbox around every run of a student's code.
///
/// A run of a test or benchmark binary is wrapped in bubblewrap (`bwrap`, from
/// Debian's `bubblewrap` package) when the machine allows it:
/// - new user, PID, network, IPC, UTS and cgroup namespaces (`--unshare-all`):
///   the run sees only its own processes (getppid() is the sandbox's init, so
///   it cannot signal or stop the grader), has no network but its own loopback,
///   and everything in it, `setsid()` escapees included, dies when it ends or
///   when the grader dies (`--die-with-parent`);
/// - the whole file system read-only (the sources, the build tree, the reports),
///   except the run's own scratch directory (its cwd);
/// - a private /tmp and /dev/shm, each a tmpfs of a bounded size, gone with the run;
/// - uid 65534 inside, no capabilities.
/// Where bwrap is missing or the kernel refuses user namespaces, the run goes
/// on without it (process group, rlimits, scans: isolated_run.hpp) and the
/// report says so (Sandbox::description), instead of pretending.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace grader {

/// What a run's sandbox allows.
struct SandboxLimits {
  bool enabled = false;                    ///< false: no sandbox (the build, the grader's own tools)
  std::uint64_t tmp_bytes = 512ull << 20;  ///< the private /tmp's size
  std::uint64_t shm_bytes = 512ull << 20;  ///< the private /dev/shm's size
  /// Folders the run reads that may lie under /tmp, which the private /tmp would hide
  /// (a build tree or a checkout in /tmp): bound read-only over it. The program's own
  /// folder is added by run_isolated.
  std::vector<std::filesystem::path> visible;
};

/// Whether this machine can sandbox, found once per grader process.
struct SandboxSupport {
  bool available = false;
  std::string program;  ///< the bwrap found, e.g. /usr/bin/bwrap
  std::string version;  ///< "bubblewrap 0.8.0"
  std::string why_not;  ///< when not available: what is missing, and how to get it
};

/// Probes once (runs `bwrap ... true`), then answers from memory. Thread-safe.
/// `MP_GRADER_SANDBOX=off` in the environment turns the sandbox off (why_not says so).
const SandboxSupport& sandbox_support();

/// The command line that runs `argv` (argv[0] an absolute path) in the sandbox,
/// with `cwd` as its writable working directory (may be empty: then / read-only).
/// Of `limits.visible` and argv[0]'s folder, those under /tmp or /dev/shm are bound
/// read-only over the private ones (the cwd, bound last, stays writable).
std::vector<std::string> sandboxed_argv(const SandboxSupport& support, const SandboxLimits& limits,
                                        const std::filesystem::path& cwd,
                                        const std::vector<std::string>& argv);

/// One line for the reports: "bubblewrap 0.8.0: own PID, user, network namespaces; read-only
/// files; private /tmp and /dev/shm" or "none: <why>".
std::string sandbox_description();

}  // namespace grader
