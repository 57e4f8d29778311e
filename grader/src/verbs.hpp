#pragma once
/// @file
/// @brief The grader program's verbs, each from the options and the course to an
/// exit code (run_cli() picks one): grade and selftest (grade_verb.cpp), list,
/// hint and files (student_verbs.cpp), watch (watch.cpp).
#include <string>

#include "cli.hpp"
#include "manifest.hpp"
#include "results.hpp"

namespace grader {

/// `grade [LESSON|EXERCISE...]` and `selftest`: grades `o.args`, writes the reports,
/// remembers the grade, and marks the hints the text report showed at a terminal as
/// seen. Throws UsageError for an unknown lesson or exercise.
int grade_verb(const Options& o, const Course& course);

/// `list`: lessons, exercises, points, the last grade and where each exercise
/// stands (done, now, next).
int list_verb(const Options& o, const Course& course, bool color);

/// `hint EXERCISE`: the next hint, remembered as seen. Throws UsageError for an
/// unknown exercise.
int hint_verb(const Options& o, const Course& course, const std::string& exercise, bool color);

/// `files [EXERCISE]`: the files a student edits, one a line (`./course reset`).
int files_verb(const Options& o, const Course& course);

/// `watch [EXERCISE]`: grades the exercise (default: the current one), then again each
/// time one of its files is saved; keys h (hint), n (next exercise), r (re-grade), q (quit).
/// Blocks until q, the end of input at a terminal, or a signal.
int watch_verb(const Options& o, const Course& course, bool color);

/// What to do after a full score: the next exercise of the lesson, the next
/// lesson's page, or the end of the course (`watching`: with the key that goes there).
std::string whats_next(const Course& course, const Report& report, bool watching = false);

/// Puts the terminal back as it was before watch_verb() changed it (async-signal-safe:
/// the signal handlers call it before dying).
void restore_terminal() noexcept;

}  // namespace grader
