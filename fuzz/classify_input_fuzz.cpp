// SPDX-License-Identifier: Apache-2.0
// alertllm-classify's input reader (apps/classify): format detection and parsing of webhook
// bodies, alert arrays and NDJSON, then both output formats of whatever it read. Invariants:
// an error names the input; every alert has a fingerprint; a jsonl line is one line; a table
// row is one line within its width.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "classify_cli.hpp"

namespace {

void Check(bool invariant) {
  if (!invariant) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)alertllm::cli::DetectInputFormat(input);
  const auto alerts = alertllm::cli::ParseInput("fuzz.json", input);
  if (!alerts) {
    Check(alerts.error().code == alertllm::ErrorCode::kInvalidRequest);
    Check(alerts.error().message.rfind("fuzz.json", 0) == 0);
    return 0;
  }
  const alertllm::Result<alertllm::Classification> failed =
      alertllm::Error{alertllm::ErrorCode::kServerError, "HTTP 503"};
  const auto layout = alertllm::cli::LayoutTable(*alerts, 80);
  for (const alertllm::Alert& alert : *alerts) {
    Check(!alert.fingerprint.empty());
    alertllm::Classification answer;
    answer.summary = alert.alert_name;
    answer.category = "fuzz";
    for (const auto& result : {alertllm::Result<alertllm::Classification>(answer), failed}) {
      const std::string line = alertllm::cli::FormatJsonLine(alert, result);
      Check(line.find('\n') == std::string::npos && line.front() == '{' && line.back() == '}');
      const std::string row = alertllm::cli::FormatTableRow(layout, alert, result);
      Check(row.find('\n') == std::string::npos);
    }
  }
  return 0;
}
