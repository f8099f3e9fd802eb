// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <alertllm/alert.hpp>

#include <chrono>

namespace alertllm::bench {

/// The HighCPUUsage alert of the shared captures, as a service would hand it over: what the
/// client benchmark and alertllm-bench classify.
inline Alert SampleAlert() {
  Alert alert;
  alert.alert_name = "HighCPUUsage";
  alert.status = AlertStatus::kFiring;
  alert.labels = {{"alertname", "HighCPUUsage"}, {"instance", "web-01:9100"},
                  {"job", "node-exporter"},      {"namespace", "production"},
                  {"severity", "warning"}};
  alert.annotations = {{"summary", "CPU usage above 90% on web-01"},
                       {"description", "CPU usage has been above 90% for the last 10 minutes."},
                       {"runbook_url", "https://runbooks.example.com/HighCPUUsage"}};
  alert.starts_at = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
  alert.generator_url = "http://prometheus:9090/graph?g0.expr=cpu";
  alert.fingerprint = Fingerprint(alert.labels);
  return alert;
}

}  // namespace alertllm::bench
