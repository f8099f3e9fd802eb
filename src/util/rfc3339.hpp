// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "alertllm/result.hpp"

namespace alertllm::internal {

/// A parsed RFC 3339 timestamp: no value for Go's zero time (0001-01-01T00:00:00Z, in any
/// offset-free spelling such as "0001-01-01T00:00:00.000Z"), which Alertmanager sends for
/// "no end".
using OptionalTime = std::optional<std::chrono::system_clock::time_point>;

/// Parses "YYYY-MM-DDTHH:MM:SS[.fraction]Z|±hh:mm" (0–9 fraction digits; 't', 'z' accepted in
/// lower case, as RFC 3339 allows). Validates calendar ranges (leap years included) and
/// rejects instants outside what a nanosecond system_clock::time_point holds
/// (1677-09-21T00:12:43.145224192Z .. 2262-04-11T23:47:16.854775807Z).
/// Errors: kInvalidRequest, message without the field name (the caller prefixes it).
Result<OptionalTime> ParseRfc3339(std::string_view text);

/// Formats as UTC with nanosecond precision and trailing zeros trimmed, the way Go's
/// time.RFC3339Nano does: "2026-11-26T05:14:26.134Z".
std::string FormatRfc3339(std::chrono::system_clock::time_point t);

}  // namespace alertllm::internal
