#pragma once
/// @file
/// @brief A hung run's stacks made readable for a student: each thread's frames in
/// the student's files first ("your code: ..."), function names with long template
/// arguments folded (`std::__invoke_impl<…>`), argument values and addresses
/// dropped, paths relative to the sources, and runs of library frames (libc,
/// the standard library, GoogleTest) folded into one line.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace grader {

/// One function name shortened: `std::__cxx11::basic_string<char, ...>` is
/// `std::string`, and template arguments longer than a few words are `…`.
std::string fold_templates(std::string_view name);

/// gdb's `thread apply all bt` text (as backtraces_of() keeps it), folded. Frames in
/// `student_files` (paths relative to `source_dir`) come first in their thread, and
/// threads with such frames come before the others. Text that is not gdb's frames
/// ("(no backtrace: ...)") is returned as it is.
std::string fold_backtrace(std::string_view gdb_text, const std::filesystem::path& source_dir,
                           const std::vector<std::string>& student_files);

}  // namespace grader
