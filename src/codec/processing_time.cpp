// SPDX-License-Identifier: Apache-2.0
// The proxy's processing_time: a Go duration string ("234ms", "1.5s") or bare seconds.
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "codec/codec_util.hpp"
#include "codec/protocol.hpp"
#include "util/text.hpp"

namespace alertllm::internal {
namespace {

constexpr std::uint64_t kMaxNanos =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Nanoseconds per unit of a Go duration, or 0 for an unknown unit.
std::uint64_t UnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return 0;
}

// The algorithm of Go's time.ParseDuration, minus the sign, plus bare seconds.
std::optional<std::uint64_t> ParseNanos(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t total = 0;
  bool first = true;
  while (!text.empty()) {
    std::uint64_t whole = 0;
    std::size_t digits = 0;
    bool overflow = false;
    while (!text.empty() && IsDigit(text.front())) {
      const auto digit = static_cast<std::uint64_t>(text.front() - '0');
      if (whole > (kMaxNanos - digit) / 10) overflow = true;
      if (!overflow) whole = whole * 10 + digit;
      text.remove_prefix(1);
      ++digits;
    }
    std::uint64_t fraction = 0;
    double fraction_scale = 1.0;
    if (!text.empty() && text.front() == '.') {
      text.remove_prefix(1);
      while (!text.empty() && IsDigit(text.front())) {
        // Digits past the 18th cannot change a nanosecond count; they are read and dropped.
        if (fraction_scale < 1e18) {
          fraction = fraction * 10 + static_cast<std::uint64_t>(text.front() - '0');
          fraction_scale *= 10.0;
        }
        text.remove_prefix(1);
        ++digits;
      }
    }
    if (digits == 0 || overflow) return std::nullopt;
    std::size_t unit_length = 0;
    while (unit_length < text.size() && !IsDigit(text[unit_length]) && text[unit_length] != '.') {
      ++unit_length;
    }
    std::uint64_t unit = 0;
    if (unit_length == 0) {
      // A bare number is seconds, and only on its own: "1.5" but not "1s500".
      if (!first || !text.empty()) return std::nullopt;
      unit = UnitNanos("s");
    } else {
      unit = UnitNanos(text.substr(0, unit_length));
      if (unit == 0) return std::nullopt;
      text.remove_prefix(unit_length);
    }
    if (whole > kMaxNanos / unit) return std::nullopt;
    std::uint64_t value = whole * unit;
    const double extra =
        static_cast<double>(fraction) * (static_cast<double>(unit) / fraction_scale);
    if (extra >= static_cast<double>(kMaxNanos - value)) return std::nullopt;
    value += static_cast<std::uint64_t>(extra);
    if (value > kMaxNanos - total) return std::nullopt;
    total += value;
    first = false;
  }
  return total;
}

}  // namespace

Result<std::chrono::microseconds> ParseProcessingTime(std::string_view text) {
  try {
    if (const auto nanos = ParseNanos(text)) {
      return std::chrono::microseconds(static_cast<std::int64_t>(*nanos / 1000));
    }
    return codec::BadResponse("processing_time: " + Quote(text) +
                              " is not a duration such as 234ms, 1.5s or 0.234");
  } catch (...) {
    return Error{ErrorCode::kUnknown, "out of memory"};
  }
}

}  // namespace alertllm::internal
