#pragma once
/// @file
/// @brief Waiting for a save: inotify on the folders of some files (an editor that
/// writes in place closes the file; one that writes a copy renames it over), with a
/// polling fallback (size, modification time and inode, twice a second) where inotify
/// is missing or MP_WATCH_POLL=1.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace grader {

class FileWatch {
public:
  explicit FileWatch(std::vector<std::filesystem::path> files);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  /// The descriptor to poll() for readability (-1 when polling).
  int fd() const { return fd_; }
  /// How long poll() may wait before calling saved() again (-1: forever, with inotify).
  int poll_interval_ms() const { return fd_ >= 0 ? -1 : 500; }
  /// Whether one of the files was saved since the last call; with inotify, call it
  /// when fd() is readable. A burst of events (an editor's several writes) is one save:
  /// it waits until the files are quiet for 150 ms. Returns the file saved.
  std::string saved();
  /// "inotify" or "polling".
  const char* how() const { return fd_ >= 0 ? "inotify" : "polling"; }

private:
  struct Stamp {
    std::uintmax_t size = 0;
    std::int64_t mtime_ns = 0;
    std::uint64_t inode = 0;
    bool exists = false;
    bool operator==(const Stamp&) const = default;
  };
  static Stamp stamp_of(const std::filesystem::path& p);
  std::string read_events();

  std::vector<std::filesystem::path> files_;
  std::vector<Stamp> stamps_;
  int fd_ = -1;
};

}  // namespace grader
