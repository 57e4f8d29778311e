// mp::trace: the per-process event buffer, its part file, and the merge into
// one Chrome trace JSON file (the format: "Trace Event Format", the JSON Array
// of events inside {"traceEvents": [...]}; complete events "X", instants "i",
// metadata "M" for process and thread names).
#include "mp/trace.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <vector>

namespace mp::trace {

namespace {

// A process writes its buffer out when it holds this much.
constexpr std::size_t flush_at = std::size_t{64} << 10;

struct State {
  std::mutex mutex;
  std::string buffer;
  std::string path;   // the merged JSON file
  std::string parts;  // path + ".parts": one PID.jsonl per process
  int fd = -1;        // this process's part, opened on the first write
  pid_t pid = 0;      // this process (refreshed in a forked child)
  bool root = false;  // this process started tracing: it merges
  std::string process_name = "MainProcess";
};

// Never destroyed: the atexit handler and forked children use it late.
State& state() {
  static auto* s = new State;
  return *s;
}

// Per thread: its id, for the process it was read in (a forked child's
// thread has a new id).
struct ThreadId {
  pid_t pid = 0;
  pid_t tid = 0;
};
thread_local ThreadId this_thread;

pid_t current_tid() {
  State& s = state();
  if (this_thread.pid != s.pid) this_thread = {s.pid, static_cast<pid_t>(::syscall(SYS_gettid))};
  return this_thread.tid;
}

void append_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += hex;
    } else {
      out += c;
    }
  }
}

void append_micros(std::string& out, std::int64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%03lld", static_cast<long long>(ns / 1000),
                static_cast<long long>((ns < 0 ? -ns : ns) % 1000));
  out += text;
}

// Writes the buffer to this process's part; the caller holds the mutex.
void write_out(State& s) {
  if (s.buffer.empty()) return;
  if (s.fd < 0) {
    const std::string file = s.parts + "/" + std::to_string(s.pid) + ".jsonl";
    s.fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s.fd < 0) {
      s.buffer.clear();  // nowhere to write (the folder is gone): drop, never block the program
      return;
    }
  }
  std::size_t done = 0;
  while (done < s.buffer.size()) {
    const ssize_t n = ::write(s.fd, s.buffer.data() + done, s.buffer.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  s.buffer.clear();
}

// One event line; the caller holds the mutex.
void add_line(State& s, const std::string& line) {
  s.buffer += line;
  s.buffer += '\n';
  if (s.buffer.size() >= flush_at) write_out(s);
}

std::string metadata(const char* what, pid_t pid, pid_t tid, std::string_view name) {
  std::string line = "{\"name\":\"";
  line += what;
  line += "\",\"ph\":\"M\",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid) +
          ",\"args\":{\"name\":\"";
  append_escaped(line, name);
  line += "\"}}";
  return line;
}

// One event line; on the calling thread's row unless `on_pid` names another.
void record(char phase, std::string_view name, std::string_view category, std::int64_t ts_ns,
            std::int64_t dur_ns, std::string_view args, long on_pid = 0, long on_tid = 0) {
  std::string line = "{\"name\":\"";
  append_escaped(line, name);
  line += "\",\"cat\":\"";
  append_escaped(line, category);
  line += "\",\"ph\":\"";
  line += phase;
  line += "\",\"ts\":";
  append_micros(line, ts_ns);
  if (phase == 'X') {
    line += ",\"dur\":";
    append_micros(line, dur_ns < 0 ? 0 : dur_ns);
  }
  if (phase == 'i') line += ",\"s\":\"t\"";
  State& s = state();
  const long pid = on_pid != 0 ? on_pid : s.pid;
  const long tid = on_pid != 0 ? on_tid : current_tid();
  line += ",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid);
  if (!args.empty()) {
    line += ",\"args\":{";
    line += args;
    line += '}';
  }
  line += '}';
  std::lock_guard lock(s.mutex);
  add_line(s, line);
}

// In a forked child: a fresh buffer (the parent's events are the parent's),
// its own part file, a fresh mutex (another thread may have held it at fork).
void after_fork_in_child() {
  State& s = state();
  new (&s.mutex) std::mutex;
  s.buffer.clear();
  if (s.fd >= 0) ::close(s.fd);
  s.fd = -1;
  s.pid = ::getpid();
  s.root = false;
  if (detail::on.load(std::memory_order_relaxed))
    add_line(s, metadata("process_name", s.pid, s.pid, s.process_name));
}

void finish_at_exit() { (void)finish(); }

// Reads every part and writes the JSON file: the parts' lines, in order,
// as the traceEvents array.
void merge(const State& s) {
  std::string out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  bool first = true;
  if (DIR* dir = ::opendir(s.parts.c_str())) {
    std::vector<std::string> files;
    while (const dirent* e = ::readdir(dir)) {
      const std::string name = e->d_name;
      if (name.size() > 6 && name.ends_with(".jsonl")) files.push_back(s.parts + "/" + name);
    }
    ::closedir(dir);
    for (const std::string& file : files) {
      if (std::FILE* f = std::fopen(file.c_str(), "r")) {
        std::string line;
        for (int c; (c = std::fgetc(f)) != EOF;) {
          if (c != '\n') {
            line += static_cast<char>(c);
            continue;
          }
          // A killed process may have left a half-written last line: only whole objects go in.
          if (!line.empty() && line.front() == '{' && line.back() == '}') {
            out += first ? "" : ",\n";
            out += line;
            first = false;
          }
          line.clear();
        }
        std::fclose(f);
      }
      ::unlink(file.c_str());
    }
    ::rmdir(s.parts.c_str());
  }
  out += "\n]}\n";
  const std::string tmp = s.path + ".tmp";
  if (std::FILE* f = std::fopen(tmp.c_str(), "w")) {
    const bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
    if (std::fclose(f) == 0 && ok) std::rename(tmp.c_str(), s.path.c_str());
  }
}

// MP_TRACE=file.json: tracing from the start of any program of the runtime.
const bool started_from_environment = [] {
  const char* path = std::getenv("MP_TRACE");
  if (path != nullptr && *path != '\0') {
    try {
      start(path);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mp::trace: MP_TRACE=%s: %s (tracing stays off)\n", path, e.what());
    }
  }
  return true;
}();

}  // namespace

void start(const std::string& path) {
  (void)started_from_environment;
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (detail::on.load(std::memory_order_relaxed) || !s.path.empty()) return;
  s.path = path;
  s.parts = path + ".parts";
  if (::mkdir(s.parts.c_str(), 0755) != 0 && errno != EEXIST) {
    const int err = errno;
    s.path.clear();
    throw std::system_error(err, std::generic_category(), "mp::trace: cannot make " + s.parts);
  }
  if (DIR* dir = ::opendir(s.parts.c_str())) {  // a previous run's parts
    while (const dirent* e = ::readdir(dir)) {
      const std::string name = e->d_name;
      if (name.ends_with(".jsonl")) ::unlink((s.parts + "/" + name).c_str());
    }
    ::closedir(dir);
  }
  s.pid = ::getpid();
  s.root = true;
  static const bool registered = [] {
    ::pthread_atfork(nullptr, nullptr, after_fork_in_child);
    std::atexit(finish_at_exit);
    return true;
  }();
  (void)registered;
  add_line(s, metadata("process_name", s.pid, s.pid, s.process_name));
  detail::on.store(true, std::memory_order_relaxed);
}

std::string finish() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (!detail::on.exchange(false, std::memory_order_relaxed)) return {};
  write_out(s);
  if (s.fd >= 0) ::close(s.fd);
  s.fd = -1;
  if (!s.root) return {};
  merge(s);
  return s.path;
}

void flush() noexcept {
  if (!enabled()) return;
  State& s = state();
  std::lock_guard lock(s.mutex);
  write_out(s);
}

void complete(std::string_view name, std::string_view category, std::int64_t begin_ns, std::int64_t end_ns,
              std::string_view args) {
  if (!enabled()) return;
  record('X', name, category, begin_ns, end_ns - begin_ns, args);
}

void complete_on(long pid, long tid, std::string_view name, std::string_view category, std::int64_t begin_ns,
                 std::int64_t end_ns, std::string_view args) {
  if (!enabled() || pid <= 0) return;
  record('X', name, category, begin_ns, end_ns - begin_ns, args, pid, tid);
}

void instant(std::string_view name, std::string_view category, std::string_view args) {
  if (!enabled()) return;
  record('i', name, category, now_ns(), 0, args);
}

void counter(std::string_view name, std::string_view category, std::string_view series, std::int64_t value) {
  if (!enabled()) return;
  std::string args = "\"";
  append_escaped(args, series);
  args += "\":" + std::to_string(value);
  record('C', name, category, now_ns(), 0, args);
}

void name_thread(std::string_view name) {
  if (!enabled()) return;
  const pid_t tid = current_tid();
  State& s = state();
  std::lock_guard lock(s.mutex);
  add_line(s, metadata("thread_name", s.pid, tid, name));
}

void name_process(std::string_view name, long pid) {
  if (!enabled() || pid <= 0) return;
  State& s = state();
  std::lock_guard lock(s.mutex);
  add_line(s, metadata("process_name", static_cast<pid_t>(pid), static_cast<pid_t>(pid), name));
}

void name_process(std::string_view name) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.process_name = std::string(name);
  if (detail::on.load(std::memory_order_relaxed)) add_line(s, metadata("process_name", s.pid, s.pid, name));
}

}  // namespace mp::trace
