#include "run_cgroup.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace grader {

namespace {

// A cgroup hierarchy the grader may use: where the grader's own cgroup lies.
struct Hierarchy {
  std::string controller;  // "memory", "pids", "cpu"; "" for v2 (all of them)
  std::string dir;         // the directory new cgroups are made in
};

struct Setup {
  CgroupSupport support;
  std::vector<Hierarchy> hierarchies;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool write_file(const std::string& path, const std::string& text, std::string* error = nullptr) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  const bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (!ok && error != nullptr) *error = fmt::format("writing '{}' to {}: {}", text, path, std::strerror(err));
  return ok;
}

// The value after `key ` in a flat-keyed file (memory.events, pids.events, memory.oom_control).
std::uint64_t keyed_value(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  std::uint64_t v = 0;
  while (in >> k >> v)
    if (k == key) return v;
  return 0;
}

std::uint64_t number_in(const std::string& path) {
  return std::strtoull(read_file(path).c_str(), nullptr, 10);
}

// /proc/self/mountinfo: the mount point and mounted root of each cgroup hierarchy,
// keyed by controller ("" for cgroup2).
struct Mount {
  std::string root, point;
};
std::map<std::string, Mount> cgroup_mounts() {
  std::map<std::string, Mount> out;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    // "id parent dev root point options [optional...] - fstype source superoptions"
    std::istringstream f(line);
    std::string id, parent, dev, root, point, options, word;
    f >> id >> parent >> dev >> root >> point >> options;
    while (f >> word && word != "-") {
    }
    std::string fstype, source, super;
    f >> fstype >> source >> super;
    if (fstype == "cgroup2") {
      out.emplace("", Mount{root, point});
    } else if (fstype == "cgroup") {
      std::istringstream opts(super);
      for (std::string o; std::getline(opts, o, ',');) out.emplace(o, Mount{root, point});
    }
  }
  return out;
}

// /proc/self/cgroup: our cgroup's path in each hierarchy, keyed as cgroup_mounts().
std::map<std::string, std::string> own_cgroups() {
  std::map<std::string, std::string> out;
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto a = line.find(':');
    const auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::istringstream controllers(line.substr(a + 1, b - a - 1));
    const std::string path = line.substr(b + 1);
    if (line.compare(0, a, "0") == 0 && b == a + 1) {
      out.emplace("", path);
      continue;
    }
    for (std::string c; std::getline(controllers, c, ',');) out.emplace(c, path);
  }
  return out;
}

// The directory of our cgroup in a hierarchy mounted at `m` ("" when it is not visible there).
std::string own_dir(const Mount& m, const std::string& path) {
  std::string rel = path;
  if (m.root != "/") {
    if (rel.rfind(m.root, 0) != 0) return {};
    rel = rel.substr(m.root.size());
  }
  return m.point + (rel == "/" ? "" : rel);
}

// cgroup v2: our cgroup must offer memory and pids, and we must be able to empty it
// of ourselves (a leaf of our own) and hand the controllers to its children.
bool try_v2(const std::map<std::string, Mount>& mounts, const std::map<std::string, std::string>& own,
            Setup& setup, std::string& why) {
  const auto m = mounts.find("");
  const auto p = own.find("");
  if (m == mounts.end() || p == own.end()) {
    why = "no cgroup v2 hierarchy";
    return false;
  }
  const std::string dir = own_dir(m->second, p->second);
  const std::string controllers = " " + read_file(dir + "/cgroup.controllers");
  for (const char* c : {"memory", "pids"}) {
    if (controllers.find(fmt::format(" {}", c)) == std::string::npos) {
      why = fmt::format("cgroup v2: the grader's cgroup {} does not offer the {} controller", p->second, c);
      return false;
    }
  }
  // Not cpu: a cgroup with the cpu controller is scheduled as one entity, so a run's
  // processes together would weigh as much as one other busy process of the machine
  // (a speed-up measured beside other load would shrink). RunCgroup enables it only
  // for a CPU quota.
  const std::string enable = "+memory +pids";
  const std::string leaf = fmt::format("{}/mp-grader-{}", dir, ::getpid());
  if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
    why = fmt::format("cgroup v2: cannot make {}: {}", leaf, std::strerror(errno));
    return false;
  }
  std::string error;
  if (!write_file(leaf + "/cgroup.procs", "0", &error) ||
      !write_file(dir + "/cgroup.subtree_control", enable, &error)) {
    (void)write_file(dir + "/cgroup.procs", "0");  // back where we were
    ::rmdir(leaf.c_str());
    why = "cgroup v2: " + error +
          " (the grader's cgroup must hold the grader alone: run it under `systemd-run --user --scope -p "
          "Delegate=yes`)";
    return false;
  }
  setup.hierarchies.push_back({"", dir});
  setup.support.version = "v2";
  return true;
}

// cgroup v1: a writable directory of our own in the memory and pids hierarchies (cpu if there).
bool try_v1(const std::map<std::string, Mount>& mounts, const std::map<std::string, std::string>& own,
            Setup& setup, std::string& why) {
  for (const char* c : {"memory", "pids", "cpu"}) {
    const auto m = mounts.find(c);
    const auto p = own.find(c);
    const bool required = std::strcmp(c, "cpu") != 0;
    if (m == mounts.end() || p == own.end()) {
      if (!required) continue;
      why = fmt::format("cgroup v1: no {} hierarchy", c);
      return false;
    }
    const std::string dir = own_dir(m->second, p->second);
    if (dir.empty() || ::access(dir.c_str(), W_OK) != 0) {
      if (!required) continue;
      why = fmt::format("cgroup v1: cannot write {} (the {} hierarchy; root can)",
                        dir.empty() ? p->second : dir, c);
      return false;
    }
    setup.hierarchies.push_back({c, dir});
  }
  setup.support.version = "v1";
  return true;
}

const Setup& setup() {
  static const Setup s = [] {
    Setup out;
    const char* env = std::getenv("MP_GRADER_CGROUP");
    if (env != nullptr && std::string(env) == "off") {
      out.support.why_not = "turned off (MP_GRADER_CGROUP=off)";
      return out;
    }
    const auto mounts = cgroup_mounts();
    const auto own = own_cgroups();
    std::string why2, why1;
    if (try_v2(mounts, own, out, why2)) {
      out.support.available = true;
    } else {
      out.hierarchies.clear();
      if (try_v1(mounts, own, out, why1)) {
        out.support.available = true;
      } else {
        out.hierarchies.clear();
        out.support.why_not = why2 + "; " + why1;
      }
    }
    return out;
  }();
  return s;
}

std::atomic<unsigned> next_run{0};

}  // namespace

const CgroupSupport& cgroup_support() { return setup().support; }

RunCgroup::RunCgroup(const CgroupLimits& limits) {
  const Setup& s = setup();
  if (!s.support.available) {
    error_ = s.support.why_not;
    return;
  }
  const std::string name = fmt::format("mp-grader-{}-run{}", ::getpid(), next_run.fetch_add(1));
  const bool v2 = s.support.version == "v2";
  std::string error;
  bool ok = true;
  for (const Hierarchy& h : s.hierarchies) {
    if (h.controller == "cpu" && limits.cpus <= 0) continue;  // see try_v2: only for a quota
    if (v2 && limits.cpus > 0 && !write_file(h.dir + "/cgroup.subtree_control", "+cpu", &error)) {
      ok = false;
      break;
    }
    const std::string dir = h.dir + "/" + name;
    if (::mkdir(dir.c_str(), 0755) != 0) {
      error = fmt::format("cannot make {}: {}", dir, std::strerror(errno));
      ok = false;
      break;
    }
    dirs_.push_back(dir);
    const auto set = [&](const char* file, const std::string& value) {
      ok = ok && write_file(dir + "/" + file, value, &error);
    };
    const std::uint64_t period_us = 100'000;
    const auto quota_us = static_cast<std::uint64_t>(std::ceil(limits.cpus * static_cast<double>(period_us)));
    if (v2) {
      if (limits.memory_bytes > 0) {
        set("memory.max", std::to_string(limits.memory_bytes));
        (void)write_file(dir + "/memory.swap.max", "0");  // absent without swap accounting
      }
      if (limits.tasks > 0) set("pids.max", std::to_string(limits.tasks));
      if (limits.cpus > 0) (void)write_file(dir + "/cpu.max", fmt::format("{} {}", quota_us, period_us));
    } else if (h.controller == "memory" && limits.memory_bytes > 0) {
      set("memory.limit_in_bytes", std::to_string(limits.memory_bytes));
      (void)write_file(dir + "/memory.memsw.limit_in_bytes", std::to_string(limits.memory_bytes));
    } else if (h.controller == "pids" && limits.tasks > 0) {
      set("pids.max", std::to_string(limits.tasks));
    } else if (h.controller == "cpu" && limits.cpus > 0) {
      set("cpu.cfs_period_us", std::to_string(period_us));
      set("cpu.cfs_quota_us", std::to_string(quota_us));
    }
    const int fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      error = fmt::format("cannot open {}/cgroup.procs: {}", dir, std::strerror(errno));
      ok = false;
    } else {
      procs_fds_.push_back(fd);
    }
    if (!ok) break;
  }
  if (!ok) {
    error_ = error;
    for (const int fd : procs_fds_) ::close(fd);
    procs_fds_.clear();
    for (const std::string& dir : dirs_) ::rmdir(dir.c_str());
    dirs_.clear();
  }
}

bool RunCgroup::enter_from_child() const noexcept {
  for (const int fd : procs_fds_)
    if (::write(fd, "0", 1) != 1) return false;
  return true;
}

CgroupUsage RunCgroup::usage() const {
  CgroupUsage u;
  for (const std::string& dir : dirs_) {
    if (setup().support.version == "v2") {
      u.peak_memory_bytes = number_in(dir + "/memory.peak");
      u.memory_exceeded = keyed_value(read_file(dir + "/memory.events"), "oom_kill") > 0;
      u.tasks_exceeded = keyed_value(read_file(dir + "/pids.events"), "max") > 0;
    } else if (::access((dir + "/memory.max_usage_in_bytes").c_str(), R_OK) == 0) {
      u.peak_memory_bytes = number_in(dir + "/memory.max_usage_in_bytes");
      u.memory_exceeded = keyed_value(read_file(dir + "/memory.oom_control"), "oom_kill") > 0;
    } else if (::access((dir + "/pids.events").c_str(), R_OK) == 0) {
      u.tasks_exceeded = keyed_value(read_file(dir + "/pids.events"), "max") > 0;
    }
  }
  return u;
}

void RunCgroup::kill_all() const {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (int round = 0; std::chrono::steady_clock::now() < give_up; ++round) {
    bool any = false;
    for (const std::string& dir : dirs_) {
      std::istringstream procs(read_file(dir + "/cgroup.procs"));
      for (pid_t pid = 0; procs >> pid;) {
        any = true;
        ::kill(pid, SIGKILL);
      }
    }
    if (!any) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(round < 10 ? 1 : 10));
  }
}

RunCgroup::~RunCgroup() {
  if (!active()) return;
  kill_all();
  for (const int fd : procs_fds_) ::close(fd);
  // A cgroup is removable once its last process is reaped: whoever reaps them
  // (the run's own init, the grader) may take a moment after the kill.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (const std::string& dir : dirs_) {
    while (::rmdir(dir.c_str()) != 0 && errno == EBUSY && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace grader
