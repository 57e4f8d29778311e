#include "student_code.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string_view>
#include <thread>
#include <vector>

#include <cxxabi.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp/detail/demangle.hpp>

#include "test_support.hpp"

// The lesson's generated trampolines (cmake/MpStudentCalls.cmake).
#if defined(__SANITIZE_ADDRESS__)
#define MP_HARNESS_LEAK_CHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_HARNESS_LEAK_CHECK 1
#endif
#endif

extern "C" {
#ifdef MP_HARNESS_LEAK_CHECK
int __lsan_do_recoverable_leak_check();  // LeakSanitizer's check now, instead of at exit
#endif
extern const char mp_student_code_default[];
extern const std::size_t mp_student_call_count;
extern const char* const mp_student_call_names[];
extern void* const mp_student_call_missing[];
extern void* mp_student_call_slots[];
[[noreturn]] void mp_student_call_missing_handler(int index);
}

namespace mp::testing {

namespace {

using Clock = std::chrono::steady_clock;

// What the child sends: one frame, a kind byte, a 64-bit length, the payload.
enum class Frame : std::uint8_t { value = 1, raised = 2, broken = 3 };
constexpr std::size_t header_size = 9;
constexpr std::size_t max_payload = std::size_t{256} << 20;  // a hostile length costs nothing

int trusted_fd = -1;
bool in_child = false;
int result_fd = -1;

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // the parent is gone: nothing left to tell
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void send_frame(Frame kind, std::string_view payload) {
  char header[header_size];
  header[0] = static_cast<char>(kind);
  const std::uint64_t n = payload.size();
  std::memcpy(header + 1, &n, sizeof n);
  write_all(result_fd, header, sizeof header);
  write_all(result_fd, payload.data(), payload.size());
}

[[noreturn]] void end_child(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  ::_exit(code);
}

std::string current_exception_type() {
  const std::type_info* t = abi::__cxa_current_exception_type();
  return t == nullptr ? std::string("an exception of unknown type") : mp::detail::demangle(t->name());
}

// The child's side: load the student's object (unless `load` is false: trusted
// code only), point the trampolines at it, run the body, send its bytes.
// Never returns.
[[noreturn]] void run_child(const std::function<std::string()>& body, pid_t parent, bool load) {
  in_child = true;
  // Before a line of the student's code exists here: the trusted descriptor goes, and
  // stdout becomes stderr, so that what the parent prints (gtest's progress, a
  // benchmark's report) is the parent's alone. The parent is not dumpable, so its
  // descriptors cannot be reopened through /proc.
  if (trusted_fd >= 0) ::close(trusted_fd);
  std::cout.flush();
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(120);
  if (load) {
    const std::string path = student_code_path();
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      send_frame(Frame::broken,
                 "your code could not be loaded (" + path + "): " + (why ? why : "unknown error"));
      end_child(0);
    }
    for (std::size_t i = 0; i < mp_student_call_count; ++i) {
      void* p = ::dlsym(handle, mp_student_call_names[i]);
      mp_student_call_slots[i] = p != nullptr ? p : mp_student_call_missing[i];
    }
  }
  try {
    const std::string bytes = body();
#ifdef MP_HARNESS_LEAK_CHECK
    // The child ends with _exit, which skips the check LeakSanitizer makes at exit.
    if (__lsan_do_recoverable_leak_check() != 0) {
      send_frame(Frame::broken, "LeakSanitizer: your code leaked memory (its report is on stderr)");
      end_child(0);
    }
#endif
    if (::testing::Test::HasFailure()) {
      send_frame(Frame::broken,
                 "test bug: an assertion failed inside in_student's function; assert in the parent, on "
                 "the values it returns");
    } else {
      send_frame(Frame::value, bytes);
    }
  } catch (const std::exception& e) {
    send_frame(Frame::raised, current_exception_type() + ": " + e.what());
  } catch (...) {
    send_frame(Frame::raised, current_exception_type());
  }
  end_child(0);
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "was killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "ended with exit code " + std::to_string(WEXITSTATUS(status));
}

// The runtime's resource tracker (mp::SharedMemory) outlives the program by design:
// it ends by itself once every process of the program is gone, after removing the
// segments they leaked. It is named "mp-tracker" (prctl) for this.
bool is_resource_tracker(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm == "mp-tracker";
}

// Whether `pid` ended by itself before `until` (then it is reaped).
bool ends_by_itself(pid_t pid, Clock::time_point until) {
  for (;;) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return true;
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// The processes the child left behind come to us (we are their subreaper):
// each is the student's code's failure to reap or stop what it started. They
// are killed and reaped, and named in one failure. A resource tracker is given
// until the others are gone and `patience` to end by itself.
void collect_orphans(std::chrono::milliseconds patience) {
  std::string names;
  int count = 0;
  const auto until = Clock::now() + patience;
  for (auto kids = our_children(); !kids.empty(); kids = our_children()) {
    std::vector<pid_t> trackers;
    for (pid_t kid : kids) {
      if (is_resource_tracker(kid)) {
        trackers.push_back(kid);
        continue;
      }
      ++count;
      if (count <= 8) names += " " + std::to_string(kid) + " (" + command_of(kid) + ")";
      ::kill(kid, SIGKILL);
      ::waitpid(kid, nullptr, 0);  // its own children come to us in turn
    }
    if (trackers.size() == kids.size()) {  // only trackers left: their program is gone
      for (pid_t t : trackers) {
        if (ends_by_itself(t, until)) continue;
        ++count;
        if (count <= 8) names += " " + std::to_string(t) + " (a resource tracker that did not end)";
        ::kill(t, SIGKILL);
        ::waitpid(t, nullptr, 0);
      }
    }
    if (Clock::now() > until) break;
  }
  if (count > 0)
    ADD_FAILURE() << "your code left " << count << " process(es) behind, running or not reaped (a "
                  << "zombie), after the call returned:" << names << (count > 8 ? " ..." : "")
                  << ". Join (or wait for) every process you start before returning.";
}

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads the child's frame until it is complete, the pipe ends, the child has
// ended and the pipe is drained, or the deadline passes (false).
bool read_frame(int pipe_fd, int child_fd, Clock::time_point until, std::string& got) {
  bool child_ended = false;
  for (;;) {
    if (got.size() >= header_size) {
      std::uint64_t n = 0;
      std::memcpy(&n, got.data() + 1, sizeof n);
      if (n > max_payload || got.size() >= header_size + n) return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return false;
    pollfd fds[2] = {{pipe_fd, POLLIN, 0}, {child_fd, POLLIN, 0}};
    const int ready =
        ::poll(fds, child_fd >= 0 && !child_ended ? 2 : 1, child_ended ? 0 : static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0 && child_ended) return true;  // drained: what the child wrote is all there is
    if (fds[1].revents != 0) child_ended = true;
    if (fds[0].revents != 0) {
      char buf[65536];
      const ssize_t n = ::read(pipe_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return true;  // every writer is gone
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
}

// Reaps the child, which ends right after its frame, by `until`.
bool wait_child(pid_t pid, int pidfd, Clock::time_point until, int& status) {
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return false;
    if (pidfd >= 0) {
      pollfd f{pidfd, POLLIN, 0};
      ::poll(&f, 1, static_cast<int>(left));
    } else {
      ::usleep(1000);
    }
  }
}

}  // namespace

std::string student_code_path() {
  if (const char* p = std::getenv("MP_LESSON_CODE"); p != nullptr && *p != '\0') return p;
  return mp_student_code_default;
}

void prepare_trusted_parent(int fd) {
  trusted_fd = fd;
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::prctl(PR_SET_DUMPABLE, 0);
}

namespace detail {

std::string run_student_child(const std::function<std::string()>& body, std::chrono::milliseconds deadline,
                              double* seconds, bool load) {
  if (in_child) throw StudentFailure("test bug: in_student called inside in_student");
  const auto limit = scaled(deadline);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  Fd reader(p[0]);
  std::cout.flush();
  std::fflush(nullptr);  // nothing buffered here is written twice
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(p[1]);
    throw std::system_error(errno, std::generic_category(), "fork");
  }
  if (pid == 0) {
    ::close(p[0]);
    result_fd = p[1];
    run_child(body, parent, load);
  }
  ::close(p[1]);
  Fd child(pidfd_open(pid));
  const auto start = Clock::now();
  std::string got;
  const bool in_time = read_frame(reader.fd, child.fd, start + limit, got);
  if (seconds != nullptr) *seconds = std::chrono::duration<double>(Clock::now() - start).count();
  int status = 0;
  const bool reaped = in_time && wait_child(pid, child.fd, start + limit, status);
  if (!reaped) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  collect_orphans(scaled(std::chrono::seconds(5)));
  if (!in_time || !reaped)
    throw StudentFailure("the call into your code did not finish within " + std::to_string(limit.count()) +
                         " ms: its process was killed");
  if (got.size() < header_size)
    throw StudentFailure("the process running your code " + describe_status(status) +
                         " before the call returned (a crash, or a call to exit()?)");
  std::uint64_t n = 0;
  std::memcpy(&n, got.data() + 1, sizeof n);
  if (n > max_payload || got.size() != header_size + n)
    throw StudentFailure("the process running your code sent a malformed result and " +
                         describe_status(status));
  std::string payload = got.substr(header_size);
  switch (static_cast<Frame>(got[0])) {
    case Frame::value: return payload;
    case Frame::raised: throw StudentFailure("your code threw " + payload);
    case Frame::broken: throw StudentFailure(payload);
  }
  throw StudentFailure("the process running your code sent a malformed result");
}

}  // namespace detail

std::string raised_by(const std::function<void()>& fn, std::chrono::milliseconds deadline) {
  return in_student(
      [&]() -> std::string {
        try {
          fn();
        } catch (...) {
          return current_exception_type();
        }
        return {};
      },
      deadline);
}

}  // namespace mp::testing

// Reached through a trampoline whose slot does not point at the student's code.
extern "C" [[noreturn]] void mp_student_call_missing_handler(int index) {
  const std::string name = mp::detail::demangle(mp_student_call_names[index]);
  if (!mp::testing::in_child) {
    std::fprintf(stderr, "test bug: %s was called outside mp::testing::in_student\n", name.c_str());
    std::abort();
  }
  mp::testing::send_frame(mp::testing::Frame::broken, "your code does not define " + name +
                                                          " (deleted, renamed, or its signature "
                                                          "changed from the exercise's header?)");
  mp::testing::end_child(0);
}
