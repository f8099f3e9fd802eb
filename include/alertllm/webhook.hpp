// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "alertllm/alert.hpp"
#include "alertllm/result.hpp"

namespace alertllm {

/// The largest webhook body ParseAlertmanagerWebhook(body) accepts: 4 MiB, room for about
/// 2,500 ordinary alerts in one notification.
inline constexpr std::size_t kDefaultMaxWebhookBytes = 4 * 1024 * 1024;

/// Parses the JSON body that Prometheus Alertmanager POSTs to a webhook receiver (envelope
/// version "4") into its alerts, in order. Compiled (libalertllm).
///
/// - `alert_name` is the `alertname` label (empty if there is none).
/// - `endsAt` equal to Alertmanager's zero time, 0001-01-01T00:00:00Z, means no end.
/// - A missing or empty `fingerprint` is computed with `Fingerprint(labels)`.
/// - `version`, when present, must be "4". Envelope fields other than `alerts` are not needed.
///
/// Errors: kInvalidRequest with a message naming the offending field and index
/// ("alerts[2].startsAt: '2026-13-01T00:00:00Z' is not an RFC 3339 timestamp"): malformed
/// JSON (with its byte offset), a body over kDefaultMaxWebhookBytes, nesting deeper than 64,
/// a missing or non-array `alerts`, a non-object alert, a missing or wrongly typed field, a
/// non-string label or annotation value, a bad status or timestamp. Never throws.
///
/// Thread-safe; pure.
Result<std::vector<Alert>> ParseAlertmanagerWebhook(std::string_view body);

/// As above with a caller-chosen size limit in bytes instead of kDefaultMaxWebhookBytes.
Result<std::vector<Alert>> ParseAlertmanagerWebhook(std::string_view body, std::size_t max_bytes);

}  // namespace alertllm
