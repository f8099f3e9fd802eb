// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "alertllm/alert.hpp"
#include "alertllm/webhook.hpp"
#include "redact/redactor.hpp"
#include "util/rfc3339.hpp"

namespace {

void Check(bool invariant) {
  if (!invariant) std::abort();
}

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Formatting an instant and parsing the text back must give the same instant.
void CheckRoundTrip(std::chrono::system_clock::time_point t) {
  const std::string text = alertllm::internal::FormatRfc3339(t);
  auto parsed = alertllm::internal::ParseRfc3339(text);
  Check(parsed.has_value() && parsed->has_value() && **parsed == t);
}

using alertllm::internal::RedactionCounts;
using alertllm::internal::Redactor;

// The built-in rules, a key and a user pattern: every path of Redactor.
const Redactor& TheRedactor() {
  static const Redactor redactor([] {
    alertllm::RedactionConfig config;
    config.keys = {"password", "dsn"};
    config.patterns = {"(?i)internal-[0-9]+"};
    return config;
  }());
  return redactor;
}

bool SameText(const alertllm::Alert& a, const alertllm::Alert& b) {
  return a.labels == b.labels && a.annotations == b.annotations && a.alert_name == b.alert_name &&
         a.generator_url == b.generator_url && a.fingerprint == b.fingerprint;
}

// Redaction leaves names and identity alone, changes nothing where NeedsWork() says so, and
// leaves nothing a rule matches outside its markers: a second pass changes and counts nothing.
void CheckRedaction(const alertllm::Alert& alert) {
  const Redactor& redactor = TheRedactor();
  alertllm::Alert once = alert;
  RedactionCounts counts{};
  redactor.Redact(once, counts);
  Check(once.fingerprint == alert.fingerprint && once.labels.size() == alert.labels.size() &&
        once.annotations.size() == alert.annotations.size());
  if (!redactor.NeedsWork(alert)) Check(SameText(once, alert));
  RedactionCounts copy_counts{};
  const std::optional<alertllm::Alert> copy = redactor.Redacted(alert, copy_counts);
  Check(copy.has_value() == redactor.NeedsWork(alert) && copy_counts == counts);
  if (copy) Check(SameText(*copy, once));
  alertllm::Alert twice = once;
  RedactionCounts again{};
  redactor.Redact(twice, again);
  Check(SameText(twice, once) && again == RedactionCounts{});
}

// The raw bytes as one free-text value reach rule states a parsed webhook rarely does.
void CheckTextRedaction(std::string_view input) {
  std::string once(input);
  RedactionCounts counts{};
  TheRedactor().RedactValue({}, once, counts);
  std::string twice = once;
  RedactionCounts again{};
  TheRedactor().RedactValue({}, twice, again);
  Check(twice == once && again == RedactionCounts{});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto alerts = alertllm::ParseAlertmanagerWebhook(input);
  if (alerts) {
    for (const alertllm::Alert& alert : *alerts) {
      const std::string fingerprint = alertllm::Fingerprint(alert.labels);
      Check(fingerprint.size() == 16 && IsLowerHex(fingerprint));
      Check(!alert.fingerprint.empty());
      const auto name = alert.labels.find("alertname");
      Check(alert.alert_name == (name == alert.labels.end() ? std::string() : name->second));
      CheckRoundTrip(alert.starts_at);
      if (alert.ends_at) CheckRoundTrip(*alert.ends_at);
      CheckRedaction(alert);
    }
  } else {
    Check(alerts.error().code == alertllm::ErrorCode::kInvalidRequest);
    Check(!alerts.error().message.empty());
  }

  CheckTextRedaction(input);

  // The same bytes as a timestamp on their own reach parser states that a whole webhook
  // rarely does.
  auto time = alertllm::internal::ParseRfc3339(input);
  if (time) {
    if (*time) CheckRoundTrip(**time);
  } else {
    Check(time.error().code == alertllm::ErrorCode::kInvalidRequest);
  }
  return 0;
}
