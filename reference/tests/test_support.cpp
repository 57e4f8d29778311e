#include "test_support.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include "mp/detail/shared_region.hpp"

namespace mp::testing {

std::chrono::milliseconds scaled(std::chrono::milliseconds d) {
  const char* s = std::getenv("MP_TEST_TIME_SCALE");
  const double k = s != nullptr ? std::atof(s) : 1.0;
  return std::chrono::milliseconds(
      static_cast<long long>(static_cast<double>(d.count()) * (k > 0 ? k : 1.0)));
}

namespace {

std::vector<std::string> segments_starting_with(const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/dev/shm", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0) out.push_back(name);
  }
  return out;
}

// Taken at load time, in the program's first process, as the runtime computes
// its prefix (mp::detail::segment_prefix(), another translation unit whose
// initialisation may not have run yet: hence the prefix is spelled here).
const std::string prefix_at_start = "mp_" + std::to_string(::getpid()) + "_";
const std::vector<std::string> present_at_start = segments_starting_with(prefix_at_start);

}  // namespace

std::vector<std::string> leaked_segments() {
  const std::string prefix = mp::detail::segment_prefix();
  if (prefix != prefix_at_start) {
    ADD_FAILURE() << "segment prefix " << prefix << " is not " << prefix_at_start
                  << ": update leaked_segments() to the runtime's naming";
  }
  std::vector<std::string> out;
  for (auto& name : segments_starting_with(prefix)) {
    if (std::find(present_at_start.begin(), present_at_start.end(), name) == present_at_start.end()) {
      out.push_back(std::move(name));
    }
  }
  return out;
}

std::string command_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

std::vector<pid_t> our_children() {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "children");
    for (pid_t child = 0; in >> child;) {
      const std::string comm = command_of(child);
      if (comm.find("symbolizer") == std::string::npos && comm != "addr2line") out.push_back(child);
    }
  }
  return out;
}

namespace {

class NoLeaks : public ::testing::Environment {
public:
  void TearDown() override {
    const auto children = our_children();
    std::string which;
    for (pid_t pid : children) which += " " + std::to_string(pid) + " (" + command_of(pid) + ")";
    EXPECT_TRUE(children.empty()) << "child processes outlived the tests, not joined:" << which;
    for (pid_t pid : children) {  // never leave one running behind us
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    const auto leaked = leaked_segments();
    std::string names;
    for (const auto& n : leaked) names += " /dev/shm/" + n;
    EXPECT_TRUE(leaked.empty()) << "shared-memory segments leaked:" << names;
  }
};

}  // namespace

::testing::Environment* leak_check_environment() { return new NoLeaks; }

char process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto paren = stat.rfind(')');  // the name may hold spaces and parentheses
  return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

bool wait_until_sleeping(pid_t pid, std::chrono::milliseconds deadline, bool or_exited) {
  return wait_until(
      [&] {
        const char state = process_state(pid);
        return state == 'S' || (or_exited && state == 'Z');
      },
      deadline);
}

bool wait_until_stopped(pid_t pid, std::chrono::milliseconds deadline) {
  return wait_until([&] { return process_state(pid) == 'T'; }, deadline);
}

bool wait_until_in_futex(pid_t pid, std::chrono::milliseconds deadline) {
  return wait_until(
      [&] {
        std::ifstream in("/proc/" + std::to_string(pid) + "/syscall");
        long nr = -1;
        in >> nr;
        return nr == SYS_futex && process_state(pid) == 'S';
      },
      deadline);
}

bool reset_peak_rss() {
  const int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, "5", 1) == 1;
  ::close(fd);
  return ok;
}

std::size_t peak_rss() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  ADD_FAILURE() << "no VmHWM in /proc/self/status";
  return 0;
}

int run_in_child(void (*fn)(), std::chrono::milliseconds deadline) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    fn();
    ::_exit(0);
  }
  const auto until = std::chrono::steady_clock::now() + scaled(deadline);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > until) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -SIGKILL;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling a child's end, not ordering
  }
  return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace mp::testing
