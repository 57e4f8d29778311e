#pragma once
// Task functions and inputs shared by the Pool and executor suites. A worker
// process runs what it is sent by function pointer, so these are plain functions.
#include <sys/types.h>
#include <unistd.h>
#include <cstddef>
#include <functional>
#include <iterator>
#include <utility>

namespace mp::testing {

inline int square(int x) { return x * x; }

/// The worker that ran the task.
inline pid_t worker_pid(int /*unused*/) { return ::getpid(); }

/// The integers first, first + 1, ... up to `last` (excluded; endless when
/// `last` < `first`), read one at a time: Python's `range` / `itertools.count`
/// as a generator. `on_read(i)` runs when item i is read (`*it`) and may throw:
/// an input that fails at item i. (Not std::views: clang 14 cannot compile
/// libstdc++ 12's views.)
class Counting {
public:
  struct End {};
  class Iterator {
  public:
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Iterator(int i, int last, const std::function<void(int)>* on_read)
        : i_(i), last_(last), on_read_(on_read) {}
    int operator*() const {
      if (on_read_ != nullptr && *on_read_) (*on_read_)(i_);
      return i_;
    }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    void operator++(int) { ++i_; }
    friend bool operator==(const Iterator& it, End /*end*/) { return it.last_ >= 0 && it.i_ >= it.last_; }

  private:
    int i_ = 0;
    int last_ = -1;
    const std::function<void(int)>* on_read_ = nullptr;
  };

  explicit Counting(int first, int last = -1, std::function<void(int)> on_read = {})
      : first_(first), last_(last), on_read_(std::move(on_read)) {}
  [[nodiscard]] Iterator begin() const { return Iterator(first_, last_, &on_read_); }
  [[nodiscard]] End end() const { return {}; }

private:
  int first_;
  int last_;
  std::function<void(int)> on_read_;
};

}  // namespace mp::testing
