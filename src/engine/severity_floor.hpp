// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>

#include "alertllm/alert.hpp"
#include "alertllm/config.hpp"
#include "engine/client_metrics.hpp"

namespace alertllm::internal {

/// The severity the alert's own `severity` label names: exactly critical, warning, info or
/// noise, ASCII case-insensitive. nullopt when the label is absent or says anything else (the
/// fallback's synonyms such as "page" included: the floor only trusts the four names).
std::optional<Severity> LabelSeverity(const Alert& alert);

/// The severity guard (Config::severity_floor), applied to every answer a caller gets: with
/// SeverityFloor::kLabel an answer ranked below the alert's label is raised to it and marked
/// `severity_adjusted`. Whatever `floor` is, an answer from the LLM (source "llm" or "cache")
/// that ranks below the label is counted in `counters` (when not null) as a disagreement;
/// a fallback answer is not, as it is not the LLM's opinion.
///
/// Thread-safe: touches only `answer` and the counters' atomics.
void ApplySeverityFloor(const Alert& alert, SeverityFloor floor, Classification& answer,
                        ClientMetrics* counters) noexcept;

}  // namespace alertllm::internal
