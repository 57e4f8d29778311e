// libFuzzer target over the decoder: any bytes must decode or raise
// mp::SerializationError; anything else (a crash, a sanitizer report, another
// exception, an out-of-memory) is a bug.
//   CXX=clang++ cmake -S . -B build/fuzz -DMP_BUILD_FUZZERS=ON && cmake --build build/fuzz --target
//   pickle_fuzz build/fuzz/reference/fuzz/pickle_fuzz -max_total_time=60 -rss_limit_mb=512
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <variant>
#include <vector>

#include "mp/pickle.hpp"

namespace {

struct Record {
  std::string name;
  std::vector<double> values;
  std::optional<std::variant<int, std::string, bool>> tag;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(name, values, tag);
  }
};

using Everything = std::tuple<std::map<std::string, std::vector<Record>>, std::vector<bool>,
                              std::pair<std::uint8_t, std::int64_t>, std::vector<std::vector<std::string>>>;

template <class T>
void try_decode(std::string_view bytes) {
  try {
    (void)mp::loads<T>(bytes);
  } catch (const mp::SerializationError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try_decode<Everything>(bytes);
  try_decode<Record>(bytes);
  try_decode<std::vector<std::string>>(bytes);
  try_decode<std::map<int, std::optional<bool>>>(bytes);
  // Elements far larger in memory than their smallest encoding: memory must
  // follow the input (-rss_limit_mb catches a decode that allocates what a
  // count announces).
  try_decode<std::vector<std::array<char, 4096>>>(bytes);
  try_decode<std::vector<std::optional<std::array<char, 4096>>>>(bytes);
  try_decode<std::vector<std::variant<std::int64_t, std::array<char, 4096>>>>(bytes);
  try_decode<std::tuple<std::u32string, std::unordered_set<std::int64_t>, std::vector<std::vector<double>>>>(
      bytes);
  return 0;
}
