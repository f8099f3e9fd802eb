// SPDX-License-Identifier: Apache-2.0
#include "util/duration.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "alertllm/detail/strings.hpp"

namespace alertllm::internal {
namespace {

using detail::IsDigit;

// Whole parts are exact integers; fractions are scaled in double, as Go does, so long
// fractions such as "0.3333333333333333333h" round to the same nanosecond.

constexpr std::string_view kNotANumber = "expected a number followed by a unit";
constexpr std::string_view kOutOfRange = "out of range";
constexpr std::uint64_t kTwoTo63 = std::uint64_t{1} << 63;

bool LeadingInt(std::string_view& s, std::uint64_t& x) noexcept {
  x = 0;
  std::size_t i = 0;
  for (; i < s.size() && IsDigit(s[i]); ++i) {
    if (x > kTwoTo63 / 10) return false;
    x = x * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (x > kTwoTo63) return false;
  }
  s.remove_prefix(i);
  return true;
}

// Digits past the 19th or so only stop adding precision, as in Go: they are not an overflow.
void LeadingFraction(std::string_view& s, std::uint64_t& x, double& scale) noexcept {
  x = 0;
  scale = 1;
  bool overflow = false;
  std::size_t i = 0;
  for (; i < s.size() && IsDigit(s[i]); ++i) {
    if (overflow) continue;
    if (x > (kTwoTo63 - 1) / 10) {
      overflow = true;
      continue;
    }
    const std::uint64_t y = x * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (y > kTwoTo63) {
      overflow = true;
      continue;
    }
    x = y;
    scale *= 10;
  }
  s.remove_prefix(i);
}

// Nanoseconds per unit, 0 for an unknown unit.
std::uint64_t UnitNanos(std::string_view unit) noexcept {
  if (unit == "ns") return 1;
  // "µs" is U+00B5 MICRO SIGN, "μs" U+03BC GREEK SMALL LETTER MU; Go accepts both.
  if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return 0;
}

// Reads one "<number><unit>" from the front of `s` into `value` (nanoseconds, ≤ 2^63);
// returns the problem, or an empty view.
std::string_view ReadComponent(std::string_view& s, std::uint64_t& value) noexcept {
  if (!(s[0] == '.' || IsDigit(s[0]))) return kNotANumber;
  std::uint64_t whole = 0;
  const std::size_t before_whole = s.size();
  if (!LeadingInt(s, whole)) return kOutOfRange;
  const bool has_whole = s.size() != before_whole;
  std::uint64_t fraction = 0;
  double scale = 1;
  bool has_fraction = false;
  if (!s.empty() && s[0] == '.') {
    s.remove_prefix(1);
    const std::size_t before_fraction = s.size();
    LeadingFraction(s, fraction, scale);
    has_fraction = s.size() != before_fraction;
  }
  if (!has_whole && !has_fraction) return kNotANumber;  // ".s", "-.s"
  std::size_t unit_length = 0;
  while (unit_length < s.size() && s[unit_length] != '.' && !IsDigit(s[unit_length])) {
    ++unit_length;
  }
  if (unit_length == 0) return "missing unit";
  const std::uint64_t unit = UnitNanos(s.substr(0, unit_length));
  s.remove_prefix(unit_length);
  if (unit == 0) return "unknown unit (use ns, us, ms, s, m or h)";
  if (whole > kTwoTo63 / unit) return kOutOfRange;
  value = whole * unit;
  if (fraction > 0) {
    // Go computes the fraction in float64 (exact to the nanosecond up to hours); doing the
    // same keeps results identical to Go's for long fractions.
    value += static_cast<std::uint64_t>(static_cast<double>(fraction) *
                                        (static_cast<double>(unit) / scale));
    if (value > kTwoTo63) return kOutOfRange;
  }
  return {};
}

}  // namespace

DurationParse ParseGoDuration(std::string_view s) noexcept {
  std::uint64_t total = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return {};
  if (s.empty()) return {0, kNotANumber};
  while (!s.empty()) {
    std::uint64_t value = 0;
    if (const std::string_view problem = ReadComponent(s, value); !problem.empty()) {
      return {0, problem};
    }
    total += value;
    if (total > kTwoTo63) return {0, kOutOfRange};
  }
  // 2^63 is representable only as a negative duration; unsigned negation wraps it exactly onto
  // INT64_MIN (the conversion is modular in C++20).
  if (negative) return {static_cast<std::int64_t>(0 - total), {}};
  if (total > kTwoTo63 - 1) return {0, kOutOfRange};
  return {static_cast<std::int64_t>(total), {}};
}

namespace {

// Go's Duration.String(), transcribed from src/time/time.go: written backwards into a buffer
// large enough for "-2562047h47m16.854775808s".
class BackwardWriter {
 public:
  void Put(char c) noexcept { buf_[--w_] = c; }

  // Writes v / 10^precision's fractional digits without trailing zeros (and without the point
  // if they are all zero); leaves the integer part in v.
  void Fraction(std::uint64_t& v, int precision) noexcept {
    bool print = false;
    for (int i = 0; i < precision; ++i) {
      const auto digit = static_cast<char>(v % 10);
      print = print || digit != 0;
      if (print) Put(static_cast<char>('0' + digit));
      v /= 10;
    }
    if (print) Put('.');
  }

  void Int(std::uint64_t v) noexcept {
    do {
      Put(static_cast<char>('0' + static_cast<char>(v % 10)));
      v /= 10;
    } while (v > 0);
  }

  std::string Text() const { return std::string(buf_.data() + w_, buf_.size() - w_); }

 private:
  std::array<char, 32> buf_{};
  std::size_t w_ = buf_.size();
};

// Below a second Go switches to the largest unit that keeps an integer part: "1.5µs".
void WriteBelowSecond(BackwardWriter& out, std::uint64_t u) noexcept {
  out.Put('s');
  if (u == 0) {
    out.Put('0');
    return;
  }
  int precision = 0;
  if (u < 1'000) {
    out.Put('n');
  } else if (u < 1'000'000) {
    precision = 3;
    out.Put('\xb5');  // U+00B5 MICRO SIGN, as Go writes it
    out.Put('\xc2');
  } else {
    precision = 6;
    out.Put('m');
  }
  out.Fraction(u, precision);
  out.Int(u);
}

void WriteSecondsAndUp(BackwardWriter& out, std::uint64_t u) noexcept {
  out.Put('s');
  out.Fraction(u, 9);
  out.Int(u % 60);
  u /= 60;
  if (u == 0) return;
  out.Put('m');
  out.Int(u % 60);
  u /= 60;
  // Go stops at hours: days differ in length.
  if (u == 0) return;
  out.Put('h');
  out.Int(u);
}

}  // namespace

std::string FormatGoDuration(std::chrono::nanoseconds d) {
  // Unsigned negation handles INT64_MIN, whose magnitude no int64 holds.
  auto u = static_cast<std::uint64_t>(d.count());
  const bool negative = d.count() < 0;
  if (negative) u = 0 - u;
  BackwardWriter out;
  if (u < 1'000'000'000) {
    WriteBelowSecond(out, u);
    if (u == 0) return out.Text();
  } else {
    WriteSecondsAndUp(out, u);
  }
  if (negative) out.Put('-');
  return out.Text();
}

}  // namespace alertllm::internal
