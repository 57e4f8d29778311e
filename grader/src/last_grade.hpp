#pragma once
/// @file
/// @brief The student's progress across sessions: the last grade of each exercise
/// (<build>/grader/last-grade.json), kept by `grade` and read by `list` and `watch`.
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "manifest.hpp"

namespace grader {

/// Where an exercise stands in the student's progress (`list`, `watch`).
enum class Standing {
  done,     ///< its last grade was full
  current,  ///< the first exercise, in the course's order, that is not done
  next,     ///< the one after the current one
  later,    ///< any other not done
};

/// The last grade of each exercise, as the grades so far left it.
class LastGrade {
public:
  /// Reads <build_dir>/grader/last-grade.json; missing or unreadable: nothing graded yet.
  static LastGrade load(const std::filesystem::path& build_dir);

  /// Merges a report (to_json()) in, exercise by exercise: grading one exercise keeps
  /// the others' last grades. Saves the file (a failure to write only loses the memory).
  void remember(const nlohmann::json& report);

  /// The lesson's entry ({score, max_score, build, exercises: {id: {score, max_score,
  /// status}}}), or nullptr when it was never graded.
  const nlohmann::json* lesson(const std::string& id) const;
  /// The exercise's entry ({score, max_score, status}), or nullptr.
  const nlohmann::json* exercise(const std::string& lesson, const std::string& id) const;
  bool passed(const std::string& lesson, const std::string& id) const;

  /// The first exercise not done, in the course's order (nullptr: all done).
  const Exercise* current(const Course& course) const;
  Standing standing(const Course& course, const Exercise& exercise) const;

private:
  std::filesystem::path file_;
  nlohmann::json data_ = nlohmann::json::object();
};

/// The exercise after `ex` in the course's order (nullptr after the last one).
const Exercise* exercise_after(const Course& course, const Exercise& ex);

}  // namespace grader
