// The runtime's "pickle": round trips of every supported kind of value, and
// safe failure on truncated, malformed or foreign bytes.
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "mp/pickle.hpp"
#include "test_support.hpp"

namespace {

using mp::testing::peak_rss;
using mp::testing::reset_peak_rss;

struct Point {  // trivially copyable: travels as its bytes
  double x;
  double y;
  bool operator==(const Point&) const = default;
};

struct Order {  // needs the documented hook
  std::string item;
  std::vector<int> quantities;
  std::optional<Point> where;
  bool operator==(const Order&) const = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(item, quantities, where);
  }
};

struct Flag {  // trivially copyable, but with an invariant: opts out of the bitwise path
  bool on;
  bool operator==(const Flag&) const = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(on);
  }
};

template <class T>
T round_trip(const T& v) {
  return mp::loads<T>(mp::dumps(v));
}

TEST(Pickle, ArithmeticAndStrings) {
  EXPECT_EQ(round_trip(42), 42);
  EXPECT_EQ(round_trip(-7LL), -7LL);
  EXPECT_DOUBLE_EQ(round_trip(3.1415927), 3.1415927);
  EXPECT_EQ(round_trip(true), true);
  EXPECT_EQ(round_trip(std::string("hello")), "hello");
  EXPECT_EQ(round_trip(std::string()), "");
  EXPECT_EQ(round_trip(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Pickle, TopLevelStringTravelsAsItsCharacters) { EXPECT_EQ(mp::dumps(std::string("abc")), "abc"); }

TEST(Pickle, Containers) {
  const std::vector<int> v{1, 2, 3};
  EXPECT_EQ(round_trip(v), v);
  const std::map<std::string, std::vector<double>> m{{"a", {1.5}}, {"b", {}}};
  EXPECT_EQ(round_trip(m), m);
  const std::unordered_map<int, std::string> u{{1, "one"}, {2, "two"}};
  EXPECT_EQ(round_trip(u), u);
  const std::pair<int, std::string> p{1, "x"};
  EXPECT_EQ(round_trip(p), p);
  const std::tuple<int, std::optional<int>, std::string> t{42, std::nullopt, "hello"};  // [42, None, 'hello']
  EXPECT_EQ(round_trip(t), t);
  const std::variant<int, std::string> var = std::string("s");
  EXPECT_EQ(round_trip(var), var);
  const std::vector<bool> bits{true, false, true};
  EXPECT_EQ(round_trip(bits), bits);
}

TEST(Pickle, UserStructs) {
  EXPECT_EQ(round_trip(Point{1, 2}), (Point{1, 2}));
  const std::vector<Point> pts{{1, 2}, {3, 4}};
  EXPECT_EQ(round_trip(pts), pts);
  const Order o{"tea", {1, 2}, Point{5, 6}};
  EXPECT_EQ(round_trip(o), o);
  EXPECT_EQ(round_trip(Flag{true}), Flag{true});
}

TEST(Pickle, BitwiseFastPathIsTheRawBytes) {
  const Point p{1, 2};
  std::string scratch;
  const auto view = mp::bytes_of(p, scratch);
  EXPECT_EQ(view.size(), sizeof(Point));
  EXPECT_EQ(static_cast<const void*>(view.data()), static_cast<const void*>(&p));  // no copy
  EXPECT_TRUE(scratch.empty());
}

TEST(Pickle, TruncatedInputRaises) {
  const std::string full = mp::dumps(Order{"tea", {1, 2, 3}, Point{1, 2}});
  for (std::size_t n = 0; n < full.size(); ++n) {
    EXPECT_THROW((void)mp::loads<Order>(full.substr(0, n)), mp::SerializationError)
        << "prefix of " << n << " bytes";
  }
}

TEST(Pickle, TrailingBytesRaise) {
  EXPECT_THROW((void)mp::loads<std::vector<int>>(mp::dumps(std::vector<int>{1}) + "x"),
               mp::SerializationError);
  EXPECT_THROW((void)mp::loads<int>(std::string(5, 'x')), mp::SerializationError);
}

TEST(Pickle, HugeAnnouncedSizeRaisesBeforeAllocating) {
  std::string bytes(8, '\xff');  // a vector announcing 2^64-1 elements
  EXPECT_THROW((void)mp::loads<std::vector<std::string>>(bytes), mp::SerializationError);
  EXPECT_THROW(((void)mp::loads<std::map<int, int>>(bytes)), mp::SerializationError);
}

// ---- memory in proportion to the input ----

constexpr std::size_t input_size = 768 * 1024;
constexpr std::size_t mib = std::size_t{1} << 20;

// `prefix` (size tags as cereal writes them: 8 bytes each) padded with `fill`
// to input_size bytes.
std::string announce(std::initializer_list<std::uint64_t> counts, char fill) {
  std::string bytes;
  for (const std::uint64_t n : counts) bytes.append(reinterpret_cast<const char*>(&n), sizeof n);
  bytes.resize(input_size, fill);
  return bytes;
}

// Decoding `bytes` as a T raises SerializationError (never std::bad_alloc),
// and the decoder's peak memory stays within a few MiB of the input's size.
template <class T>
void expect_refused_in_bounded_memory(const std::string& bytes, const char* what) {
  SCOPED_TRACE(what);
  ASSERT_TRUE(reset_peak_rss()) << "cannot reset VmHWM (/proc/self/clear_refs)";
  const std::size_t before = peak_rss();
  EXPECT_THROW((void)mp::loads<T>(bytes), mp::SerializationError);
  const std::size_t growth = peak_rss() - before;
  EXPECT_LT(growth, 8 * mib * mp::testing::memory_slack)
      << "decoding " << bytes.size() / 1024 << " KiB raised the peak RSS by " << growth / 1024 << " KiB";
}

TEST(Pickle, ElementCountIsBoundedByTheElementsEncodedSize) {
  // A count that passes "one byte per element" but not "4096 bytes per
  // element": 768 KiB once asked for 3.1 GB (and 48 GiB: std::bad_alloc).
  const std::uint64_t rest = input_size - 8;
  for (const char fill : {'\0', '\xff'}) {
    SCOPED_TRACE(static_cast<int>(fill));
    const std::string bytes = announce({rest}, fill);
    expect_refused_in_bounded_memory<std::vector<std::array<char, 4096>>>(bytes, "vector<array<char, 4096>>");
    expect_refused_in_bounded_memory<std::vector<std::array<char, 65536>>>(bytes,
                                                                           "vector<array<char, 65536>>");
    expect_refused_in_bounded_memory<std::vector<std::pair<int, std::array<char, 1024>>>>(
        bytes, "vector<pair<int, array<char, 1024>>>");
    expect_refused_in_bounded_memory<std::vector<std::tuple<std::array<double, 512>>>>(
        bytes, "vector<tuple<array<double, 512>>>");
    expect_refused_in_bounded_memory<std::vector<std::variant<std::int64_t, std::array<char, 4096>>>>(
        bytes, "vector<variant<int64_t, array<char, 4096>>>");
    expect_refused_in_bounded_memory<std::vector<std::optional<std::array<char, 4096>>>>(
        bytes, "vector<optional<array<char, 4096>>>");
    expect_refused_in_bounded_memory<std::vector<std::map<int, int>>>(bytes, "vector<map<int, int>>");
    expect_refused_in_bounded_memory<std::vector<std::string>>(bytes, "vector<string>");
    expect_refused_in_bounded_memory<std::vector<Point>>(bytes, "vector<Point>");
    expect_refused_in_bounded_memory<std::tuple<std::u32string>>(bytes, "tuple<u32string>");
    expect_refused_in_bounded_memory<std::unordered_set<std::int64_t>>(bytes, "unordered_set<int64_t>");
    expect_refused_in_bounded_memory<std::map<int, std::array<char, 4096>>>(bytes,
                                                                            "map<int, array<char, 4096>>");
  }
}

TEST(Pickle, NestedCountsAreBoundedToo) {
  // One outer element whose inner container announces what the whole input could not hold.
  const std::uint64_t rest = input_size - 16;
  for (const char fill : {'\0', '\xff'}) {
    SCOPED_TRACE(static_cast<int>(fill));
    const std::string bytes = announce({1, rest}, fill);
    expect_refused_in_bounded_memory<std::vector<std::vector<std::array<char, 4096>>>>(
        bytes, "vector<vector<array<char, 4096>>>");
    expect_refused_in_bounded_memory<std::vector<std::vector<std::optional<std::array<char, 4096>>>>>(
        bytes, "vector<vector<optional<array<char, 4096>>>>");
    expect_refused_in_bounded_memory<std::map<std::int64_t, std::vector<std::array<char, 4096>>>>(
        announce({1, 0, input_size - 24}, fill), "map<int64_t, vector<array<char, 4096>>>");  // {0: [...]}
    expect_refused_in_bounded_memory<std::optional<std::vector<std::array<char, 4096>>>>(
        std::string(1, '\0') + bytes.substr(8), "optional<vector<array<char, 4096>>>");
    expect_refused_in_bounded_memory<std::array<std::vector<std::array<char, 4096>>, 2>>(
        bytes.substr(8), "array<vector<array<char, 4096>>, 2>");
  }
}

TEST(Pickle, ContainersOfLargeElementsStillRoundTrip) {
  // The bounds refuse only what no encoding could hold: full-size messages decode.
  std::vector<std::array<char, 4096>> pages(200);
  for (std::size_t i = 0; i < pages.size(); ++i) pages[i].fill(static_cast<char>(i));
  EXPECT_EQ(round_trip(pages), pages);
  std::vector<std::optional<std::array<char, 4096>>> sparse(5000);  // 1 byte each on the wire
  sparse[17] = pages[3];
  EXPECT_EQ(round_trip(sparse), sparse);
  const std::vector<std::variant<std::int64_t, std::array<char, 4096>>> mixed = {std::int64_t{1}, pages[5],
                                                                                 std::int64_t{-2}};
  EXPECT_EQ(round_trip(mixed), mixed);
  const std::vector<std::vector<Point>> nested = {{}, {{1, 2}}, {{3, 4}, {5, 6}}};
  EXPECT_EQ(round_trip(nested), nested);
  const std::u32string wide = U"wide \U0001F600";
  EXPECT_EQ(std::get<0>(round_trip(std::tuple<std::u32string>{wide})), wide);
  const std::unordered_set<std::int64_t> set = {1, 2, 3};
  EXPECT_EQ(round_trip(set), set);
  const std::vector<std::string> strings = {"", "a", std::string(5000, 'b')};
  EXPECT_EQ(round_trip(strings), strings);
  const std::vector<std::int16_t> shorts = {1, -2, 3};
  EXPECT_EQ(round_trip(shorts), shorts);
}

TEST(Pickle, ArithmeticCountIsBoundedByItsBytes) {
  // Exactly enough bytes decodes; one element more than the bytes hold is refused.
  std::vector<std::int64_t> v(100, 7);
  std::string bytes = mp::dumps(v);
  const std::uint64_t one_more = 101;
  std::memcpy(bytes.data(), &one_more, sizeof one_more);
  try {
    (void)mp::loads<std::vector<std::int64_t>>(bytes);
    ADD_FAILURE() << "101 elements in the bytes of 100 must be refused";
  } catch (const mp::SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("101"), std::string::npos) << e.what();  // refused on the count
  }
  bytes.resize(bytes.size() - 1);
  EXPECT_THROW((void)mp::loads<std::vector<std::int64_t>>(bytes), mp::SerializationError);
  v.resize(101, 8);
  EXPECT_EQ(round_trip(v), v);
}

TEST(Pickle, InvalidBoolAndVariantIndexRaise) {
  EXPECT_THROW((void)mp::loads<Flag>(std::string(1, '\x02')), mp::SerializationError);
  std::string bad_index = mp::dumps(std::variant<int, std::string>(1));
  bad_index[0] = '\x07';  // index 7 of a 2-alternative variant
  EXPECT_THROW(((void)mp::loads<std::variant<int, std::string>>(bad_index)), mp::SerializationError);
  bad_index[0] = '\xff';  // negative index
  bad_index[1] = '\xff';
  bad_index[2] = '\xff';
  bad_index[3] = '\xff';
  EXPECT_THROW(((void)mp::loads<std::variant<int, std::string>>(bad_index)), mp::SerializationError);
}

// A small fuzz loop: random bytes and random mutations of valid messages must
// decode or raise SerializationError, nothing else (run under ASan/UBSan in CI).
TEST(Pickle, RandomBytesNeverCrash) {
  using Complex =
      std::tuple<std::map<std::string, std::vector<Order>>, std::optional<std::variant<int, Flag>>>;
  const Complex valid{{{"k", {Order{"a", {1}, std::nullopt}, Order{"b", {}, Point{1, 2}}}}}, Flag{true}};
  const std::string good = mp::dumps(valid);
  std::mt19937 rng(12345);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = good;
    if (i % 2 == 0) {
      bytes.resize(rng() % 64);
      for (auto& c : bytes) c = static_cast<char>(rng());
    } else {
      for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    try {
      (void)mp::loads<Complex>(bytes);
      ++decoded;
    } catch (const mp::SerializationError&) {
    }
  }
  EXPECT_LT(decoded, 20000);  // most mutations are detected
}

}  // namespace
