#include "mp/detail/resource_tracker.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <string>

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp/detail/sigpipe_block.hpp"
#include "mp/detail/syscall.hpp"
#include "mp/error.hpp"

namespace mp::detail::resource_tracker {

namespace {

// "R <name>\n" at most: far below PIPE_BUF, so one write(2) is atomic even
// when many processes of the tree write at once.
constexpr std::size_t max_line = 2 + NAME_MAX + 1;
static_assert(max_line <= PIPE_BUF, "a tracker message must fit one atomic pipe write");

// ---------------------------------------------------------------------------------------------
// The tracker process. Forked from a process that may have other threads: it
// must not take any lock those threads may hold (malloc's, stdio's), so it
// uses system calls and memory it maps itself, nothing else.

struct Slot {
  unsigned char len;  // 1..NAME_MAX (255)
  char name[NAME_MAX];
  std::size_t count;  // registrations not yet taken back (>= 1)
};

struct Names {
  Slot* slots = nullptr;
  std::size_t count = 0;
  std::size_t capacity = 0;
};

bool same(const Slot& s, const char* name, std::size_t len) {
  if (s.len != len) return false;
  for (std::size_t i = 0; i < len; ++i)
    if (s.name[i] != name[i]) return false;
  return true;
}

std::size_t find(const Names& names, const char* name, std::size_t len) {
  for (std::size_t i = 0; i < names.count; ++i)
    if (same(names.slots[i], name, len)) return i;
  return names.count;
}

// Registrations are counted: a creator registers a name *before* shm_open
// and takes the registration back when shm_open fails (EEXIST: the segment is
// someone else's), so a name may be registered twice for a moment, and the
// failed attempt's 'U' must not undo the real creator's 'R'.
void add(Names& names, const char* name, std::size_t len) {
  if (const std::size_t i = find(names, name, len); i != names.count) {
    ++names.slots[i].count;
    return;
  }
  if (names.count == names.capacity) {
    const std::size_t new_capacity = names.capacity == 0 ? 256 : names.capacity * 2;
    void* p = names.slots == nullptr ? ::mmap(nullptr, new_capacity * sizeof(Slot), PROT_READ | PROT_WRITE,
                                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                                     : ::mremap(names.slots, names.capacity * sizeof(Slot),
                                                new_capacity * sizeof(Slot), MREMAP_MAYMOVE);
    if (p == MAP_FAILED) return;  // out of memory: this name goes untracked
    names.slots = static_cast<Slot*>(p);
    names.capacity = new_capacity;
  }
  Slot& s = names.slots[names.count++];
  s.len = static_cast<unsigned char>(len);
  s.count = 1;
  for (std::size_t i = 0; i < len; ++i) s.name[i] = name[i];
}

void remove(Names& names, const char* name, std::size_t len) {
  const std::size_t i = find(names, name, len);
  if (i == names.count) return;  // unlinked by a handle that never registered it
  if (--names.slots[i].count > 0) return;
  names.slots[i] = names.slots[--names.count];
}

void handle_line(Names& names, const char* line, std::size_t len) {
  if (len < 3 || len - 2 > NAME_MAX || line[1] != ' ') return;  // not ours: ignore
  if (line[0] == 'R') add(names, line + 2, len - 2);
  if (line[0] == 'U') remove(names, line + 2, len - 2);
}

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = sys_nothrow([&] { return ::write(fd, p, n); });
    if (w <= 0) return;  // stderr is gone: nobody to tell
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

char* append(char* out, const char* s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) *out++ = s[i];
  return out;
}

char* append_number(char* out, std::size_t v) {
  char digits[24];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *out++ = digits[--n];
  return out;
}

// Unlinks every name still registered; reports those that existed in one line.
// A registered name may never have been created (its creator was killed
// between registering and shm_open): its unlink fails with ENOENT, silently.
void clean_up(Names& names) {
  static constexpr char dir_prefix[] = "/dev/shm/";
  std::size_t removed = 0;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < names.count; ++i) {
    Slot& s = names.slots[i];
    char path[sizeof dir_prefix + NAME_MAX];
    char* end = append(path, dir_prefix, sizeof dir_prefix - 1);
    end = append(end, s.name, s.len);
    *end = '\0';
    // unlink(2) directly: what shm_unlink does on Linux, without the library's lookups.
    if (::unlink(path) == 0) {
      names.slots[removed++] = s;  // keep the names actually removed, for the message
      bytes += 2 + s.len;
    }
  }
  if (removed == 0) return;
  static constexpr char head[] = "mp: resource tracker: removed ";
  static constexpr char mid[] = " leaked shared memory segment(s):";
  const std::size_t size = sizeof head + 24 + sizeof mid + bytes + 1;
  void* mem = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  char* const line = static_cast<char*>(mem);
  char* out = append(line, head, sizeof head - 1);
  out = append_number(out, removed);
  out = append(out, mid, sizeof mid - 1);
  for (std::size_t i = 0; i < removed; ++i) {
    out = append(out, " /", 2);
    out = append(out, names.slots[i].name, names.slots[i].len);
  }
  *out++ = '\n';
  write_all(STDERR_FILENO, line, static_cast<std::size_t>(out - line));
}

void close_from(unsigned first, unsigned last) {
  if (first > last) return;
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, first, last, 0U) == 0) return;
#endif
  // Kernels before 5.9: one close per possible descriptor.
  rlimit lim{};
  unsigned top = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < top)
    top = static_cast<unsigned>(lim.rlim_cur);
  for (unsigned fd = first; fd <= last && fd < top; ++fd) ::close(static_cast<int>(fd));
}

[[noreturn]] void tracker_main(int read_fd) {
  // Hold nothing of the program's: an mp::Pipe, a socket, a stdout that a
  // caller reads until EOF must all close when the program's processes end.
  // stderr stays, for the one line.
  ::close(STDIN_FILENO);
  ::close(STDOUT_FILENO);
  const auto rfd = static_cast<unsigned>(read_fd);
  if (rfd > 3) close_from(3, rfd - 1);
  close_from(rfd + 1, ~0U);

  // A Ctrl-C goes to the whole foreground group: the tracker must outlive the
  // program it cleans up after. SIGKILL still ends it.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, nullptr);
  ::sigaction(SIGPIPE, &ignore, nullptr);  // a closed stderr must not kill it before it unlinks

  Names names;
  char buf[4 * max_line];
  std::size_t have = 0;
  for (;;) {
    const ssize_t r = sys_nothrow([&] { return ::read(read_fd, buf + have, sizeof buf - have); });
    if (r <= 0) break;  // EOF: every process of the tree is gone (or closed its end)
    have += static_cast<std::size_t>(r);
    std::size_t start = 0;
    for (std::size_t i = 0; i < have; ++i) {
      if (buf[i] != '\n') continue;
      handle_line(names, buf + start, i - start);
      start = i + 1;
    }
    if (start == 0 && have == sizeof buf) have = 0;  // no newline in a full buffer: garbage, drop it
    for (std::size_t i = start; i < have; ++i) buf[i - start] = buf[i];
    have -= start;
  }
  clean_up(names);
  ::_exit(0);
}

// ---------------------------------------------------------------------------------------------
// The program's side.

struct State {
  std::mutex mutex;      // guards the fields below
  int fd = -1;           // the write end; inherited by forked children
  dev_t dev = 0;         // identity of our pipe, to notice a descriptor closed
  ino_t ino = 0;         //   (and perhaps reused) behind our back
  pid_t started_by = 0;  // the process that started the tracker
};

// Set while this thread forks the tracker with the mutex held: the atfork
// handlers must then leave the mutex alone (it is ours already).
thread_local bool forking_tracker = false;

State& state();

void before_fork() {
  if (!forking_tracker) state().mutex.lock();
}
void after_fork() {
  if (!forking_tracker) state().mutex.unlock();
}

// Never destroyed: atexit handlers and static destructors may still create
// or remove segments.
State& state() {
  static State* s = [] {
    auto* p = new State;
    // A fork while another thread holds the mutex would leave the child's copy locked forever.
    ::pthread_atfork(before_fork, after_fork, after_fork);
    return p;
  }();
  return *s;
}

// Whether s.fd is still the pipe we made (the program may have closed it,
// e.g. by closing every descriptor in a child, and reused the number).
bool usable(const State& s) {
  if (s.fd < 0) return false;
  struct stat st {};
  return ::fstat(s.fd, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_dev == s.dev && st.st_ino == s.ino;
}

// Moves a descriptor to 3 or above, so it is never taken for stdin/out/err.
int above_stdio(int fd) {
  if (fd >= 3) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

bool start(State& s) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return false;
  p[0] = above_stdio(p[0]);
  p[1] = above_stdio(p[1]);
  struct stat st {};
  if (p[0] < 0 || p[1] < 0 || ::fstat(p[1], &st) != 0) {
    if (p[0] >= 0) ::close(p[0]);
    if (p[1] >= 0) ::close(p[1]);
    return false;
  }
  // A Ctrl-C to the group must never reach the tracker, not even before
  // tracker_main ignores it (start() returns when the middle has exited, maybe
  // before the tracker ran at all): blocked here across the fork, ignored in the
  // middle before the second fork, so the tracker is born ignoring it.
  sigset_t interrupt;
  sigset_t previous;
  sigemptyset(&interrupt);
  sigaddset(&interrupt, SIGINT);
  ::pthread_sigmask(SIG_BLOCK, &interrupt, &previous);
  forking_tracker = true;
  const pid_t middle = ::fork();
  if (middle == 0) {
    // The double fork: the tracker's parent exits at once, so the tracker is
    // re-parented (to init or a subreaper) and is never our child.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &ignore, nullptr);
    // The tracker's name in ps and /proc/PID/comm, set before the fork so that it has it
    // from its first instant: a test harness that reaps a program's leftovers knows it
    // for the one process meant to outlive the program briefly.
    ::prctl(PR_SET_NAME, "mp-tracker", 0, 0, 0);
    if (::fork() == 0) tracker_main(p[0]);
    ::_exit(0);
  }
  forking_tracker = false;
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  ::close(p[0]);
  if (middle < 0) {
    ::close(p[1]);
    return false;
  }
  int status = 0;
  // ECHILD: a SIGCHLD handler of the program reaped it; assume the tracker started.
  (void)sys_nothrow([&] { return ::waitpid(middle, &status, 0); });
  s.fd = p[1];
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.started_by = ::getpid();
  return true;
}

void forget(State& s, bool close_it) {
  if (close_it && s.fd >= 0) ::close(s.fd);
  s.fd = -1;
  s.started_by = 0;
}

// One write(2) with SIGPIPE held back: a dead tracker must cost the caller an
// EPIPE, not its life.
bool send_line(int fd, const char* line, std::size_t n) {
  SigpipeBlock block;
  const ssize_t w = sys_nothrow([&] { return ::write(fd, line, n); });
  if (w < 0 && errno == EPIPE) block.raised();
  return w == static_cast<ssize_t>(n);
}

bool valid(std::string_view name) {
  return !name.empty() && name.size() <= NAME_MAX &&
         name.find_first_of(std::string_view("/\n\0", 3)) == std::string_view::npos;
}

void send(char op, std::string_view name, bool start_if_needed) {
  char line[max_line];
  line[0] = op;
  line[1] = ' ';
  std::memcpy(line + 2, name.data(), name.size());
  line[2 + name.size()] = '\n';
  const std::size_t n = name.size() + 3;

  State& s = state();
  std::lock_guard lock(s.mutex);
  if (!usable(s)) {
    forget(s, false);  // not ours any more: never close a descriptor we do not own
    if (!start_if_needed || !start(s)) return;
  }
  if (send_line(s.fd, line, n)) return;
  // The tracker is gone (killed on its own): start another for what follows.
  forget(s, true);
  if (start_if_needed && start(s)) (void)send_line(s.fd, line, n);
}

}  // namespace

void register_name(std::string_view name) {
  if (!valid(name))
    throw ValueError("resource_tracker::register_name: '" + std::string(name) +
                     "' is not a valid segment name (1 to NAME_MAX characters, no '/', newline or NUL)");
  send('R', name, true);
}

void unregister_name(std::string_view name) {
  if (!valid(name)) return;  // could never have been registered
  send('U', name, false);
}

bool ensure_running() noexcept {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (usable(s)) return true;
  forget(s, false);
  return start(s);
}

void detach() noexcept {
  State& s = state();
  std::lock_guard lock(s.mutex);
  forget(s, usable(s));
}

pid_t started_by() noexcept {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return usable(s) ? s.started_by : 0;
}

}  // namespace mp::detail::resource_tracker
