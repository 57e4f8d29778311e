#pragma once
/// @file
/// @brief A control group for one run: limits on the memory, the processes and
/// the CPU of everything the run starts, together. Rlimits count per process
/// (a thousand processes of 100 MiB each pass an RLIMIT_AS of 1 GiB) and the
/// process watch acts only every 50 ms; the kernel enforces a cgroup's limits
/// at once and for the whole run.
///
/// - cgroup v2: a child of the grader's own cgroup, when that one may be
///   delegated to it (its `cgroup.controllers` lists memory and pids and the
///   grader may write it, e.g. under `systemd-run --user --scope -p Delegate=yes`,
///   or as root). Because a cgroup with processes in it cannot hand controllers
///   to its children, the grader first moves itself into a leaf child
///   (`mp-grader-<pid>`), then makes one cgroup per run beside it.
/// - cgroup v1: one directory per hierarchy (memory, pids, cpu), under the
///   grader's own cgroup in each (root can; others need the directories chowned).
///
/// Where neither works (no permission, no controllers, a read-only
/// /sys/fs/cgroup in a container), runs go on without, limited by rlimits and
/// the process watch only, and cgroup_support().why_not says why: the reports
/// show it (sandbox_description()).
#include <cstdint>
#include <string>
#include <vector>

namespace grader {

/// The limits of one run's cgroup; 0: that limit is not set.
struct CgroupLimits {
  std::uint64_t memory_bytes =
      0;                    ///< resident memory (and swap, where the kernel counts it) of all its processes
  std::uint64_t tasks = 0;  ///< processes and threads at once (the pids controller counts both)
  double cpus = 0;          ///< CPU time per second of wall time: 2 = two cores' worth
};

/// Whether runs get a cgroup on this machine, found once per grader process.
struct CgroupSupport {
  bool available = false;
  std::string version;  ///< "v2" or "v1"
  std::string why_not;  ///< when not available: what is missing, and what would give it
};

/// Probes once (v2 first, then v1), then answers from memory. Thread-safe.
/// `MP_GRADER_CGROUP=off` in the environment turns cgroups off (why_not says so).
const CgroupSupport& cgroup_support();

/// What the kernel counted for a run's cgroup.
struct CgroupUsage {
  std::uint64_t peak_memory_bytes = 0;  ///< 0 where the kernel does not say (v2 before Linux 5.19)
  bool memory_exceeded = false;         ///< the kernel killed a process of the run at the memory limit
  bool tasks_exceeded = false;          ///< a fork or a new thread failed at the task limit
};

/// One run's cgroup: made by the constructor, emptied (SIGKILL) and removed by
/// the destructor. Never throws: when the cgroup cannot be made, active() is
/// false and error() says why, and the run goes on without it.
class RunCgroup {
public:
  RunCgroup() = default;  ///< none
  explicit RunCgroup(const CgroupLimits& limits);
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;
  ~RunCgroup();

  [[nodiscard]] bool active() const noexcept { return !dirs_.empty(); }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /// Its directories, one per hierarchy (v2: one).
  [[nodiscard]] const std::vector<std::string>& dirs() const noexcept { return dirs_; }

  /// Moves the calling process into the cgroup: for the run's child between
  /// fork and exec (async-signal-safe: one write per hierarchy). Returns false
  /// when a write failed (the child then ends: a run must not escape its limits).
  [[nodiscard]] bool enter_from_child() const noexcept;

  /// The counters, read after the run (before the destructor removes them).
  [[nodiscard]] CgroupUsage usage() const;

  /// SIGKILLs every process left in the cgroup until it is empty (bounded wait).
  void kill_all() const;

private:
  std::vector<std::string> dirs_;  // one per hierarchy (v2: one)
  std::vector<int> procs_fds_;     // their cgroup.procs, open for writing
  std::string error_;
};

}  // namespace grader
