#pragma once
/// @file
/// @brief `mp::parallel::Results`, NamedResults, FailedTask: what the calls of
/// mp/parallel.hpp return (Python's `parallel` result lists and dicts).
#include <cstddef>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "mp/detail/pool_core.hpp"

namespace mp::parallel {

/// A task that failed, kept in silent mode (Python's `parallel.FailedTask`).
struct FailedTask {
  std::exception_ptr error;  ///< what the task threw (mp::TimeoutError when it was not done in time)

  /// The exception's type, demangled ("std::out_of_range").
  [[nodiscard]] std::string type() const { return mp::detail::exception_type_name(error); }
  /// The exception's message ("" when it is not a std::exception).
  [[nodiscard]] std::string what() const {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      return e.what();
    } catch (...) {
      return "";
    }
  }
  /// Throws the task's exception again.
  [[noreturn]] void rethrow() const { std::rethrow_exception(error); }
};

/// One task's outcome: its value, or how it failed.
template <class R>
using Outcome = std::variant<R, FailedTask>;

/// The results of a call, by position (`Named` false: Python's list) or by
/// key (`Named` true: Python's dict), in input order (by position) or key
/// order. Use the aliases mp::parallel::Results and mp::parallel::NamedResults.
template <class R, class K, bool Named>
class BasicResults {
public:
  /// What failed(), succeeded() and replace_failed() return: a vector, or a map by key.
  template <class T>
  using Collection = std::conditional_t<Named, std::map<K, T>, std::vector<T>>;

  /// The outcomes with their keys (positions or names), sorted by key.
  explicit BasicResults(std::vector<std::pair<K, Outcome<R>>> entries) : entries_(std::move(entries)) {}

  /// How many tasks the call ran.
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  /// Whether the call ran no task (an empty input).
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  /// Whether there is a result for `key`.
  [[nodiscard]] bool contains(const K& key) const { return find(key) != nullptr; }

  /// The value for `key` (a position or a name).
  /// @throws the task's exception when it failed; std::out_of_range when there is no such key.
  const R& at(const K& key) const {
    const Outcome<R>* o = find(key);
    if (o == nullptr) throw std::out_of_range("mp::parallel results: no such key");
    if (const auto* f = std::get_if<FailedTask>(o)) f->rethrow();
    return std::get<R>(*o);
  }
  /// at(key).
  const R& operator[](const K& key) const { return at(key); }
  /// Whether the task for `key` failed. @throws std::out_of_range when there is no such key.
  [[nodiscard]] bool failed_at(const K& key) const {
    const Outcome<R>* o = find(key);
    if (o == nullptr) throw std::out_of_range("mp::parallel results: no such key");
    return std::holds_alternative<FailedTask>(*o);
  }

  /// Whether any task failed (Python's `results.failures`).
  [[nodiscard]] bool failures() const {
    for (const auto& e : entries_) {
      if (std::holds_alternative<FailedTask>(e.second)) return true;
    }
    return false;
  }
  /// The failed tasks (Python's `results.failed`).
  [[nodiscard]] Collection<FailedTask> failed() const {
    return select<FailedTask>(
        [](const Outcome<R>& o) -> const FailedTask* { return std::get_if<FailedTask>(&o); });
  }
  /// The values of the tasks that succeeded (Python's `results.succeeded`).
  [[nodiscard]] Collection<R> succeeded() const {
    return select<R>([](const Outcome<R>& o) -> const R* { return std::get_if<R>(&o); });
  }
  /// Every value, `replacement` where a task failed (Python's `results.replace_failed`).
  [[nodiscard]] Collection<R> replace_failed(const R& replacement) const {
    return select<R>([&](const Outcome<R>& o) -> const R* {
      const R* v = std::get_if<R>(&o);
      return v != nullptr ? v : &replacement;
    });
  }
  /// Every value. @throws the first failure's exception, in key order.
  [[nodiscard]] Collection<R> values() const {
    return select<R>([](const Outcome<R>& o) -> const R* {
      if (const auto* f = std::get_if<FailedTask>(&o)) f->rethrow();
      return &std::get<R>(o);
    });
  }
  /// The outcomes with their keys.
  [[nodiscard]] const std::vector<std::pair<K, Outcome<R>>>& outcomes() const noexcept { return entries_; }

private:
  const Outcome<R>* find(const K& key) const {
    if constexpr (!Named) {
      return key < entries_.size() ? &entries_[key].second : nullptr;
    } else {
      for (const auto& e : entries_) {
        if (e.first == key) return &e.second;
      }
      return nullptr;
    }
  }
  template <class T, class Pick>
  Collection<T> select(Pick pick) const {
    Collection<T> out;
    for (const auto& e : entries_) {
      const T* v = pick(e.second);
      if (v == nullptr) continue;
      if constexpr (Named) {
        out.emplace(e.first, *v);
      } else {
        out.push_back(*v);
      }
    }
    return out;
  }

  std::vector<std::pair<K, Outcome<R>>> entries_;
};

/// The results of a call over a sequence, by position (Python's list of results).
template <class R>
using Results = BasicResults<R, std::size_t, false>;
/// The results of a call over a map, by key (Python's dict of results).
template <class R, class K = std::string>
using NamedResults = BasicResults<R, K, true>;

}  // namespace mp::parallel
