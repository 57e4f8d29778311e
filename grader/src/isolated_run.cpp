#include "isolated_run.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <system_error>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "backtraces.hpp"
#include "proc_scan.hpp"

extern char** environ;  // NOLINT: POSIX

namespace grader {

namespace {

using Clock = std::chrono::steady_clock;

// Groups running now, for kill_all_running_groups() from a signal handler:
// lock-free slots (relaxed is enough: the handler only needs a pid it may
// kill; a stale or missing entry only means one group more or less to kill).
constexpr std::size_t slots = 128;
std::array<std::atomic<pid_t>, slots> running_groups{};

std::size_t register_group(pid_t pgid) {
  for (std::size_t i = 0; i < slots; ++i) {
    pid_t expected = 0;
    if (running_groups[i].compare_exchange_strong(expected, pgid, std::memory_order_relaxed)) return i;
  }
  return slots;  // full: this group is simply not killed on Ctrl-C
}

void unregister_group(std::size_t slot) {
  if (slot < slots) running_groups[slot].store(0, std::memory_order_relaxed);
}

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

void make_pipe(Fd& r, Fd& w) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe2");
  r.fd = p[0];
  w.fd = p[1];
}

std::set<std::string> shm_names() {
  std::set<std::string> names;
  DIR* d = ::opendir("/dev/shm");
  if (d == nullptr) return names;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') names.insert(e->d_name);
  }
  ::closedir(d);
  return names;
}

// Accumulates one stream: keeps the first `cap` bytes, hands complete lines to the observer.
class StreamSink {
public:
  StreamSink(Capture& capture, std::size_t cap, const std::function<void(std::string_view)>& observer)
      : capture_(capture), cap_(cap), observer_(observer) {}

  void feed(const char* data, std::size_t n) {
    capture_.total_bytes += n;
    if (capture_.text.size() < cap_) capture_.text.append(data, std::min(n, cap_ - capture_.text.size()));
    if (!observer_) return;
    for (std::size_t i = 0; i < n; ++i) {
      if (data[i] == '\n') {
        observer_(partial_);
        partial_.clear();
      } else if (partial_.size() < max_line) {
        partial_.push_back(data[i]);
      }
    }
  }

  void finish() {
    if (observer_ && !partial_.empty()) observer_(partial_);
    partial_.clear();
  }

private:
  // Longer lines are cut (the observer only needs the start).
  static constexpr std::size_t max_line = 16 * 1024;
  Capture& capture_;
  std::size_t cap_;
  const std::function<void(std::string_view)>& observer_;
  std::string partial_;
};

// Reads what is there (at most 1 MiB, so that a program that never stops
// writing cannot keep us from watching the clock); returns false at EOF or
// error (the fd is then closed).
bool pump(Fd& fd, StreamSink& sink) {
  char buf[64 * 1024];
  for (int reads = 0; reads < 16; ++reads) {
    const ssize_t n = ::read(fd.fd, buf, sizeof buf);
    if (n > 0) {
      sink.feed(buf, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < sizeof buf) return true;
      continue;  // maybe more
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    fd.reset();
    return false;
  }
  return true;
}

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

// What the child reports through the exec-error pipe when it cannot start.
struct StartFailure {
  int stage;  // 0 chdir, 1 execve, 2 entering the cgroup
  int error;
};

void set_limit(int resource, std::uint64_t soft, std::uint64_t hard) {
  rlimit r{};
  r.rlim_cur = static_cast<rlim_t>(soft);
  r.rlim_max = static_cast<rlim_t>(hard);
  (void)::setrlimit(resource, &r);  // best effort: a limit above the hard one is refused, keep the current
}

}  // namespace

std::string signal_name(int sig) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
#endif
  return fmt::format("signal {}", sig);
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return {};
}

std::vector<pid_t> process_group_members(pid_t pgid) {
  std::vector<pid_t> out;
  for (const Member& m : members_of(pgid)) out.push_back(m.pid);
  return out;
}

void enable_child_subreaper() { (void)::prctl(PR_SET_CHILD_SUBREAPER, 1); }

void kill_all_running_groups() noexcept {
  for (auto& slot : running_groups) {
    const pid_t pgid = slot.load(std::memory_order_relaxed);
    if (pgid > 0) ::kill(-pgid, SIGKILL);
  }
}

std::string RunResult::describe_end() const {
  if (!started) return "could not start: " + start_error;
  if (timed_out) return fmt::format("timed out after {:.3g} s", wall_s);
  if (too_many_processes)
    return fmt::format("killed: more than the allowed number of processes ({} seen)", peak_processes);
  if (memory_exceeded && signal == SIGKILL) return "killed by the kernel: the run went over its memory limit";
  if (signal != 0) {
    const char* what = ::strsignal(signal);
    return fmt::format("killed by signal {} ({}{}{})", signal, signal_name(signal), what ? ", " : "",
                       what ? what : "");
  }
  return fmt::format("exit status {}", exit_code);
}

RunResult run_isolated(const RunSpec& spec) {
  RunResult result;
  if (spec.argv.empty()) {
    result.start_error = "no command";
    return result;
  }
  const std::string program = find_program(spec.argv[0]);
  if (program.empty()) {
    result.start_error = fmt::format("'{}' not found in PATH", spec.argv[0]);
    return result;
  }

  // Everything the child needs is prepared before fork: after fork, in a
  // multithreaded grader, the child may only make async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view kv(*e);
    const std::string_view key = kv.substr(0, kv.find('='));
    const bool overridden =
        std::any_of(spec.env.begin(), spec.env.end(), [&](const auto& p) { return p.first == key; });
    if (!overridden) env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  std::string program_path = program;
  const SandboxSupport& sandbox = spec.limits.sandbox.enabled ? sandbox_support() : SandboxSupport{};
  if (sandbox.available) {
    args[0] = program;
    args = sandboxed_argv(sandbox, spec.limits.sandbox, spec.cwd, args);
    program_path = sandbox.program;
    result.sandboxed = true;
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string cwd = spec.cwd.string();
  const RunLimits& lim = spec.limits;

  Fd out_r, out_w, err_r, err_w, fail_r, fail_w;
  make_pipe(out_r, out_w);
  make_pipe(err_r, err_w);
  make_pipe(fail_r, fail_w);
  Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const std::set<std::string> shm_before = shm_names();
  const pid_t parent = ::getpid();
  // RLIMIT_NPROC counts every process of the user (root is exempt): allow
  // what the user runs now plus the group's share, lowering only.
  std::uint64_t nproc_limit = 0;
  if (lim.max_processes > 0 && ::geteuid() != 0) {
    rlimit cur{};
    ::getrlimit(RLIMIT_NPROC, &cur);
    const std::uint64_t want =
        user_processes(::getuid()) + 2 * static_cast<std::uint64_t>(lim.max_processes) + 64;
    if (cur.rlim_cur == RLIM_INFINITY || cur.rlim_cur > want) nproc_limit = want;
  }

  // Made before the fork, so that the child only writes its pid (async-signal-safe);
  // removed when this function returns, after the run's last process is gone.
  std::optional<RunCgroup> cgroup;
  if (lim.cgroup.memory_bytes > 0 || lim.cgroup.tasks > 0 || lim.cgroup.cpus > 0) {
    cgroup.emplace(lim.cgroup);
    result.in_cgroup = cgroup->active();
    result.cgroup_error = cgroup->error();
  }

  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // The child: async-signal-safe calls only.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the grader died: so does the leader
    if (::getppid() != parent) ::_exit(127);
    ::dup2(devnull.fd >= 0 ? devnull.fd : out_w.fd, 0);
    ::dup2(out_w.fd, 1);
    ::dup2(err_w.fd, 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    set_limit(RLIMIT_CORE, 0, 0);
    if (lim.cpu_s > 0) set_limit(RLIMIT_CPU, lim.cpu_s, lim.cpu_s + 2);
    if (lim.address_space_bytes > 0) set_limit(RLIMIT_AS, lim.address_space_bytes, lim.address_space_bytes);
    if (lim.file_size_bytes > 0) set_limit(RLIMIT_FSIZE, lim.file_size_bytes, lim.file_size_bytes);
    if (nproc_limit > 0) set_limit(RLIMIT_NPROC, nproc_limit, nproc_limit);
    if (cgroup && cgroup->active() && !cgroup->enter_from_child()) {
      const StartFailure f{2, errno};
      (void)!::write(fail_w.fd, &f, sizeof f);
      ::_exit(127);
    }
#ifdef SYS_close_range
    ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);  // nothing else leaks into the program
#endif
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      const StartFailure f{0, errno};
      (void)!::write(fail_w.fd, &f, sizeof f);
      ::_exit(127);
    }
    ::execve(program_path.c_str(), argv.data(), envp.data());
    const StartFailure f{1, errno};
    (void)!::write(fail_w.fd, &f, sizeof f);
    ::_exit(127);
  }

  // The parent. Set the group here too: whichever of us runs first, the group
  // exists before we signal it.
  ::setpgid(pid, pid);
  const std::size_t slot = register_group(pid);
  result.pid = pid;
  out_w.reset();
  err_w.reset();
  fail_w.reset();
  devnull.reset();

  StartFailure failure{};
  ssize_t got = 0;
  do {
    got = ::read(fail_r.fd, &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    unregister_group(slot);
    static constexpr const char* stages[] = {"chdir to", "exec of", "entering the cgroup of"};
    result.start_error = fmt::format("{} {}: {}", stages[failure.stage], failure.stage == 0 ? cwd : program,
                                     std::strerror(failure.error));
    return result;
  }
  result.started = true;

  StreamSink out_sink(result.out, lim.output_cap, spec.on_stdout_line);
  StreamSink err_sink(result.err, lim.output_cap, spec.on_stderr_line);
  for (const int fd : {out_r.fd, err_r.fd}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  Fd pidfd(pidfd_open(pid));

  std::set<pid_t> seen{pid};
  const auto deadline = start + lim.wall;
  auto next_scan = start;
  bool leader_done = false;
  siginfo_t leader{};

  auto check_leader = [&] {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      leader = info;
      leader_done = true;
    }
  };
  // The sandbox's PID namespace, found from the first member that is not in ours.
  ino_t sandbox_ns = 0;
  const ino_t own_ns = pid_namespace_of(::getpid());
  auto scan = [&] {
    result.peak_rss_kb = std::max(result.peak_rss_kb, read_vm_hwm_kb(pid));
    if (result.sandboxed && sandbox_ns == 0) {
      for (const Member& m : members_of(pid)) {
        const ino_t ns = pid_namespace_of(m.pid);
        if (ns != 0 && ns != own_ns) sandbox_ns = ns;
      }
    }
    const auto members = members_of(pid, sandbox_ns);
    int alive = 0;
    for (const Member& m : members) {
      seen.insert(m.pid);
      if (!m.zombie) ++alive;
    }
    result.peak_processes = std::max(result.peak_processes, alive);
    return alive;
  };

  while (!leader_done) {
    const auto now = Clock::now();
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    if (now >= next_scan) {
      const int alive = scan();
      // The sandbox adds two processes of bwrap's (its monitor and the namespace's init).
      if (lim.max_processes > 0 && alive > lim.max_processes + (result.sandboxed ? 2 : 0)) {
        result.too_many_processes = true;
        break;
      }
      next_scan = now + spec.scan_interval;
    }
    auto wake = std::min(deadline, next_scan);
    if (pidfd.fd < 0) wake = std::min(wake, now + std::chrono::milliseconds(10));
    const int timeout_ms = static_cast<int>(
        std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::milliseconds>(wake - now).count()));
    pollfd fds[3];
    nfds_t n = 0;
    if (out_r.fd >= 0) fds[n++] = {out_r.fd, POLLIN, 0};
    if (err_r.fd >= 0) fds[n++] = {err_r.fd, POLLIN, 0};
    if (pidfd.fd >= 0) fds[n++] = {pidfd.fd, POLLIN, 0};
    const int ready = ::poll(fds, n, timeout_ms);
    if (ready < 0 && errno != EINTR) throw_errno("poll");
    if (out_r.fd >= 0) pump(out_r, out_sink);
    if (err_r.fd >= 0) pump(err_r, err_sink);
    check_leader();
  }

  if (!leader_done) {
    // A limit was hit: stop the group where it is. Backtraces first (the
    // processes are still there to be looked at), then kill.
    if (result.timed_out && spec.backtraces_on_timeout) {
      result.backtraces = backtraces_of(pid);
    }
    scan();
    ::kill(-pid, SIGKILL);
  } else {
    // The program ended; what is left of its group are stragglers it did not wait for.
    const auto members = members_of(pid);
    for (const Member& m : members) {
      seen.insert(m.pid);
      if (!m.zombie && m.pid != pid) ++result.stragglers_killed;
    }
    if (!members.empty()) ::kill(-pid, SIGKILL);  // the zombie leader still holds the group id
  }

  // Kill and reap until the group is gone. Members that are our children
  // (the leader; orphans we adopted as subreaper) are reaped here; others
  // are reaped by whoever adopted them.
  bool leader_reaped = false;
  int leader_status = 0;
  const auto give_up = Clock::now() + std::chrono::seconds(5);
  for (int round = 0;; ++round) {
    bool children_left = true;  // children of ours in the group, dead or alive
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(-pid, &status, WNOHANG);
      if (r < 0 && errno == ECHILD) children_left = false;
      if (r <= 0) break;
      if (r == pid) {
        leader_reaped = true;
        leader_status = status;
      }
    }
    const auto members = members_of(pid);
    const bool any_alive =
        std::any_of(members.begin(), members.end(), [](const Member& m) { return !m.zombie; });
    // Done when nothing of the group lives and no child of ours is left to reap
    // (zombies adopted by someone else are theirs to reap).
    if ((!any_alive && leader_reaped && (members.empty() || !children_left)) || Clock::now() > give_up) break;
    if (any_alive) ::kill(-pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(round < 10 ? 1 : 10));
  }
  if (!leader_reaped) ::waitpid(pid, &leader_status, 0);
  unregister_group(slot);
  if (cgroup && cgroup->active()) {
    const CgroupUsage usage = cgroup->usage();
    result.memory_exceeded = usage.memory_exceeded;
    result.tasks_exceeded = usage.tasks_exceeded;
    result.peak_memory_bytes = usage.peak_memory_bytes;
    cgroup->kill_all();  // a process that left the group (no sandbox) is still in the cgroup
  }

  if (leader_done) {
    if (leader.si_code == CLD_EXITED) {
      result.exit_code = leader.si_status;
    } else {
      result.signal = leader.si_status;
    }
  } else if (WIFSIGNALED(leader_status)) {
    result.signal = WTERMSIG(leader_status);
  } else if (WIFEXITED(leader_status)) {
    result.exit_code = WEXITSTATUS(leader_status);
  }
  // bwrap reports a program ended by signal N as its own exit status 128+N.
  if (result.sandboxed && result.signal == 0 && result.exit_code > 128 && result.exit_code < 128 + 65) {
    result.signal = result.exit_code - 128;
    result.exit_code = -1;
  }

  // Drain what the group wrote before it died (a process that escaped the
  // group may hold the pipes open: give up after a moment).
  const auto drain_until = Clock::now() + std::chrono::seconds(2);
  while ((out_r.fd >= 0 || err_r.fd >= 0) && Clock::now() < drain_until) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_r.fd >= 0) fds[n++] = {out_r.fd, POLLIN, 0};
    if (err_r.fd >= 0) fds[n++] = {err_r.fd, POLLIN, 0};
    if (::poll(fds, n, 100) < 0 && errno != EINTR) break;
    if (out_r.fd >= 0) pump(out_r, out_sink);
    if (err_r.fd >= 0) pump(err_r, err_sink);
  }
  out_sink.finish();
  err_sink.finish();
  result.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (result.timed_out) result.wall_s = std::chrono::duration<double>(lim.wall).count();

  // Shared memory: remove the runtime's segments of every process we saw.
  std::vector<std::string> prefixes;
  for (const pid_t p : seen) {
    prefixes.push_back(fmt::format("mp_{}_", p));
    prefixes.push_back(fmt::format("sem.mp_{}_", p));
  }
  for (const std::string& name : shm_names()) {
    const bool ours = std::any_of(prefixes.begin(), prefixes.end(),
                                  [&](const std::string& p) { return name.starts_with(p); });
    if (ours) {
      if (::unlink(("/dev/shm/" + name).c_str()) == 0) result.segments_removed.push_back(name);
    } else if (shm_before.count(name) == 0) {
      result.segments_left.push_back(name);
    }
  }
  return result;
}

}  // namespace grader
