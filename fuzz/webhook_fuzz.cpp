// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "alertllm/alert.hpp"
#include "alertllm/webhook.hpp"
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
    }
  } else {
    Check(alerts.error().code == alertllm::ErrorCode::kInvalidRequest);
    Check(!alerts.error().message.empty());
  }

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
