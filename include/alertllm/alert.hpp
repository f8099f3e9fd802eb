// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alertllm/detail/strings.hpp"
#include "alertllm/result.hpp"

namespace alertllm {

/// An alert's status as Alertmanager reports it.
enum class AlertStatus { kFiring, kResolved };

/// "firing" or "resolved".
constexpr std::string_view ToString(AlertStatus status) noexcept {
  return status == AlertStatus::kResolved ? "resolved" : "firing";
}

/// Parses "firing" or "resolved" (exactly, as Alertmanager writes them).
inline Result<AlertStatus> ParseAlertStatus(std::string_view text) {
  if (text == "firing") return AlertStatus::kFiring;
  if (text == "resolved") return AlertStatus::kResolved;
  return Error{ErrorCode::kInvalidRequest, "alert status must be \"firing\" or \"resolved\""};
}

/// How much an alert matters, as the LLM classifies it. The numbers are the wire values of the
/// seed's proxy protocol (severity 1..4).
enum class Severity : int { kNoise = 1, kInfo = 2, kWarning = 3, kCritical = 4 };

/// "noise", "info", "warning" or "critical".
constexpr std::string_view ToString(Severity severity) noexcept {
  switch (severity) {
    case Severity::kNoise: return "noise";
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kCritical: return "critical";
  }
  return "unknown";
}

/// The Severity with wire value `value` (1..4); kInvalidResponse for anything else.
inline Result<Severity> SeverityFromInt(long long value) {
  if (value < 1 || value > 4) {
    return Error{ErrorCode::kInvalidResponse,
                 "severity " + std::to_string(value) + " is out of range 1..4"};
  }
  return static_cast<Severity>(value);
}

/// Parses a severity name ("noise", "info", "warning", "critical", ASCII case-insensitive) or
/// its wire value ("1".."4"); kInvalidResponse naming the accepted values otherwise.
inline Result<Severity> ParseSeverity(std::string_view text) {
  if (text.size() == 1 && text[0] >= '1' && text[0] <= '4') {
    return static_cast<Severity>(text[0] - '0');
  }
  for (Severity s : {Severity::kNoise, Severity::kInfo, Severity::kWarning, Severity::kCritical}) {
    if (detail::EqualsIgnoreCase(text, ToString(s))) return s;
  }
  std::string shown(text.substr(0, 32));
  return Error{ErrorCode::kInvalidResponse,
               "severity '" + shown + "' is not one of noise, info, warning, critical, 1..4"};
}

/// One alert, as Alertmanager sends it in a webhook (envelope version "4").
///
/// A plain aggregate; thread-safety as for any value type.
struct Alert {
  /// Alertmanager's 16-hex-digit fingerprint of `labels`; `Fingerprint(labels)` computes it.
  std::string fingerprint;
  /// The `alertname` label.
  std::string alert_name;
  AlertStatus status = AlertStatus::kFiring;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::chrono::system_clock::time_point starts_at{};
  /// No value while the alert has no known end (Alertmanager's zero time 0001-01-01T00:00:00Z).
  std::optional<std::chrono::system_clock::time_point> ends_at;
  std::string generator_url;
};

/// What the LLM (or the fallback classifier) says about an alert.
/// Tokens one LLM answer cost, from the OpenAI `usage` object (`prompt_tokens`,
/// `completion_tokens`, `prompt_tokens_details.cached_tokens`).
struct TokenUsage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  /// Of prompt_tokens, those the provider served from its prompt cache; 0 when not reported.
  std::int64_t cached_tokens = 0;

  friend bool operator==(const TokenUsage&, const TokenUsage&) = default;
};

struct Classification {
  Severity severity = Severity::kInfo;
  std::string category;
  std::string summary;
  /// 0.0 .. 1.0.
  double confidence = 0.0;
  std::string reasoning;
  std::vector<std::string> suggestions;
  /// How long the server says it took to classify.
  std::chrono::microseconds processing_time{0};
  /// The server's request id (from the body or the `x-request-id` header), if any.
  std::string request_id;
  /// Where the answer came from: "llm", "cache" or "fallback".
  std::string source = "llm";
  /// HTTP requests sent to produce this answer (0 for a cache hit or a fallback without one).
  int attempts = 0;
  /// Empty when the LLM answered. When the fallback answered instead: the error that made it
  /// answer, as "<ClassifyError category>: <message>" ("circuit_breaker_open: circuit open").
  std::string fallback_reason;
  /// true when Config::severity_floor = kLabel raised `severity` to the alert's own `severity`
  /// label because the answer ranked the alert below it.
  bool severity_adjusted = false;
  /// What the LLM request cost, when the answer carried a `usage` object (the OpenAI protocol
  /// does; the proxy protocol only if its answer has the same object). Absent for fallback
  /// answers; a cache hit carries the usage of the request that produced it, which the metrics
  /// (llm_client_tokens_total, gen_ai_client_token_usage) counted once, for that request.
  std::optional<TokenUsage> usage;
};

/// The fingerprint Prometheus and Alertmanager compute for a label set (`model.LabelSet`'s
/// `Fingerprint()`): 64-bit FNV-1a over the label names in byte order, each name and value
/// followed by the byte 0xff, printed as 16 lowercase hex digits. An empty set gives the FNV
/// offset basis, "cbf29ce484222325".
///
/// Thread-safe; allocates only the returned string.
inline std::string Fingerprint(const std::map<std::string, std::string>& labels) {
  constexpr std::uint64_t kOffset = 14695981039346656037ULL;
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  constexpr unsigned char kSeparator = 0xff;
  std::uint64_t hash = kOffset;
  auto add = [&hash](std::string_view bytes) {
    for (char c : bytes) {
      hash ^= static_cast<unsigned char>(c);
      hash *= kPrime;
    }
  };
  auto add_separator = [&hash] {
    hash ^= kSeparator;
    hash *= kPrime;
  };
  // std::map<std::string, …> orders keys by char_traits<char>::compare, which compares as
  // unsigned char: the same byte order as Go's sort of label names.
  for (const auto& [name, value] : labels) {
    add(name);
    add_separator();
    add(value);
    add_separator();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[hash & 0xf];
    hash >>= 4;
  }
  return out;
}

}  // namespace alertllm
