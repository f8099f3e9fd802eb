// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "alertllm/detail/http_date.hpp"
#include "alertllm/detail/strings.hpp"

// The values of the `retry-after-ms` and `Retry-After` headers (ServerRetryHint in retry.hpp).
// Not documented API.

namespace alertllm::detail {

// 2^31 seconds: what RFC 9111 §1.2.2 prescribes for a delta-seconds too large to represent.
inline constexpr std::chrono::milliseconds kMaxRetryHint =
    std::chrono::seconds(std::int64_t{1} << 31);

// `limit` if the digits' value exceeds it.
constexpr std::int64_t SaturatedDigits(std::string_view digits, std::int64_t limit) noexcept {
  std::int64_t value = 0;
  for (char c : digits) {
    value = value * 10 + (c - '0');
    if (value > limit) return limit;
  }
  return value;
}

// `retry-after-ms` (the OpenAI API's): a non-negative decimal number of milliseconds,
// "1500" or "12.5"; a fraction rounds up, since the hint is a minimum.
constexpr std::optional<std::chrono::milliseconds> ParseRetryAfterMs(std::string_view s) noexcept {
  s = TrimOws(s);
  const std::size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (!AllDigits(whole)) return std::nullopt;
  if (dot != std::string_view::npos && !AllDigits(fraction)) return std::nullopt;
  const std::int64_t limit = kMaxRetryHint.count();
  std::int64_t ms = SaturatedDigits(whole, limit);
  bool round_up = false;
  for (char c : fraction) round_up = round_up || c != '0';
  if (round_up && ms < limit) ++ms;
  return std::chrono::milliseconds(ms);
}

// A `Retry-After` value (delta-seconds or an HTTP-date relative to `now`), trimmed of
// spaces and tabs, saturated at kMaxRetryHint; a date in the past gives 0 ms.
inline std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) noexcept {
  value = TrimOws(value);
  if (AllDigits(value)) {
    return std::chrono::seconds(SaturatedDigits(value, kMaxRetryHint.count() / 1000));
  }
  const auto now_ms = std::chrono::floor<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const auto now_days = std::chrono::floor<std::chrono::days>(now);
  const int now_year = static_cast<int>(std::chrono::year_month_day(now_days).year());
  const std::optional<std::int64_t> date_ms = ParseHttpDate(value, now_year);
  if (!date_ms) return std::nullopt;
  // now_ms is rounded down, so the wait is rounded up: the hint is a minimum.
  const std::int64_t wait = *date_ms - now_ms;
  return std::chrono::milliseconds(std::clamp<std::int64_t>(wait, 0, kMaxRetryHint.count()));
}

}  // namespace alertllm::detail
