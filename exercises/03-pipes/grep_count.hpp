// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in grep_count.cpp (the function grep_count declared here).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 03, exercise 1 ("use it"): a parallel `grep NEEDLE | sort | uniq -c`
/// with worker processes that each send their matches back through a pipe of their own.
///
/// Python counterpart:
/// @code{.py}
/// def grep(lines, needle, conn):
///     for line in lines:
///         if needle in line:
///             conn.send(line)
///     conn.close()
///
/// def grep_count(lines, needle, workers):
///     readers, procs = [], []
///     for k in range(workers):
///         r, w = Pipe(duplex=False)
///         p = Process(target=grep, args=(lines[k::workers], needle, w))
///         p.start()
///         w.close()                       # or the reader never sees EOF
///         readers.append(r); procs.append(p)
///     counts = Counter()
///     while readers:
///         for r in wait(readers):          # whichever worker has something
///             try:
///                 counts[r.recv()] += 1
///             except EOFError:
///                 readers.remove(r)
///     for p in procs: p.join()
///     return counts
/// @endcode
///
/// Lesson: lessons/03-pipes/README.md, "Exercise 1: grep_count".
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <mp/timeout.hpp>

namespace lesson03 {

/// A matching line → how many times it occurs (`uniq -c`, sorted as `sort` would).
using LineCounts = std::map<std::string, std::size_t>;

/// The serial answer: each distinct line of `lines` that contains `needle`, with its
/// number of occurrences. The answer grep_count() must give, and the baseline of its
/// speed-up. Given.
[[nodiscard]] inline LineCounts grep_count_serial(const std::vector<std::string>& lines,
                                                  const std::string& needle) {
  LineCounts counts;
  for (const auto& line : lines)
    if (line.find(needle) != std::string::npos) ++counts[line];
  return counts;
}

/// Counts each distinct line of `lines` that contains `needle` (a plain substring;
/// an empty needle matches every line), with `workers` grep processes, and returns
/// the same counts as grep_count_serial(lines, needle).
///
/// **How.** Each of the `workers` mp::Process gets a share of the lines (they are
/// forked after `lines` exists, so each has its own copy), and its own simplex
/// mp::Pipe back to the caller; it sends what it finds (lines, or batches of lines,
/// or its partial counts) and ends. The caller receives from whichever pipe has
/// something (mp::wait over the read ends) until every pipe reports EOF, then
/// merges. Close the ends you do not use, in each process: a read end whose write
/// end is still open somewhere never reports EOF.
///
/// **Blocking.** Until every worker's pipe has reached EOF, or `timeout` (one deadline
/// for the whole call) expires. Read while the workers run: a worker blocks in send
/// while its pipe is full (about 64 KiB to 1 MiB), so a caller that joins a worker
/// before reading it waits forever. EOF only says a worker's end closed: a worker
/// killed halfway also closes it, so check each worker's exit code.
///
/// **Guarantees.** On return or throw, every worker it started has ended and been
/// reaped (kill the ones still running on an error path).
///
/// @param lines   the text, one line per element (without '\n'); may be empty;
///                hundreds of thousands of lines, or matches worth megabytes.
/// @param needle  what a line must contain.
/// @param workers number of worker processes, >= 1 (more workers than lines is fine).
/// @param timeout how long the whole count may take; default: forever.
/// @throws mp::ValueError when `workers` < 1.
/// @throws mp::TimeoutError when the count is not done within `timeout`.
/// @throws mp::ProcessError when a worker ends with a non-zero exit code (the message
///         names the code), even if its pipe reached EOF.
///
/// @code
/// auto counts = lesson03::grep_count({"a cat", "a dog", "a cat", "cow"}, "a ", 2);
/// // counts == {{"a cat", 2}, {"a dog", 1}}
/// @endcode
[[nodiscard]] LineCounts grep_count(const std::vector<std::string>& lines, const std::string& needle,
                                    int workers, mp::Timeout timeout = mp::Timeout());

}  // namespace lesson03
