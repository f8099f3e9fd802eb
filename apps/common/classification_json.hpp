// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <alertllm/alert.hpp>
#include <alertllm/result.hpp>

// The one JSON form of a classification result the apps print: alertllm-classify's jsonl
// lines and alertllm-webhook's answer carry the same fields, written by the same code.
namespace alertllm::apps {

/// One result as a JSON object, one line, keys in this order: fingerprint, alertname, ok,
/// source, severity, severity_adjusted (true when the severity floor raised the answer to the
/// alert's label), confidence, category, summary, attempts, then fallback_reason when the
/// fallback answered, or error {category, message} on failure. On failure source, severity,
/// severity_adjusted, confidence, category and summary are null and attempts is the requests
/// sent. Strings are
/// valid UTF-8 (invalid bytes replaced by U+FFFD). alertllm-classify's jsonl line.
///
/// Thread-safe; pure.
std::string ResultJsonLine(const Alert& alert, const Result<Classification>& result);

/// `{"classifications":[…]}`, one object per alert in order with the fields of
/// ResultJsonLine() plus `status` ("firing"/"resolved"), keys sorted by name.
/// alertllm-webhook's 200 answer. `results` has one element per alert.
///
/// Thread-safe; pure.
std::string ClassificationsBody(const std::vector<Alert>& alerts,
                                const std::vector<Result<Classification>>& results);

/// `{"error":"<message>"}`, the body of every error answer of alertllm-webhook.
std::string ErrorBody(const std::string& message);

}  // namespace alertllm::apps
