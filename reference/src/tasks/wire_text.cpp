// The small text forms of Celery's protocol: UUIDs, ISO-8601 times, Python's
// repr of arguments (argsrepr/kwargsrepr). See mp/tasks/message.hpp.
#include <sodium.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "mp/tasks/message.hpp"

namespace mp::tasks {

std::string new_uuid() {
  if (sodium_init() < 0) throw Error("mp::tasks: libsodium could not start");
  std::array<unsigned char, 16> b{};
  randombytes_buf(b.data(), b.size());
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 0x0F];
  }
  return out;
}

std::string iso8601(Clock::time_point t, bool with_zone) {
  using namespace std::chrono;
  const auto us = time_point_cast<microseconds>(t);
  const auto day = floor<days>(us);
  const year_month_day ymd{day};
  const hh_mm_ss hms{us - day};
  char buf[48];
  const int n =
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lld.%06lld%s",
                    static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                    static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
                    static_cast<long>(hms.minutes().count()), static_cast<long long>(hms.seconds().count()),
                    static_cast<long long>(hms.subseconds().count()), with_zone ? "+00:00" : "");
  return std::string(buf, static_cast<std::size_t>(n));
}

namespace {

int digits(std::string_view s, std::size_t at, std::size_t n, std::string_view whole) {
  int v = 0;
  if (at + n > s.size())
    throw ProtocolError("mp::tasks: not an ISO-8601 time: '" + std::string(whole.substr(0, 64)) + "'");
  auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + n, v);
  if (ec != std::errc{} || p != s.data() + at + n) {
    throw ProtocolError("mp::tasks: not an ISO-8601 time: '" + std::string(whole.substr(0, 64)) + "'");
  }
  return v;
}

void expect(std::string_view s, std::size_t at, char c) {
  if (at >= s.size() || s[at] != c)
    throw ProtocolError("mp::tasks: not an ISO-8601 time: '" + std::string(s.substr(0, 64)) + "'");
}

}  // namespace

Clock::time_point parse_iso8601(std::string_view s) {
  using namespace std::chrono;
  // YYYY-MM-DDTHH:MM:SS[.f{1,9}][Z|(+|-)HH:MM]
  const int y = digits(s, 0, 4, s);
  expect(s, 4, '-');
  const int mo = digits(s, 5, 2, s);
  expect(s, 7, '-');
  const int d = digits(s, 8, 2, s);
  if (s.size() <= 10 || (s[10] != 'T' && s[10] != ' ')) expect(s, 10, 'T');
  const int h = digits(s, 11, 2, s);
  expect(s, 13, ':');
  const int mi = digits(s, 14, 2, s);
  expect(s, 16, ':');
  const int sec = digits(s, 17, 2, s);
  std::size_t at = 19;
  nanoseconds frac{0};
  if (at < s.size() && s[at] == '.') {
    std::size_t n = 0;
    long long v = 0;
    for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, ++n) {
      if (n < 9) v = v * 10 + (s[at] - '0');
    }
    if (n == 0) expect(s, at, '0');
    for (std::size_t k = n; k < 9; ++k) v *= 10;
    frac = nanoseconds(v);
  }
  minutes offset{0};
  if (at < s.size() && s[at] == 'Z') {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    const int sign = s[at] == '-' ? -1 : 1;
    const int oh = digits(s, at + 1, 2, s);
    expect(s, at + 3, ':');
    const int om = digits(s, at + 4, 2, s);
    offset = minutes(sign * (oh * 60 + om));
    at += 6;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (at != s.size() || !ymd.ok() || h > 23 || mi > 59 || sec > 60) {
    throw ProtocolError("mp::tasks: not an ISO-8601 time: '" + std::string(s.substr(0, 64)) + "'");
  }
  const auto t = sys_days{ymd} + hours(h) + minutes(mi) + seconds(sec) + frac - offset;
  return time_point_cast<Clock::duration>(t);
}

namespace {

void repr_string(const std::string& s, std::string& out) {
  const bool dq = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
  const char q = dq ? '"' : '\'';
  out += q;
  for (const char c : s) {
    if (c == q || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  out += q;
}

void repr(const nlohmann::json& v, std::string& out, bool as_tuple, int depth) {
  if (depth > 32 || out.size() > 4096) {  // argsrepr is for people: Celery cuts it too
    out += "...";
    return;
  }
  switch (v.type()) {
    case nlohmann::json::value_t::null: out += "None"; break;
    case nlohmann::json::value_t::boolean: out += v.get<bool>() ? "True" : "False"; break;
    case nlohmann::json::value_t::string: repr_string(v.get_ref<const std::string&>(), out); break;
    case nlohmann::json::value_t::array: {
      out += as_tuple ? '(' : '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ", ";
        first = false;
        repr(e, out, false, depth + 1);
      }
      if (as_tuple && v.size() == 1) out += ',';
      out += as_tuple ? ')' : ']';
      break;
    }
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) out += ", ";
        first = false;
        repr_string(k, out);
        out += ": ";
        repr(e, out, false, depth + 1);
      }
      out += '}';
      break;
    }
    default: out += v.dump();
  }
}

}  // namespace

std::string python_repr(const nlohmann::json& value, bool as_tuple) {
  std::string out;
  repr(value, out, as_tuple, 0);
  return out;
}

std::string result_key(std::string_view id) { return "celery-task-meta-" + std::string(id); }

}  // namespace mp::tasks
