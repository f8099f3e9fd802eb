// SPDX-License-Identifier: Apache-2.0
#include "alertllm/env.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "util/text.hpp"

namespace alertllm {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

using detail::IsDigit;
using internal::Quote;

// A Go duration ("1h2m3.5s"): accepts the inputs Go's time.ParseDuration accepts and yields
// the same nanoseconds, checked against Go's own test tables in env_test.cpp. Whole parts are
// exact integers; fractions are scaled in double, as Go does, so long fractions such as
// "0.3333333333333333333h" round to the same nanosecond.
struct DurationParse {
  std::int64_t nanos = 0;
  std::string_view problem;  // empty on success
};

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
    if (!(s[0] == '.' || IsDigit(s[0]))) return {0, kNotANumber};
    std::uint64_t whole = 0;
    const std::size_t before_whole = s.size();
    if (!LeadingInt(s, whole)) return {0, kOutOfRange};
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
    if (!has_whole && !has_fraction) return {0, kNotANumber};  // ".s", "-.s"
    std::size_t unit_length = 0;
    while (unit_length < s.size() && s[unit_length] != '.' && !IsDigit(s[unit_length])) {
      ++unit_length;
    }
    if (unit_length == 0) return {0, "missing unit"};
    const std::uint64_t unit = UnitNanos(s.substr(0, unit_length));
    s.remove_prefix(unit_length);
    if (unit == 0) return {0, "unknown unit (use ns, us, ms, s, m or h)"};
    if (whole > kTwoTo63 / unit) return {0, kOutOfRange};
    std::uint64_t value = whole * unit;
    if (fraction > 0) {
      // Go computes the fraction in float64 (exact to the nanosecond up to hours); doing the
      // same keeps results identical to Go's for long fractions such as "0.3333333333333333333h".
      value += static_cast<std::uint64_t>(static_cast<double>(fraction) *
                                          (static_cast<double>(unit) / scale));
      if (value > kTwoTo63) return {0, kOutOfRange};
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

// Value setters: each parses `text` into one field, or returns what is wrong with it as the
// words that follow the quoted value ("is not an integer"). A secret's problem never contains
// the value.
using Problem = std::optional<std::string>;

Problem SetString(std::string_view text, std::string& field) {
  field = std::string(text);
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

// Sets `field` from one of the ToString() names of its enum, through the public parser.
template <typename Enum>
Problem SetEnum(Result<Enum> (*parse)(std::string_view), std::string_view text, Enum& field) {
  Result<Enum> parsed = parse(text);
  if (!parsed) return std::move(parsed.error().message);
  field = *parsed;
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

constexpr std::string_view TrimBlanks(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
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
    const std::string_view entry = TrimBlanks(text.substr(0, comma));
    if (!entry.empty()) {
      const std::size_t equals = entry.find('=');
      if (equals == std::string_view::npos) {
        fail(item, "has no '=' (expected Name=Value)");
      } else {
        const std::string_view name = TrimBlanks(entry.substr(0, equals));
        const std::string_view value = TrimBlanks(entry.substr(equals + 1));
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

using Setter = Problem (*)(std::string_view text, Config& config);

// One row per variable: the single source for parsing, for error messages and for
// EnvVariables() (the README's table is checked against it by env_test.cpp).
struct EnvVar {
  std::string_view name;
  std::string_view default_text;  // as a README shows it
  std::string_view meaning;
  std::string_view field;  // the field name Validate() reports
  bool secret;             // never quoted in an error
  Setter set;
};

// clang-format off
constexpr EnvVar kEnvVars[] = {
    {"LLM_BASE_URL", "http://127.0.0.1:8080", "URL of the LLM proxy or OpenAI-compatible server",
     "base_url", false, [](std::string_view t, Config& c) { return SetString(t, c.base_url); }},
    {"LLM_API_KEY", "(none)", "Bearer token sent in the Authorization header",
     "api_key", true, [](std::string_view t, Config& c) { return SetString(t, c.api_key); }},
    {"LLM_MODEL", "openai/gpt-4o", "Model name sent with each request",
     "model", false, [](std::string_view t, Config& c) { return SetString(t, c.model); }},
    {"LLM_TIMEOUT", "30s", "Timeout of one HTTP attempt",
     "timeout", false, [](std::string_view t, Config& c) { return SetDuration(t, c.timeout); }},
    {"LLM_MAX_RETRIES", "3", "Retries after the first attempt",
     "max_retries", false, [](std::string_view t, Config& c) { return SetInt(t, c.max_retries); }},
    {"LLM_RETRY_DELAY", "1s", "Delay before the first retry",
     "retry_delay", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.retry_delay); }},
    {"LLM_RETRY_BACKOFF", "2.0", "Multiplier of the delay for each further retry",
     "retry_backoff", false,
     [](std::string_view t, Config& c) { return SetNumber(t, c.retry_backoff); }},
    {"LLM_MAX_RETRY_DELAY", "10s", "Cap on the delay between retries, before jitter",
     "max_retry_delay", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.max_retry_delay); }},
    {"LLM_JITTER", "0.25", "Fraction of each delay taken off at random (0 to 1)",
     "jitter", false, [](std::string_view t, Config& c) { return SetNumber(t, c.jitter); }},
    {"LLM_MAX_RETRY_AFTER", "60s", "Longest server Retry-After that is waited for",
     "max_retry_after", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.max_retry_after); }},
    {"LLM_CALL_TIMEOUT", "60s", "Bound on a whole call: all attempts and delays",
     "call_timeout", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.call_timeout); }},
    {"LLM_CONNECT_TIMEOUT", "5s", "Timeout of connection setup (TCP and TLS)",
     "connect_timeout", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.connect_timeout); }},
    {"LLM_RETRY_BUDGET_ENABLED", "true", "Throttle retries with a token bucket",
     "retry_budget.enabled", false,
     [](std::string_view t, Config& c) { return SetBool(t, c.retry_budget.enabled); }},
    {"LLM_RETRY_BUDGET_MAX_TOKENS", "10", "Tokens in the retry budget",
     "retry_budget.max_tokens", false,
     [](std::string_view t, Config& c) { return SetInt(t, c.retry_budget.max_tokens); }},
    {"LLM_RETRY_BUDGET_TOKEN_RATIO", "0.1", "Tokens earned back per success",
     "retry_budget.token_ratio", false,
     [](std::string_view t, Config& c) { return SetNumber(t, c.retry_budget.token_ratio); }},
    {"LLM_PROTOCOL", "proxy", "Wire protocol: proxy or openai",
     "protocol", false,
     [](std::string_view t, Config& c) { return SetEnum(ParseProtocol, t, c.protocol); }},
    {"LLM_ENABLE_METRICS", "true", "Record Prometheus metrics",
     "enable_metrics", false,
     [](std::string_view t, Config& c) { return SetBool(t, c.enable_metrics); }},
    {"LLM_MAX_RESPONSE_BYTES", "1MiB",
     "Largest response body accepted; bytes, or with KiB/MiB/GiB or KB/MB/GB",
     "max_response_bytes", false,
     [](std::string_view t, Config& c) { return SetByteSize(t, c.max_response_bytes); }},
    {"LLM_MAX_REQUEST_BYTES", "1MiB",
     "Largest request body sent (larger alerts fail as invalid_request); same units",
     "max_request_bytes", false,
     [](std::string_view t, Config& c) { return SetByteSize(t, c.max_request_bytes); }},
    {"LLM_TLS_VERIFY", "true", "Verify the server's TLS certificate and host name",
     "tls_verify", false, [](std::string_view t, Config& c) { return SetBool(t, c.tls_verify); }},
    {"LLM_CA_FILE", "(system CA bundle)", "CA bundle for TLS verification",
     "ca_file", false, [](std::string_view t, Config& c) { return SetString(t, c.ca_file); }},
    {"LLM_EXTRA_HEADERS", "(none)", "Extra request headers: Name=Value,Name2=Value2",
     "extra_headers", true,
     [](std::string_view t, Config& c) { return SetExtraHeaders(t, c.extra_headers); }},
    {"LLM_PROMPT", "(built-in prompt)", "Classification instructions",
     "prompt", false, [](std::string_view t, Config& c) { return SetString(t, c.prompt); }},
    {"LLM_FALLBACK", "none",
     "When the LLM cannot answer: none (return the error) or rules (rule-based classification)",
     "fallback", false,
     [](std::string_view t, Config& c) { return SetEnum(ParseFallbackMode, t, c.fallback); }},
    {"LLM_CIRCUIT_BREAKER_ENABLED", "true", "Enable the circuit breaker",
     "circuit_breaker.enabled", false,
     [](std::string_view t, Config& c) { return SetBool(t, c.circuit_breaker.enabled); }},
    {"LLM_CIRCUIT_BREAKER_MAX_FAILURES", "5", "Open after this many consecutive failures",
     "circuit_breaker.max_failures", false,
     [](std::string_view t, Config& c) { return SetInt(t, c.circuit_breaker.max_failures); }},
    {"LLM_CIRCUIT_BREAKER_RESET_TIMEOUT", "30s", "How long the breaker stays open",
     "circuit_breaker.reset_timeout", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.circuit_breaker.reset_timeout); }},
    {"LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "0.5",
     "Or open when the failure rate in the window reaches this (0 < x <= 1)",
     "circuit_breaker.failure_threshold", false,
     [](std::string_view t, Config& c) {
       return SetNumber(t, c.circuit_breaker.failure_threshold);
     }},
    {"LLM_CIRCUIT_BREAKER_TIME_WINDOW", "60s", "Sliding window of the failure rate",
     "circuit_breaker.time_window", false,
     [](std::string_view t, Config& c) { return SetDuration(t, c.circuit_breaker.time_window); }},
    {"LLM_CIRCUIT_BREAKER_SLOW_CALL_DURATION", "3s", "A call at least this slow is a failure",
     "circuit_breaker.slow_call_duration", false,
     [](std::string_view t, Config& c) {
       return SetDuration(t, c.circuit_breaker.slow_call_duration);
     }},
    {"LLM_CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS", "1", "Probes admitted while half-open",
     "circuit_breaker.half_open_max_calls", false,
     [](std::string_view t, Config& c) {
       return SetInt(t, c.circuit_breaker.half_open_max_calls);
     }},
    {"LLM_CIRCUIT_BREAKER_MINIMUM_CALLS", "(LLM_CIRCUIT_BREAKER_MAX_FAILURES)",
     "Calls the window must hold before the failure rate counts; 0: as many as max failures",
     "circuit_breaker.minimum_calls", false,
     [](std::string_view t, Config& c) { return SetInt(t, c.circuit_breaker.minimum_calls); }},
    {"LLM_CIRCUIT_BREAKER_RESET_TIMEOUT_MULTIPLIER", "1.0",
     "Open duration multiplier for each reopen without a close (>= 1)",
     "circuit_breaker.reset_timeout_multiplier", false,
     [](std::string_view t, Config& c) {
       return SetNumber(t, c.circuit_breaker.reset_timeout_multiplier);
     }},
    {"LLM_CIRCUIT_BREAKER_MAX_RESET_TIMEOUT", "5m",
     "Cap on the multiplied open duration (raised to the reset timeout when unset)",
     "circuit_breaker.max_reset_timeout", false,
     [](std::string_view t, Config& c) {
       return SetDuration(t, c.circuit_breaker.max_reset_timeout);
     }},
    {"LLM_CIRCUIT_BREAKER_RECORD", "per_call",
     "Record one breaker outcome per call or per HTTP attempt: per_call or per_attempt",
     "circuit_breaker.record", false,
     [](std::string_view t, Config& c) { return SetEnum(ParseRecordMode, t, c.circuit_breaker.record); }},
};
// clang-format on

constexpr std::size_t kEnvVarCount = std::size(kEnvVars);

constexpr std::size_t IndexOf(std::string_view name) {
  for (std::size_t i = 0; i < kEnvVarCount; ++i) {
    if (kEnvVars[i].name == name) return i;
  }
  return kEnvVarCount;
}

constexpr std::size_t kResetTimeout = IndexOf("LLM_CIRCUIT_BREAKER_RESET_TIMEOUT");
constexpr std::size_t kMaxResetTimeout = IndexOf("LLM_CIRCUIT_BREAKER_MAX_RESET_TIMEOUT");
static_assert(kResetTimeout < kEnvVarCount && kMaxResetTimeout < kEnvVarCount);

using RawValues = std::array<std::optional<std::string>, kEnvVarCount>;

void AppendPart(std::string& message, std::string_view part) {
  if (!message.empty()) message += "; ";
  message.append(part);
}

// Validate() names struct fields ("circuit_breaker.failure_threshold: must be in (0, 1], got
// 1.500000"), but the user wrote variables. Each "field: rule" part is rewritten as
// "LLM_VAR: 'raw text' rule" — the raw text replacing Validate's ", got …", which would show
// the parsed value (1.500000) rather than what was typed. A variable left unset (the field kept
// its default, or a cross-field rule failed) reads "LLM_VAR (not set, defaults to X): rule". A
// secret never gets its value quoted. A part whose field has no variable is kept as it is.
std::string RenameFields(std::string_view message, const RawValues& raw) {
  std::string out;
  while (!message.empty()) {
    const std::size_t end = message.find("; ");
    const std::string_view part = message.substr(0, end);
    message = end == std::string_view::npos ? std::string_view() : message.substr(end + 2);

    const std::size_t colon = part.find(": ");
    const std::string_view field = part.substr(0, colon);
    // "extra_headers[2]" belongs to the variable of "extra_headers".
    const std::string_view base_field = field.substr(0, field.find('['));
    std::size_t index = kEnvVarCount;
    for (std::size_t i = 0; i < kEnvVarCount; ++i) {
      if (kEnvVars[i].field == base_field) index = i;
    }
    if (colon == std::string_view::npos || index == kEnvVarCount) {
      AppendPart(out, part);
      continue;
    }
    const EnvVar& var = kEnvVars[index];
    std::string_view rule = part.substr(colon + 2);
    std::string text(var.name);
    if (base_field != field) {
      text += ": ";
      text.append(field);
    }
    if (var.secret) {
      text += ": ";
      text.append(rule);
    } else if (raw[index]) {
      if (const std::size_t got = rule.rfind(", got "); got != std::string_view::npos) {
        rule = rule.substr(0, got);
      }
      text += ": " + Quote(*raw[index]) + " ";
      text.append(rule);
    } else {
      text += " (not set, defaults to ";
      text.append(var.default_text);
      text += "): ";
      text.append(rule);
    }
    AppendPart(out, text);
  }
  return out;
}

}  // namespace

Result<Config> ConfigFromEnv() {
  return ConfigFromEnv([](std::string_view name) -> std::optional<std::string> {
    // The names come from kEnvVars, all string literals, so data() is NUL-terminated.
    const char* value = std::getenv(name.data());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

std::vector<EnvVariable> EnvVariables() {
  std::vector<EnvVariable> out;
  out.reserve(kEnvVarCount);
  for (const EnvVar& var : kEnvVars) out.push_back({var.name, var.default_text, var.meaning});
  return out;
}

Result<Config> ConfigFromEnv(const EnvLookup& lookup) {
  if (!lookup) return Error{ErrorCode::kInvalidConfig, "ConfigFromEnv: the lookup is empty"};
  Config config = DefaultConfig();
  RawValues raw;
  std::string problems;
  for (std::size_t i = 0; i < kEnvVarCount; ++i) {
    const EnvVar& var = kEnvVars[i];
    std::optional<std::string> value = lookup(var.name);
    if (!value || value->empty()) continue;
    if (Problem problem = var.set(*value, config)) {
      std::string text(var.name);
      text += ": ";
      if (!var.secret) text += Quote(*value) + " ";
      text += *problem;
      AppendPart(problems, text);
    }
    raw[i] = std::move(value);
  }
  // Validate() would judge the defaults left in place of bad values, so range errors wait until
  // every value parses.
  if (!problems.empty()) return Error{ErrorCode::kInvalidConfig, std::move(problems)};

  // An unset cap never contradicts a longer reset timeout: it rises to meet it.
  if (raw[kResetTimeout] && !raw[kMaxResetTimeout] &&
      config.circuit_breaker.max_reset_timeout < config.circuit_breaker.reset_timeout) {
    config.circuit_breaker.max_reset_timeout = config.circuit_breaker.reset_timeout;
  }
  if (Result<void> valid = Validate(config); !valid) {
    return Error{ErrorCode::kInvalidConfig, RenameFields(valid.error().message, raw)};
  }
  return config;
}

namespace {

// The public face of one Set* parser: the value, or the rule it broke as kInvalidConfig.
template <typename T, typename Setter>
Result<T> ParseWith(Setter set, std::string_view text) {
  T value{};
  if (Problem problem = set(text, value)) return Error{ErrorCode::kInvalidConfig, *problem};
  return value;
}

}  // namespace

Result<milliseconds> ParseConfigDuration(std::string_view text) {
  return ParseWith<milliseconds>(SetDuration, text);
}

Result<int> ParseConfigInt(std::string_view text) { return ParseWith<int>(SetInt, text); }

Result<bool> ParseConfigBool(std::string_view text) { return ParseWith<bool>(SetBool, text); }

Result<nanoseconds> ParseDuration(std::string_view text) {
  const DurationParse parsed = ParseGoDuration(text);
  if (!parsed.problem.empty()) {
    return Error{ErrorCode::kInvalidConfig,
                 Quote(text) + " is not a duration (" + std::string(parsed.problem) + ")"};
  }
  return nanoseconds(parsed.nanos);
}

// Go's Duration.String(), transcribed from src/time/time.go: written backwards into a buffer
// large enough for "-2562047h47m16.854775808s".
std::string FormatDuration(nanoseconds d) {
  std::array<char, 32> buf{};
  std::size_t w = buf.size();
  // Unsigned negation handles INT64_MIN, whose magnitude no int64 holds.
  auto u = static_cast<std::uint64_t>(d.count());
  const bool negative = d.count() < 0;
  if (negative) u = 0 - u;

  // Writes v / 10^precision's fractional digits without trailing zeros (and without the point
  // if they are all zero); leaves the integer part in v.
  const auto write_fraction = [&](std::uint64_t& v, int precision) {
    bool print = false;
    for (int i = 0; i < precision; ++i) {
      const auto digit = static_cast<char>(v % 10);
      print = print || digit != 0;
      if (print) buf[--w] = static_cast<char>('0' + digit);
      v /= 10;
    }
    if (print) buf[--w] = '.';
  };
  const auto write_int = [&](std::uint64_t v) {
    do {
      buf[--w] = static_cast<char>('0' + static_cast<char>(v % 10));
      v /= 10;
    } while (v > 0);
  };

  constexpr std::uint64_t kSecond = 1'000'000'000;
  if (u < kSecond) {
    // Below a second Go switches to the largest unit that keeps an integer part: "1.5µs".
    buf[--w] = 's';
    int precision = 0;
    if (u == 0) {
      buf[--w] = '0';
      return std::string(buf.data() + w, buf.size() - w);
    }
    if (u < 1'000) {
      buf[--w] = 'n';
    } else if (u < 1'000'000) {
      precision = 3;
      buf[--w] = '\xb5';  // U+00B5 MICRO SIGN, as Go writes it
      buf[--w] = '\xc2';
    } else {
      precision = 6;
      buf[--w] = 'm';
    }
    write_fraction(u, precision);
    write_int(u);
  } else {
    buf[--w] = 's';
    write_fraction(u, 9);
    write_int(u % 60);
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      write_int(u % 60);
      u /= 60;
      // Go stops at hours: days differ in length.
      if (u > 0) {
        buf[--w] = 'h';
        write_int(u);
      }
    }
  }
  if (negative) buf[--w] = '-';
  return std::string(buf.data() + w, buf.size() - w);
}

}  // namespace alertllm
