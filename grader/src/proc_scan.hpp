#pragma once
/// @file
/// @brief What /proc says about the processes of a run: their group, state,
/// PID namespace, memory and command line (for isolated_run.cpp).
#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace grader {

/// The state character and process group of /proc/PID/stat ('\0' if gone).
struct StatInfo {
  char state = '\0';
  pid_t pgrp = 0;
};
StatInfo read_stat(pid_t pid);

/// The high-water mark of a process's resident memory (0 once it has exited).
long read_vm_hwm_kb(pid_t pid);

/// A process of a run, and whether it is a zombie.
struct Member {
  pid_t pid;
  bool zombie;
};

/// The inode of a process's PID namespace (0 when it is gone).
ino_t pid_namespace_of(pid_t pid);

/// The processes of group `pgid`, and those of the PID namespace `pid_ns` when
/// not 0 (the sandbox's: a process that left the group with setsid() is still in it).
std::vector<Member> members_of(pid_t pgid, ino_t pid_ns = 0);

/// Processes whose real user is `uid` (for RLIMIT_NPROC, which counts them all).
std::uint64_t user_processes(uid_t uid);

/// /proc/PID/cmdline with spaces between the arguments ("" when gone).
std::string read_cmdline(pid_t pid);

}  // namespace grader
