// The runtime's "pickle": round trips of every supported kind of value, and
// safe failure on truncated, malformed or foreign bytes.
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "mp/pickle.hpp"

namespace {

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

TEST(Pickle, TopLevelStringTravelsAsItsCharacters) {
  EXPECT_EQ(mp::dumps(std::string("abc")), "abc");
}

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
    EXPECT_THROW((void)mp::loads<Order>(full.substr(0, n)), mp::SerializationError) << "prefix of " << n << " bytes";
  }
}

TEST(Pickle, TrailingBytesRaise) {
  EXPECT_THROW((void)mp::loads<std::vector<int>>(mp::dumps(std::vector<int>{1}) + "x"), mp::SerializationError);
  EXPECT_THROW((void)mp::loads<int>(std::string(5, 'x')), mp::SerializationError);
}

TEST(Pickle, HugeAnnouncedSizeRaisesBeforeAllocating) {
  std::string bytes(8, '\xff');  // a vector announcing 2^64-1 elements
  EXPECT_THROW((void)mp::loads<std::vector<std::string>>(bytes), mp::SerializationError);
  EXPECT_THROW(((void)mp::loads<std::map<int, int>>(bytes)), mp::SerializationError);
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
  using Complex = std::tuple<std::map<std::string, std::vector<Order>>, std::optional<std::variant<int, Flag>>>;
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

} // namespace
