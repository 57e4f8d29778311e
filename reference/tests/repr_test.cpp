// Tests of mp::repr() and mp::Scalar (mp/repr.hpp): the expected texts are
// what Python 3.11 prints for the same values (repr() in the interpreter).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mp/repr.hpp"

namespace {

TEST(Repr, FloatsAsPythonPrintsThem) {
  const std::vector<std::pair<double, const char*>> cases{
      {0.25, "0.25"},
      {1.0, "1.0"},
      {-2.5, "-2.5"},
      {1e16, "1e+16"},
      {1e-5, "1e-05"},
      {0.0001, "0.0001"},
      {123456789012345678.0, "1.2345678901234568e+17"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1.0 / 3, "0.3333333333333333"},
      {-0.0, "-0.0"},
      {100.0, "100.0"},
      {1e15, "1000000000000000.0"},
      {12345.678, "12345.678"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
  };
  for (const auto& [x, text] : cases) EXPECT_EQ(mp::repr(x), text) << text;
}

TEST(Repr, StringsAsPythonQuotesAndEscapesThem) {
  EXPECT_EQ(mp::repr("1"), "'1'");
  EXPECT_EQ(mp::repr("it's"), "\"it's\"");
  EXPECT_EQ(mp::repr("say \"hi\""), "'say \"hi\"'");
  EXPECT_EQ(mp::repr("both ' and \""), "'both \\' and \"'");
  EXPECT_EQ(mp::repr("tab\there\nnl\\"), "'tab\\there\\nnl\\\\'");
  EXPECT_EQ(mp::repr(std::string("\x01")), "'\\x01'");
  EXPECT_EQ(mp::repr("h\xc3\xa9llo"), "'h\xc3\xa9llo'");
}

TEST(Repr, TheSeedsMixedDictAndList) {
  const std::vector<std::pair<mp::Scalar, mp::Scalar>> d{{1, "1"}, {"2", 2}, {0.25, mp::None{}}};
  EXPECT_EQ(mp::repr_dict(d), "{1: '1', '2': 2, 0.25: None}");
  EXPECT_EQ(mp::repr(std::vector<int>{9, 8, 7}), "[9, 8, 7]");
  EXPECT_EQ(mp::repr(std::vector<mp::Scalar>{true, mp::None{}, std::int64_t{-3}}), "[True, None, -3]");
  EXPECT_EQ(mp::repr(std::map<std::string, int>{{"a", 1}}), "{'a': 1}");
  EXPECT_EQ(mp::repr(std::tuple<int>{1}), "(1,)");
  EXPECT_EQ(mp::repr(std::make_tuple(1, "x", 2.0)), "(1, 'x', 2.0)");
  EXPECT_EQ(mp::repr(std::optional<int>()), "None");
}

TEST(Repr, ScalarPicksPythonsTypeForEachLiteral) {
  EXPECT_EQ(mp::Scalar(1).index(), 2U) << "an int literal is an int";
  EXPECT_EQ(mp::Scalar(0.25).index(), 3U);
  EXPECT_EQ(mp::Scalar("x").index(), 4U) << "a string literal is a str, not a bool";
  EXPECT_EQ(mp::Scalar(true).index(), 1U);
  EXPECT_EQ(mp::Scalar(mp::None{}).index(), 0U);
}

}  // namespace
