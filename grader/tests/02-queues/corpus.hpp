#pragma once
// Deterministic pseudo-English documents for the word_count tests and
// benchmarks: words from a fixed vocabulary, some capitalised, with
// punctuation, digits and newlines between them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lesson02::testing {

class Corpus {
public:
  explicit Corpus(std::uint64_t seed = 42) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {
    static const char* const syllables[] = {"ka", "to", "ri", "se", "mu", "lo", "an", "ve", "di", "po",
                                            "ne", "sa", "qu", "el", "ir", "th", "or", "un", "ba", "ce"};
    for (int i = 0; i < 3000; ++i) {
      std::string w;
      const auto parts = 1 + next() % 4;
      for (std::uint64_t p = 0; p < parts; ++p) w += syllables[next() % 20];
      vocabulary_.push_back(w);
    }
  }

  /// A document of about `bytes` characters.
  std::string document(std::size_t bytes) {
    static const char* const separators[] = {" ", " ", " ", " ", ", ", ". ", "\n", " - ", "'", "! ", " 42 "};
    std::string doc;
    doc.reserve(bytes + 32);
    while (doc.size() < bytes) {
      // A skewed choice: a few words are frequent, most are rare (as in text).
      const auto r = next() % vocabulary_.size();
      std::string w = vocabulary_[(r * r) / vocabulary_.size()];
      if (next() % 8 == 0) w[0] = static_cast<char>(w[0] - 'a' + 'A');
      doc += w;
      doc += separators[next() % 11];
    }
    return doc;
  }

  /// `n` documents of about `bytes` characters each.
  std::vector<std::string> documents(std::size_t n, std::size_t bytes) {
    std::vector<std::string> docs;
    docs.reserve(n);
    for (std::size_t i = 0; i < n; ++i) docs.push_back(document(bytes));
    return docs;
  }

private:
  std::uint64_t next() {  // xorshift64*
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }

  std::uint64_t state_;
  std::vector<std::string> vocabulary_;
};

}  // namespace lesson02::testing
