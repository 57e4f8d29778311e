#include "file_watch.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <set>

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

namespace grader {

namespace fs = std::filesystem;

FileWatch::FileWatch(std::vector<fs::path> files) : files_(std::move(files)) {
  for (const auto& f : files_) stamps_.push_back(stamp_of(f));
  const char* force_polling = std::getenv("MP_WATCH_POLL");
  if (force_polling != nullptr && std::strcmp(force_polling, "1") == 0) return;
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) return;
  std::set<fs::path> dirs;
  for (const auto& f : files_) dirs.insert(f.parent_path());
  for (const auto& d : dirs) {
    if (::inotify_add_watch(fd_, d.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
      ::close(fd_);  // e.g. out of watches: poll instead
      fd_ = -1;
      return;
    }
  }
}

FileWatch::~FileWatch() {
  if (fd_ >= 0) ::close(fd_);
}

FileWatch::Stamp FileWatch::stamp_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return {};
  return {static_cast<std::uintmax_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          static_cast<std::uint64_t>(st.st_ino), true};
}

// The name of a watched file that an event names ("" for the folders' other files).
std::string FileWatch::read_events() {
  std::string hit;
  alignas(inotify_event) std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n <= 0) break;  // EAGAIN: drained
    for (ssize_t off = 0; off < n;) {
      inotify_event ev{};
      std::memcpy(&ev, buf.data() + off, sizeof ev);
      const std::string name = ev.len > 0 ? std::string(buf.data() + off + sizeof ev) : "";
      for (const auto& f : files_)
        if (f.filename() == name) hit = f.string();
      off += static_cast<ssize_t>(sizeof ev + ev.len);
    }
  }
  return hit;
}

std::string FileWatch::saved() {
  std::string hit;
  if (fd_ >= 0) {
    hit = read_events();
    if (hit.empty()) return "";
    // Quiet for 150 ms: the rest of the editor's writes belong to this save.
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, 150) > 0) read_events();
  } else {
    for (std::size_t i = 0; i < files_.size(); ++i) {
      const Stamp s = stamp_of(files_[i]);
      if (s == stamps_[i]) continue;
      hit = files_[i].string();
    }
    if (hit.empty()) return "";
    for (Stamp before = {};;) {  // quiet: unchanged over 150 ms
      ::usleep(150'000);
      const Stamp now = stamp_of(hit);
      if (now == before) break;
      before = now;
    }
  }
  for (std::size_t i = 0; i < files_.size(); ++i) stamps_[i] = stamp_of(files_[i]);
  return hit;
}

}  // namespace grader
