// SPDX-License-Identifier: Apache-2.0
#include "engine/severity_floor.hpp"

#include "alertllm/detail/strings.hpp"

namespace alertllm::internal {

std::optional<Severity> LabelSeverity(const Alert& alert) {
  const auto it = alert.labels.find("severity");
  if (it == alert.labels.end()) return std::nullopt;
  for (Severity severity : kSeverities) {
    if (detail::EqualsIgnoreCase(it->second, ToString(severity))) return severity;
  }
  return std::nullopt;
}

void ApplySeverityFloor(const Alert& alert, SeverityFloor floor, Classification& answer,
                        ClientMetrics* counters) noexcept {
  const std::optional<Severity> label = LabelSeverity(alert);
  if (!label || static_cast<int>(answer.severity) >= static_cast<int>(*label)) return;
  // A cache hit is the LLM's answer too (the cache keeps it raw), so it counts like one: the
  // counter shows how often the model would have downgraded what its authors ranked.
  if (counters && answer.source != "fallback") {
    counters->SeverityDisagreement(*label, answer.severity);
  }
  if (floor == SeverityFloor::kLabel) {
    answer.severity = *label;
    answer.severity_adjusted = true;
  }
}

}  // namespace alertllm::internal
