#include "proc_scan.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace grader {

StatInfo read_stat(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[512];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return {};
  buf[n] = '\0';
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and ')', so parse after the last ')'.
  const char* close_paren = std::strrchr(buf, ')');
  if (close_paren == nullptr) return {};
  StatInfo info;
  int ppid = 0;
  int pgrp = 0;
  if (std::sscanf(close_paren + 1, " %c %d %d", &info.state, &ppid, &pgrp) != 3) return {};
  info.pgrp = pgrp;
  return info;
}

// The high-water mark of a process's resident memory (0 once it has exited).
long read_vm_hwm_kb(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* hwm = std::strstr(buf, "VmHWM:");
  return hwm != nullptr ? std::strtol(hwm + 6, nullptr, 10) : 0;
}

// The inode of a process's PID namespace (0 when it is gone).
ino_t pid_namespace_of(pid_t pid) {
  struct stat st {};
  return ::stat(fmt::format("/proc/{}/ns/pid", pid).c_str(), &st) == 0 ? st.st_ino : 0;
}

// The processes of group `pgid`, and those of the PID namespace `pid_ns` when
// not 0 (the sandbox's: a process that left the group with setsid() is still in it).
std::vector<Member> members_of(pid_t pgid, ino_t pid_ns) {
  std::vector<Member> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const pid_t pid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
    const StatInfo s = read_stat(pid);
    if (s.state == '\0') continue;
    if (s.pgrp == pgid || (pid_ns != 0 && pid_namespace_of(pid) == pid_ns)) {
      out.push_back({pid, s.state == 'Z' || s.state == 'X'});
    }
  }
  ::closedir(d);
  return out;
}

// Processes whose real user is `uid` (for RLIMIT_NPROC, which counts them all).
std::uint64_t user_processes(uid_t uid) {
  std::uint64_t n = 0;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const std::string path = std::string("/proc/") + e->d_name + "/status";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buf[2048];
    const ssize_t got = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (got <= 0) continue;
    buf[got] = '\0';
    if (const char* u = std::strstr(buf, "\nUid:"); u != nullptr && std::strtoul(u + 5, nullptr, 10) == uid)
      ++n;
  }
  ::closedir(d);
  return n;
}

std::string read_cmdline(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/cmdline";
  std::string s;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) s.assign(buf, static_cast<std::size_t>(n));
    ::close(fd);
  }
  while (!s.empty() && s.back() == '\0') s.pop_back();
  std::replace(s.begin(), s.end(), '\0', ' ');
  return s;
}

}  // namespace grader
