// ============================================================================
//  DO NOT EDIT: this is the contract between your code and the grader's tests.
//  Write your code in word_count.cpp (the function word_count declared here).
// ============================================================================
#pragma once
/// @file
/// @brief Lesson 02, exercise 1 ("use it"): a parallel word count with worker
/// processes fed by one mp::Queue and reporting through another.
///
/// Python counterpart:
/// @code{.py}
/// def worker(tasks, results):
///     counts = Counter()
///     for doc in iter(tasks.get, None):       # None is the "stop" sentinel
///         counts.update(words(doc))
///     results.put(counts)
///
/// def word_count(documents, workers):
///     tasks, results = Queue(), Queue()
///     procs = [Process(target=worker, args=(tasks, results)) for _ in range(workers)]
///     for p in procs: p.start()
///     for doc in documents: tasks.put(doc)
///     for _ in procs: tasks.put(None)          # one sentinel per worker
///     total = Counter()
///     for _ in procs: total.update(results.get())
///     for p in procs: p.join()
///     return total
/// @endcode
///
/// Lesson: lessons/02-queues/README.md, "Exercise 1: word_count".
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <mp/timeout.hpp>

namespace lesson02 {

/// Word → number of occurrences. `std::less<>` lets you look up a
/// `std::string_view` without making a std::string first. mp::Queue can carry
/// it (std::map is serializable, see mp/pickle.hpp).
using WordCounts = std::map<std::string, std::size_t, std::less<>>;

/// Adds the words of `text` to `counts`. A word is a maximal run of ASCII
/// letters (`A`-`Z`, `a`-`z`), counted in lower case; every other byte
/// (space, digit, punctuation, apostrophe, non-ASCII) separates words:
/// "It's a cat-cat!" counts it:1, s:1, a:1, cat:2. Given: use it in your workers.
inline void count_words(std::string_view text, WordCounts& counts) {
  const auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  std::string word;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !is_letter(text[i])) ++i;
    if (i == text.size()) break;
    word.clear();
    for (; i < text.size() && is_letter(text[i]); ++i)
      word.push_back(text[i] >= 'a' ? text[i] : static_cast<char>(text[i] - 'A' + 'a'));
    if (auto it = counts.find(word); it != counts.end()) {
      ++it->second;
    } else {
      counts.emplace(word, 1);
    }
  }
}

/// The serial word count: the answer word_count() must give, and the baseline
/// of its speed-up. Given.
[[nodiscard]] inline WordCounts word_count_serial(const std::vector<std::string>& documents) {
  WordCounts counts;
  for (const auto& doc : documents) count_words(doc, counts);
  return counts;
}

/// Counts the words of all `documents` (as count_words() does) with
/// `workers` worker processes, and returns the same counts as
/// word_count_serial(documents).
///
/// **How.** Producer/consumer with two mp::Queue: the calling process (the
/// producer) puts the work (documents, or their indices: the workers are
/// forked after `documents` exists, so they have their own copy) into a task
/// queue; each of the `workers` mp::Process takes tasks until it gets a
/// sentinel ("no more work"), counts into its own WordCounts, and puts that
/// into a result queue once; the caller merges the `workers` partial counts.
/// Taking tasks from one shared queue balances the load: a worker that
/// finishes early takes the next task.
///
/// **Blocking.** Until every worker has reported, or `timeout` (one deadline
/// for the whole call) expires. A worker that dies (killed, crashed, threw)
/// must not make word_count wait forever: never block without a deadline on
/// a queue that only a dead process could fill; check on the workers while
/// you wait.
///
/// **Guarantees.** On return or throw, every worker it started has ended and
/// been reaped (kill the ones still running on an error path).
///
/// @param documents the texts; may be empty, documents may be empty or large
///                  (megabytes: larger than a queue's 1 MiB ring).
/// @param workers   number of worker processes, >= 1 (more workers than
///                  documents is fine).
/// @param timeout   how long the whole count may take; default: forever.
/// @throws mp::ValueError when `workers` < 1.
/// @throws mp::TimeoutError when the count is not done within `timeout`.
/// @throws mp::ProcessError when a worker ends with a non-zero exit code
///         before it has reported its counts (the message names the code).
///
/// @code
/// auto counts = lesson02::word_count({"the cat", "The hat"}, 2);
/// // counts == {{"cat", 1}, {"hat", 1}, {"the", 2}}
/// @endcode
[[nodiscard]] WordCounts word_count(const std::vector<std::string>& documents, int workers,
                                    mp::Timeout timeout = mp::Timeout());

}  // namespace lesson02
