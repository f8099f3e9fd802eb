// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alertllm/config.hpp"
#include "alertllm/result.hpp"

namespace alertllm {

/// Looks up one environment variable by name; no value if it is not set.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

/// Builds a Config from `DefaultConfig()` and the process environment (`getenv`), then
/// validates it. Compiled (libalertllm).
///
/// Reads the seed's variables — LLM_BASE_URL, LLM_API_KEY, LLM_MODEL, LLM_TIMEOUT,
/// LLM_MAX_RETRIES, LLM_RETRY_DELAY, LLM_RETRY_BACKOFF, LLM_CIRCUIT_BREAKER_{ENABLED,
/// MAX_FAILURES, RESET_TIMEOUT, FAILURE_THRESHOLD, TIME_WINDOW, SLOW_CALL_DURATION,
/// HALF_OPEN_MAX_CALLS} — and one LLM_<FIELD> or LLM_CIRCUIT_BREAKER_<FIELD> per addition
/// (the README's table lists them all). Durations use Go syntax ("30s", "1.5s", "500ms",
/// "1m30s", "2h"); booleans are true/false/1/0; a variable set to the empty string counts as
/// unset.
///
/// Errors: kInvalidConfig, naming every bad variable and its value
/// ("LLM_TIMEOUT: 'abc' is not a duration"), or the field Validate() rejects. A bad value never
/// falls back to the default. Values of LLM_API_KEY and LLM_EXTRA_HEADERS never appear in an
/// error, nor does the content of LLM_API_KEY_FILE (read here, once; its path does).
///
/// Thread-safe as far as `getenv` is: do not call while another thread calls `setenv`.
Result<Config> ConfigFromEnv();

/// As ConfigFromEnv(), reading variables through `lookup` instead of the environment.
Result<Config> ConfigFromEnv(const EnvLookup& lookup);

/// One variable ConfigFromEnv reads: its name, its default as the README shows it ("30s",
/// "(none)") and what it sets.
struct EnvVariable {
  std::string_view name;
  std::string_view default_value;
  std::string_view meaning;
};

/// Every variable ConfigFromEnv reads, in the README's order (for `--help` texts and docs).
/// The views point at static storage. Thread-safe.
std::vector<EnvVariable> EnvVariables();

/// Parses a Go duration string (`time.ParseDuration`): an optional sign, then one or more
/// decimal numbers each with a unit of ns, us (µs, μs), ms, s, m or h — "300ms", "-1.5h",
/// "2h45m"; "0" alone is allowed. Errors (kInvalidConfig): anything else, or overflow of
/// int64 nanoseconds. The message quotes at most the first 64 bytes of `text`.
///
/// Thread-safe; pure.
Result<std::chrono::nanoseconds> ParseDuration(std::string_view text);

/// One setting's value as ConfigFromEnv() reads it; the apps' flags use the same parsers, so a
/// value means the same in a variable and on a command line. The error (kInvalidConfig) holds
/// only the rule broken, never the value: the caller names its variable or flag and quotes it.
///
/// ParseConfigDuration: Go syntax, not negative, whole milliseconds — a finer value is refused
/// ("has sub-millisecond precision"), never rounded. ParseConfigInt: a decimal int, an optional
/// '+'. ParseConfigBool: true/false (ASCII case-insensitive) or 1/0.
///
/// Thread-safe; pure.
Result<std::chrono::milliseconds> ParseConfigDuration(std::string_view text);
Result<int> ParseConfigInt(std::string_view text);
Result<bool> ParseConfigBool(std::string_view text);

/// Formats a duration the way Go's `Duration.String()` does: "1m30s", "1.5s", "500ms", "0s".
///
/// Thread-safe; pure.
std::string FormatDuration(std::chrono::nanoseconds d);

}  // namespace alertllm
