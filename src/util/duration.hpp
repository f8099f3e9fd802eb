// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace alertllm::internal {

/// The result of ParseGoDuration: nanoseconds, or what is wrong ("missing unit", "out of
/// range", ...; a static string) and 0.
struct DurationParse {
  std::int64_t nanos = 0;
  std::string_view problem;  // empty on success
};

/// The project's one Go duration parser ("1h2m3.5s"): accepts the inputs Go's
/// time.ParseDuration accepts and yields the same nanoseconds (checked against Go's own test
/// tables in env_test.cpp). Behind alertllm::ParseDuration and ParseConfigDuration.
/// Pure; thread-safe.
DurationParse ParseGoDuration(std::string_view text) noexcept;

/// The project's one Go duration formatter: Go's Duration.String() ("1m30s", "1.5µs", "0s").
/// Behind alertllm::FormatDuration. Pure; thread-safe.
std::string FormatGoDuration(std::chrono::nanoseconds d);

}  // namespace alertllm::internal
