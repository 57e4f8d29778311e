// `watch`: grade the exercise being worked on each time it is saved (rustlings' loop).
#include <atomic>
#include <cerrno>
#include <iostream>

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include "file_watch.hpp"
#include "last_grade.hpp"
#include "verbs.hpp"

namespace grader {

namespace fs = std::filesystem;

namespace {

termios saved_terminal{};
std::atomic<bool> terminal_changed{false};

// Single keys, without echo, while watching at a terminal (the signals' keys still work).
class KeysMode {
public:
  KeysMode() {
    if (::isatty(STDIN_FILENO) != 1 || ::tcgetattr(STDIN_FILENO, &saved_terminal) != 0) return;
    termios raw = saved_terminal;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) terminal_changed = true;
  }
  ~KeysMode() { restore_terminal(); }
  KeysMode(const KeysMode&) = delete;
  KeysMode& operator=(const KeysMode&) = delete;
};

enum class Next { regrade, next_exercise };

struct Watched {
  const Exercise* exercise = nullptr;
  const Lesson* lesson = nullptr;
};

Watched find(const Course& course, const std::string& id) {
  Watched w;
  w.exercise = course.find_exercise(id, &w.lesson);
  return w;
}

void grade_once(const Options& o, const Course& course, const Watched& w, const std::string& why, int round,
                bool color) {
  if (color) std::cout << "\033[2J\033[H";  // a fresh screen for each grade, at a terminal
  std::cout << paint(
                   fmt::format("watch: {} (lesson {}): {}", w.exercise->id, w.lesson->id, w.exercise->title),
                   "title", color)
            << "\n"
            << paint(fmt::format("grade {}: {}", round, why), "dim", color) << "\n"
            << std::flush;
  Options g = o;
  g.verb = "grade";
  g.args = {w.exercise->id};
  g.outputs.clear();
  g.fail_under.reset();
  g.watching = true;
  grade_verb(g, course);
}

void show_keys(const Watched& w, const FileWatch& files, bool color) {
  std::string names;
  for (const auto& f : w.exercise->files) names += (names.empty() ? "" : ", ") + f;
  const std::string what = names.empty()
                               ? "this exercise has no files to watch: r grades it again"
                               : fmt::format("watching {} ({}): save to grade again", names, files.how());
  std::cout << "\n"
            << paint(what, "bold", color) << "\n"
            << paint("keys: h hint · n next exercise · r grade again · q quit", "dim", color) << "\n"
            << std::flush;
}

}  // namespace

void restore_terminal() noexcept {
  if (terminal_changed.exchange(false)) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
}

int watch_verb(const Options& o, const Course& course, bool color) {
  Watched w;
  if (!o.args.empty()) {
    w = find(course, o.args[0]);
    if (w.exercise == nullptr)
      throw UsageError(fmt::format("no exercise '{}' (`{} list` shows them)", o.args[0], own_command()));
  } else if (const Exercise* now = LastGrade::load(o.run.build_dir).current(course)) {
    w = find(course, now->id);
  } else {
    std::cout << fmt::format("Every exercise passed: nothing to watch (`{} watch EXERCISE` watches one).\n",
                             own_command());
    return exit_ok;
  }
  const KeysMode keys;
  const bool tty_input = ::isatty(STDIN_FILENO) == 1;
  bool input_open = true;
  std::string why = "the first";
  for (int round = 1;; ++round) {
    std::vector<fs::path> paths;
    for (const auto& f : w.exercise->files) paths.push_back(o.run.source_dir / f);
    FileWatch files(paths);  // before grading: a save during the grade counts
    grade_once(o, course, w, why, round, color);
    show_keys(w, files, color);
    Next next = Next::regrade;
    for (bool waiting = true; waiting;) {
      pollfd fds[2] = {{files.fd(), POLLIN, 0}, {input_open ? STDIN_FILENO : -1, POLLIN, 0}};
      const int n = ::poll(fds, 2, files.poll_interval_ms());
      if (n < 0 && errno != EINTR) throw std::runtime_error("watch: poll failed");
      if (const std::string saved = files.saved(); !saved.empty()) {
        why = "after a save of " + fs::path(saved).lexically_relative(o.run.source_dir).string();
        break;
      }
      if (n <= 0 || (fds[1].revents & (POLLIN | POLLHUP)) == 0) continue;
      char buf[64];
      const ssize_t got = ::read(STDIN_FILENO, buf, sizeof buf);
      if (got <= 0) {
        if (tty_input) return exit_ok;  // the terminal is gone
        input_open = false;             // input was a file or a pipe: watch files alone
        continue;
      }
      for (ssize_t i = 0; i < got && waiting; ++i) {
        switch (buf[i]) {
          case 'q':
          case 'Q': return exit_ok;
          case 'h':
          case 'H':
            std::cout << "\n";
            hint_verb(o, course, w.exercise->id, color);
            break;
          case 'r':
          case 'R':
            why = "asked for";
            waiting = false;
            break;
          case 'n':
          case 'N':
            if (exercise_after(course, *w.exercise) == nullptr) {
              std::cout << "\nThat is the course's last exercise (q quits).\n" << std::flush;
              break;
            }
            next = Next::next_exercise;
            waiting = false;
            break;
          default: break;
        }
      }
    }
    if (next == Next::next_exercise) {
      w = find(course, exercise_after(course, *w.exercise)->id);
      why = "the first";
    }
  }
}

}  // namespace grader
