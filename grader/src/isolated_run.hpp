#pragma once
/// @file
/// @brief Runs a program isolated: its own process group, resource limits, a
/// wall-clock limit, capped output, and a clean-up that leaves nothing behind.
///
/// What one run guarantees, whatever the program does:
/// - With `limits.sandbox.enabled`, it runs inside bubblewrap (sandbox.hpp) when
///   the machine allows: own PID namespace, read-only files, private /tmp and
///   /dev/shm. A signal that ends the program comes back as bwrap's exit status
///   128+N and is reported as the signal N.
/// - It runs in a new process group (setpgid), stdin from /dev/null, in `cwd`.
/// - With `limits.cgroup` and a machine that allows it, a cgroup of its own
///   (run_cgroup.hpp): memory, processes and CPU limited for the whole run.
/// - Limits (setrlimit, inherited by its children): CPU seconds, address space,
///   file size, no core files, RLIMIT_NPROC. RLIMIT_NPROC counts per user and
///   is not enforced for root, so the group is also watched (/proc, every
///   `scan_interval`): more than `max_processes` members and the group is killed.
/// - stdout and stderr go through pipes; the first `output_cap` bytes of each
///   are kept, the rest is read and discarded, so the program never blocks on
///   a full pipe and the grader's memory stays bounded. Every complete line,
///   including the discarded ones, is passed to the line observers.
/// - At the wall-clock limit: a backtrace of every process of the group (gdb,
///   when installed, each time-limited), then SIGKILL to the whole group.
/// - When the program ends (normally or not): SIGKILL to what is left of its
///   group (children it did not wait for), every member reaped, and the
///   shared-memory segments of the run removed from /dev/shm: those named
///   `mp_<pid>_*` (the runtime's names) for every pid seen in the group.
///   Other segments that appeared during the run are reported, not removed:
///   they may belong to someone else.
///
/// The program's leader is watched with a pidfd and only reaped after the rest
/// of its group is killed, so the group id cannot be reused while we signal it.
/// Orphans in the group are reaped by us when main() made the grader a child
/// subreaper (enable_child_subreaper()).
///
/// Thread-safe: several runs may go on at once from different threads.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "run_cgroup.hpp"
#include "sandbox.hpp"

namespace grader {

struct RunLimits {
  std::chrono::milliseconds wall{30'000};
  std::uint64_t cpu_s = 0;                ///< RLIMIT_CPU per process; 0 = none
  std::uint64_t address_space_bytes = 0;  ///< RLIMIT_AS; 0 = none (sanitizers need terabytes)
  std::uint64_t file_size_bytes = 0;      ///< RLIMIT_FSIZE; 0 = none
  int max_processes = 0;                  ///< group members at once; 0 = not watched
  std::size_t output_cap = 64 * 1024;     ///< bytes kept per stream
  SandboxLimits sandbox;                  ///< enabled: the run goes through bubblewrap (sandbox.hpp)
  CgroupLimits cgroup;                    ///< for the whole run, where the machine allows (run_cgroup.hpp)
};

struct RunSpec {
  std::vector<std::string> argv;                         ///< argv[0] is searched in PATH when it has no '/'
  std::filesystem::path cwd;                             ///< empty: the grader's
  std::vector<std::pair<std::string, std::string>> env;  ///< set on top of the grader's environment
  RunLimits limits;
  bool backtraces_on_timeout = false;
  std::chrono::milliseconds scan_interval{50};
  std::function<void(std::string_view line)> on_stdout_line;  ///< every complete line (without '\n')
  std::function<void(std::string_view line)> on_stderr_line;
};

struct Capture {
  std::string text;  ///< the first output_cap bytes
  std::uint64_t total_bytes = 0;
  bool truncated() const { return total_bytes > text.size(); }
};

struct Backtrace {
  pid_t pid = 0;
  std::string command;  ///< /proc/PID/cmdline, spaces between arguments
  std::string text;     ///< "Thread N ..." and "#k ..." lines from gdb, or why there is none
};

struct RunResult {
  bool started = false;
  std::string start_error;  ///< why the program could not be started (exec failed, ...)
  pid_t pid = 0;
  int exit_code = -1;  ///< when it exited
  int signal = 0;      ///< when a signal ended it (also SIGKILL from us at a limit)
  bool timed_out = false;
  bool too_many_processes = false;
  int peak_processes = 0;     ///< most group members seen at once
  int stragglers_killed = 0;  ///< members still alive after the leader ended
  Capture out;
  Capture err;
  std::vector<Backtrace> backtraces;
  std::vector<std::string> segments_removed;  ///< names in /dev/shm
  std::vector<std::string> segments_left;     ///< appeared during the run, not provably ours
  double wall_s = 0;
  long peak_rss_kb = 0;          ///< the leader's own peak resident memory (VmHWM, sampled at each scan)
  bool sandboxed = false;        ///< it ran inside the sandbox (limits.sandbox.enabled and available)
  bool in_cgroup = false;        ///< it ran in a cgroup of its own with limits.cgroup
  std::string cgroup_error;      ///< why not, when limits.cgroup asked for one
  bool memory_exceeded = false;  ///< the kernel killed a process of it at limits.cgroup.memory_bytes
  bool tasks_exceeded = false;   ///< a fork or a new thread failed at limits.cgroup.tasks
  std::uint64_t peak_memory_bytes = 0;  ///< all its processes together (from the cgroup; 0: unknown)

  bool exited_ok() const {
    return started && !timed_out && !too_many_processes && signal == 0 && exit_code == 0;
  }
  /// "exit status 0", "killed by signal 11 (SIGSEGV)", "timed out after 3 s", ...
  std::string describe_end() const;
};

/// Runs the program as described; never throws for what the program does
/// (a failure to start is reported in RunResult::start_error). Throws
/// std::system_error only when the grader itself cannot work (no pipes, no fork).
RunResult run_isolated(const RunSpec& spec);

/// Makes this process adopt orphaned descendants (PR_SET_CHILD_SUBREAPER), so
/// that a run's grandchildren are reaped by us. Call once, early, from main().
void enable_child_subreaper();

/// Kills every group still running (SIGKILL); for a SIGINT/SIGTERM handler
/// (async-signal-safe).
void kill_all_running_groups() noexcept;

/// The processes whose process group is `pgid` (from /proc), zombies included.
std::vector<pid_t> process_group_members(pid_t pgid);

/// "SIGSEGV" for 11, "signal 77" for an unknown one.
std::string signal_name(int sig);

/// The search of argv[0] in PATH as execvp does; empty if not found.
std::string find_program(const std::string& name);

}  // namespace grader
