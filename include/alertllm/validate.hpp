// SPDX-License-Identifier: Apache-2.0
#pragma once

// Validate() and CheckConfig(). config.hpp includes this header at its end, so every user of a
// Config has them.

#include <charconv>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "alertllm/config.hpp"
#include "alertllm/config_problem.hpp"
#include "alertllm/detail/masked_url.hpp"
#include "alertllm/detail/quote.hpp"
#include "alertllm/detail/strings.hpp"
#include "alertllm/result.hpp"

#ifdef ALERTLLM_LINKS_LIBRARY
#include "alertllm/detail/redaction_pattern.hpp"
#endif

namespace alertllm {

// The rules behind CheckConfig(), one function per part of a Config, each collecting
// ConfigProblems. Not documented API.
namespace detail {

inline std::string MillisText(std::chrono::milliseconds d) {
  if (d.count() != 0 && d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

// Shortest text that reads back as the same double ("1.5", "1e-09"), unlike std::to_string's
// fixed six decimals.
inline std::string NumberText(double value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

// Headers that describe the request's framing or are set from other fields: a duplicate would
// corrupt the request or silently override the configured value.
constexpr bool IsReservedHeader(std::string_view name) noexcept {
  for (std::string_view reserved : {"Host", "Content-Length", "Content-Type", "Transfer-Encoding",
                                    "Connection", "Accept", "User-Agent", "Expect"}) {
    if (EqualsIgnoreCase(name, reserved)) return true;
  }
  return false;
}

// Collects the problems of one struct; `prefix` goes before each field ("circuit_breaker.").
class Problems {
 public:
  explicit Problems(std::string prefix = {}) : prefix_(std::move(prefix)) {}
  void Fail(std::string_view field, std::string message, std::string got = {}) {
    list_.push_back({prefix_ + std::string(field), std::move(message), std::move(got)});
  }
  void Positive(std::string_view field, std::chrono::milliseconds d) {
    if (d <= std::chrono::milliseconds::zero()) Fail(field, "must be > 0", MillisText(d));
  }
  void NonNegative(std::string_view field, std::chrono::milliseconds d) {
    if (d < std::chrono::milliseconds::zero()) Fail(field, "must be >= 0", MillisText(d));
  }
  void AtLeast(std::string_view field, long long value, long long min) {
    if (value < min) Fail(field, "must be >= " + std::to_string(min), std::to_string(value));
  }
  void Within(std::string_view field, double value, bool ok, const char* rule) {
    if (!ok) Fail(field, rule, NumberText(value));
  }
  void Append(Problems&& other) {
    for (ConfigProblem& problem : other.list_) list_.push_back(std::move(problem));
  }
  std::vector<ConfigProblem> Take() && { return std::move(list_); }

 private:
  std::string prefix_;
  std::vector<ConfigProblem> list_;
};

// "field: message, got value; ..." as kInvalidConfig, or success when there is no problem.
inline Result<void> JoinProblems(const std::vector<ConfigProblem>& problems) {
  if (problems.empty()) return {};
  std::string text;
  for (const ConfigProblem& problem : problems) {
    if (!text.empty()) text += "; ";
    text += problem.field + ": " + problem.message;
    if (!problem.got.empty()) text += ", got " + problem.got;
  }
  return Error{ErrorCode::kInvalidConfig, std::move(text)};
}

inline Problems CheckCircuitBreaker(const CircuitBreakerConfig& cb, std::string prefix) {
  Problems p(std::move(prefix));
  p.AtLeast("max_failures", cb.max_failures, 1);
  p.Positive("reset_timeout", cb.reset_timeout);
  p.Within("failure_threshold", cb.failure_threshold,
           cb.failure_threshold > 0.0 && cb.failure_threshold <= 1.0, "must be in (0, 1]");
  p.Positive("time_window", cb.time_window);
  p.Positive("slow_call_duration", cb.slow_call_duration);
  p.AtLeast("half_open_max_calls", cb.half_open_max_calls, 1);
  p.AtLeast("minimum_calls", cb.minimum_calls, 0);
  p.Within("reset_timeout_multiplier", cb.reset_timeout_multiplier,
           cb.reset_timeout_multiplier >= 1.0 && cb.reset_timeout_multiplier <= 1000.0,
           "must be in [1, 1000]");
  if (cb.max_reset_timeout < cb.reset_timeout) {
    p.Fail("max_reset_timeout", "must be >= reset_timeout (" + MillisText(cb.reset_timeout) + ")",
           MillisText(cb.max_reset_timeout));
  }
  return p;
}

// True if `port` is a decimal number in 1..65535.
constexpr bool IsPort(std::string_view port) noexcept {
  if (port.empty() || port.size() > 5) return false;
  long value = 0;
  for (char c : port) {
    if (!IsDigit(c)) return false;
    value = value * 10 + (c - '0');
  }
  return value >= 1 && value <= 65535;
}

// A registered name as RFC 3986 allows it (bytes over 0x7f too: libcurl converts IDN names).
constexpr bool IsRegName(std::string_view host) noexcept {
  for (char c : host) {
    const bool named = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) ||
                       std::string_view("-._~!$&'()*+,;=%").find(c) != std::string_view::npos;
    if (!named && static_cast<unsigned char>(c) < 0x80) return false;
  }
  return true;
}

// Why the host or port of an http(s) URL cannot be connected to, or empty. Caught here, a typo
// such as port 99999 is a configuration error at startup rather than a network error on every
// alert.
inline std::string AuthorityProblem(std::string_view url) {
  constexpr std::size_t npos = std::string_view::npos;
  std::string_view authority = SplitUrlSecrets(url).rest;
  authority = authority.substr(0, authority.find('/'));
  std::string_view host = authority.substr(0, authority.find(':'));
  std::string_view after_host = authority.substr(host.size());
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == npos) return "has an IPv6 host without its closing ']'";
    host = authority.substr(1, close - 1);
    after_host = authority.substr(close + 1);
    // Hex digits, ':' and '.', then an optional zone ("%25eth0").
    if (host.find(':') == npos || host.find_first_not_of("0123456789abcdefABCDEF:.%-_~") != npos) {
      return "has an IPv6 host that is not an address";
    }
  } else if (host.empty()) {
    return "has no host";
  } else if (!IsRegName(host)) {
    return "has a host that is not a name or an IP address";
  }
  if (after_host.empty()) return {};
  if (after_host.front() != ':' || !IsPort(after_host.substr(1))) {
    return "has a port that is not a number in 1..65535";
  }
  return {};
}

inline void CheckEndpoint(const Config& config, Problems& p) {
  const std::string_view url = config.base_url;
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    p.Fail("base_url", "must start with http:// or https://");
  } else if (HasControlChar(url) || url.find(' ') != std::string_view::npos) {
    p.Fail("base_url", "must not contain spaces or control characters");
  } else if (std::string rule = AuthorityProblem(url); !rule.empty()) {
    // Masked: the user-info and query values of a URL may be credentials.
    p.Fail("base_url", std::move(rule), Quote(MaskUrl(url)));
  }
  if (HasControlChar(config.api_key)) p.Fail("api_key", "must not contain control characters");
  if (config.model.empty()) p.Fail("model", "must not be empty");
  if (HasControlChar(config.model)) p.Fail("model", "must not contain control characters");
  for (std::size_t i = 0; i < config.extra_headers.size(); ++i) {
    const auto& [name, value] = config.extra_headers[i];
    const std::string field = "extra_headers[" + std::to_string(i) + "]";
    const bool token = IsToken(name);
    if (!token) p.Fail(field, "header name must be a non-empty RFC 9110 token");
    if (token && IsReservedHeader(name)) {
      p.Fail(field, "header " + name + " is set by alertllm and cannot be overridden");
    }
    if (token && !config.api_key.empty() && EqualsIgnoreCase(name, "Authorization")) {
      p.Fail(field, "header Authorization conflicts with api_key; set one of them");
    }
    if (HasControlChar(value)) p.Fail(field, "header value must not contain control characters");
  }
}

inline void CheckTimingAndSizes(const Config& config, Problems& p) {
  p.Positive("timeout", config.timeout);
  if (config.max_retries < 0 || config.max_retries > 100) {
    p.Fail("max_retries", "must be in 0..100", std::to_string(config.max_retries));
  }
  p.NonNegative("retry_delay", config.retry_delay);
  p.Within("retry_backoff", config.retry_backoff,
           config.retry_backoff >= 1.0 && config.retry_backoff <= 100.0, "must be in [1, 100]");
  p.NonNegative("max_retry_delay", config.max_retry_delay);
  p.Within("jitter", config.jitter, config.jitter >= 0.0 && config.jitter <= 1.0,
           "must be in [0, 1]");
  p.NonNegative("max_retry_after", config.max_retry_after);
  p.Positive("call_timeout", config.call_timeout);
  p.Positive("connect_timeout", config.connect_timeout);
  p.AtLeast("retry_budget.max_tokens", config.retry_budget.max_tokens, 1);
  const double ratio = config.retry_budget.token_ratio;
  p.Within("retry_budget.token_ratio", ratio, ratio > 0.0 && ratio <= 1000.0,
           "must be in (0, 1000]");
  if (config.max_request_bytes < 1024 || config.max_request_bytes > (std::size_t{1} << 30)) {
    p.Fail("max_request_bytes", "must be in 1024..1073741824",
           std::to_string(config.max_request_bytes));
  }
  if (config.max_response_bytes < 64 || config.max_response_bytes > (std::size_t{1} << 30)) {
    p.Fail("max_response_bytes", "must be in 64..1073741824",
           std::to_string(config.max_response_bytes));
  }
}

inline void CheckStorms(const Config& config, Problems& p) {
  if (config.cache.ttl <= std::chrono::seconds::zero()) {
    p.Fail("cache.ttl", "must be > 0", std::to_string(config.cache.ttl.count()) + "s");
  }
  if (config.cache.max_entries < 1 || config.cache.max_entries > 10'000'000) {
    p.Fail("cache.max_entries", "must be in 1..10000000", std::to_string(config.cache.max_entries));
  }
  if (config.concurrency.max_in_flight < 1 || config.concurrency.max_in_flight > 1024) {
    p.Fail("concurrency.max_in_flight", "must be in 1..1024",
           std::to_string(config.concurrency.max_in_flight));
  }
  if (config.concurrency.max_queued > 10'000'000) {
    p.Fail("concurrency.max_queued", "must be in 0..10000000",
           std::to_string(config.concurrency.max_queued));
  }
}

// Keys must name something; a pattern must compile (checked only where libalertllm, which
// has RE2 and is the only part that redacts, is linked).
inline void CheckRedaction(const RedactionConfig& redaction, Problems& p) {
  for (std::size_t i = 0; i < redaction.keys.size(); ++i) {
    if (redaction.keys[i].empty()) {
      p.Fail("redaction.keys[" + std::to_string(i) + "]", "must not be empty");
    }
  }
  for (std::size_t i = 0; i < redaction.patterns.size(); ++i) {
    const std::string field = "redaction.patterns[" + std::to_string(i) + "]";
    if (redaction.patterns[i].empty()) {
      p.Fail(field, "must not be empty");
      continue;
    }
#ifdef ALERTLLM_LINKS_LIBRARY
    if (std::string error = RedactionPatternError(redaction.patterns[i]); !error.empty()) {
      p.Fail(field, "is not a valid RE2 pattern (" + Clip(error) + ")",
             Quote(redaction.patterns[i]));
    }
#endif
  }
}

}  // namespace detail

/// Checks every field of a CircuitBreakerConfig. On failure the error is kInvalidConfig and its
/// message names each field broken and the rule ("failure_threshold: must be in (0, 1], got
/// 1.5"), separated by "; ".
///
/// Thread-safe; pure.
inline Result<void> Validate(const CircuitBreakerConfig& config) {
  return detail::JoinProblems(std::move(detail::CheckCircuitBreaker(config, "")).Take());
}

/// Every rule `config` breaks, in field order (breaker fields as
/// "circuit_breaker.failure_threshold"); empty when it is valid. Secrets (api_key, extra
/// header values) are never quoted.
///
/// Thread-safe; pure.
inline std::vector<ConfigProblem> CheckConfig(const Config& config) {
  detail::Problems p;
  detail::CheckEndpoint(config, p);
  detail::CheckTimingAndSizes(config, p);
  detail::CheckStorms(config, p);
  detail::CheckRedaction(config.redaction, p);
  p.Append(detail::CheckCircuitBreaker(config.circuit_breaker, "circuit_breaker."));
  return std::move(p).Take();
}

/// Checks every field. On failure the error is kInvalidConfig and its message names each field
/// broken and the rule ("timeout: must be > 0, got 0ms"; breaker fields as
/// "circuit_breaker.failure_threshold: …"), separated by "; " (CheckConfig() gives the same
/// problems one by one). Secrets (api_key, extra header values) are never quoted. A redaction
/// pattern RE2 rejects is named, quoted and clipped, with RE2's error (where libalertllm is
/// linked: alertllm::core alone does not check pattern syntax).
///
/// Thread-safe; pure.
inline Result<void> Validate(const Config& config) {
  return detail::JoinProblems(CheckConfig(config));
}

}  // namespace alertllm
