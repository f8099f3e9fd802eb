// SPDX-License-Identifier: Apache-2.0
#include "config/env_parsers.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

#include "alertllm/detail/read_file.hpp"
#include "alertllm/detail/strings.hpp"
#include "util/duration.hpp"

namespace alertllm::internal {

using detail::IsDigit;
using std::chrono::milliseconds;

Problem SetString(std::string_view text, std::string& field) {
  field = std::string(text);
  return std::nullopt;
}

Problem SetSecretFromFile(std::string_view path, std::string& field) {
  std::string content;
  if (Problem unreadable = detail::ReadSmallFile(path, 64 * 1024, "64 KiB: not a secret", content)) {
    return unreadable;
  }
  // Secret mounts and `echo key > file` end the file with a newline; no secret starts or ends
  // with white space.
  const std::string_view value = detail::TrimSpace(content);
  if (value.empty()) return "is empty";
  field = std::string(value);
  return std::nullopt;
}

Problem SetInt(std::string_view text, int& field) {
  // from_chars takes no '+', but "+3" is a plain integer to a shell user (and to Go's Atoi).
  if (text.size() > 1 && text[0] == '+' && IsDigit(text[1])) text.remove_prefix(1);
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return "is not an integer (out of range)";
  if (ec != std::errc() || end != text.data() + text.size()) return "is not an integer";
  field = value;
  return std::nullopt;
}

Problem SetNumber(std::string_view text, double& field) {
  if (text.size() > 1 && text[0] == '+' && (IsDigit(text[1]) || text[1] == '.')) {
    text.remove_prefix(1);
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return "is not a number (out of range)";
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return "is not a number";
  }
  field = value;
  return std::nullopt;
}

Problem SetBool(std::string_view text, bool& field) {
  if (text == "1" || detail::EqualsIgnoreCase(text, "true")) {
    field = true;
  } else if (text == "0" || detail::EqualsIgnoreCase(text, "false")) {
    field = false;
  } else {
    return "is not a boolean (true/false/1/0)";
  }
  return std::nullopt;
}

// Config durations are whole milliseconds. A finer value is refused rather than rounded, so
// that "1500us" does not silently become 1ms or 2ms.
Problem SetDuration(std::string_view text, milliseconds& field) {
  const DurationParse parsed = ParseGoDuration(text);
  if (!parsed.problem.empty()) {
    return "is not a duration (" + std::string(parsed.problem) + ")";
  }
  if (parsed.nanos < 0) return "must not be negative";
  if (parsed.nanos % 1'000'000 != 0) return "has sub-millisecond precision";
  field = milliseconds(parsed.nanos / 1'000'000);
  return std::nullopt;
}

Problem SetSeconds(std::string_view text, std::chrono::seconds& field) {
  const DurationParse parsed = ParseGoDuration(text);
  if (!parsed.problem.empty()) {
    return "is not a duration (" + std::string(parsed.problem) + ")";
  }
  if (parsed.nanos < 0) return "must not be negative";
  if (parsed.nanos % 1'000'000'000 != 0) return "has sub-second precision";
  field = std::chrono::seconds(parsed.nanos / 1'000'000'000);
  return std::nullopt;
}

Problem SetCount(std::string_view text, std::size_t& field) {
  if (text.size() > 1 && text[0] == '+' && IsDigit(text[1])) text.remove_prefix(1);
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return "is not a count (out of range)";
  if (ec != std::errc() || end != text.data() + text.size() || text.starts_with('-')) {
    return "is not a count (an integer >= 0)";
  }
  field = value;
  return std::nullopt;
}

// Bytes as a plain integer ("1048576") or an integer with a binary (KiB, MiB, GiB: 1024^n) or
// decimal (KB, MB, GB: 1000^n) suffix, case-sensitive, no space, no fraction.
Problem SetByteSize(std::string_view text, std::size_t& field) {
  constexpr std::string_view kSyntax =
      "is not a byte size (an integer, optionally followed by KiB, MiB, GiB, KB, MB or GB)";
  struct Suffix {
    std::string_view name;
    std::uint64_t factor;
  };
  static constexpr Suffix kSuffixes[] = {
      {"KiB", std::uint64_t{1} << 10},
      {"MiB", std::uint64_t{1} << 20},
      {"GiB", std::uint64_t{1} << 30},
      {"KB", 1'000},
      {"MB", 1'000'000},
      {"GB", 1'000'000'000},
  };
  std::size_t digits = 0;
  while (digits < text.size() && IsDigit(text[digits])) ++digits;
  if (digits == 0) return std::string(kSyntax);
  const std::string_view suffix = text.substr(digits);
  std::uint64_t factor = 1;
  if (!suffix.empty()) {
    factor = 0;
    for (const Suffix& s : kSuffixes) {
      if (suffix == s.name) factor = s.factor;
    }
    if (factor == 0) return std::string(kSyntax);
  }
  std::uint64_t count = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, count);
  if (ec == std::errc::result_out_of_range ||
      count > std::numeric_limits<std::size_t>::max() / factor) {
    return "is not a byte size (too large)";
  }
  if (ec != std::errc() || end != text.data() + digits) return std::string(kSyntax);
  field = static_cast<std::size_t>(count * factor);
  return std::nullopt;
}

// "Name=Value,Name2=Value2": split at commas (so a value cannot contain one), then at the first
// '=' (so a value may contain '=', as base64 does); blanks around names and values are dropped
// as HTTP drops them; blank items are skipped. Items are numbered from 1 over the comma-separated
// list, blank ones included, so that a user can count commas to find the one at fault. Nothing
// of a header is quoted: values are often credentials and a name may be a value mistyped.
Problem SetExtraHeaders(std::string_view text,
                        std::vector<std::pair<std::string, std::string>>& field) {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string problems;
  const auto fail = [&](std::size_t item, std::string_view what) {
    if (!problems.empty()) problems += ", ";
    problems += "item " + std::to_string(item) + " ";
    problems.append(what);
  };
  std::size_t item = 0;
  while (true) {
    ++item;
    const std::size_t comma = text.find(',');
    const std::string_view entry = detail::TrimOws(text.substr(0, comma));
    if (!entry.empty()) {
      const std::size_t equals = entry.find('=');
      if (equals == std::string_view::npos) {
        fail(item, "has no '=' (expected Name=Value)");
      } else {
        const std::string_view name = detail::TrimOws(entry.substr(0, equals));
        const std::string_view value = detail::TrimOws(entry.substr(equals + 1));
        bool token = !name.empty();
        for (char c : name) token = token && detail::IsTokenChar(c);
        if (!token) {
          fail(item, "has an invalid header name (must be a non-empty RFC 9110 token)");
        } else if (detail::HasControlChar(value)) {
          fail(item, "has a control character in its value");
        } else {
          headers.emplace_back(name, value);
        }
      }
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (!problems.empty()) return problems;
  field = std::move(headers);
  return std::nullopt;
}

}  // namespace alertllm::internal
