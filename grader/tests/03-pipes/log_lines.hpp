#pragma once
// Deterministic log lines for the grep_count tests and benchmarks: a few services,
// levels and messages, so that a needle like "ERROR" matches some lines, and the
// same line occurs many times (as in a real log, which `sort | uniq -c` counts).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lesson03::testing {

class LogLines {
public:
  explicit LogLines(std::uint64_t seed = 42) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}

  /// One line: "<service> <LEVEL> <message> <code>", e.g. "db WARN slow query 17".
  std::string line() {
    static const char* const services[] = {"db", "web", "auth", "cache", "queue", "mail"};
    static const char* const levels[] = {"INFO", "INFO", "INFO", "INFO", "WARN", "WARN", "ERROR", "DEBUG"};
    static const char* const messages[] = {"request served",   "slow query",     "cache miss", "retrying",
                                           "connection reset", "user logged in", "timeout",    "disk full"};
    std::string l = services[next() % 6];
    l += ' ';
    l += levels[next() % 8];
    l += ' ';
    l += messages[next() % 8];
    l += ' ';
    l += std::to_string(next() % codes_);
    return l;
  }

  /// `n` lines; `codes` different numbers at their ends (more: fewer repeated lines).
  std::vector<std::string> lines(std::size_t n, std::uint64_t codes = 20) {
    codes_ = codes;
    std::vector<std::string> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(line());
    return out;
  }

private:
  std::uint64_t next() {  // xorshift64*
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  std::uint64_t state_;
  std::uint64_t codes_ = 20;
};

}  // namespace lesson03::testing
