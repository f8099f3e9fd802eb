// SPDX-License-Identifier: Apache-2.0
#include "classification_json.hpp"

#include <alertllm/errors.hpp>

#include <nlohmann/json.hpp>

namespace alertllm::apps {
namespace {

// The fields of one result into `out`. Templated on the JSON type because the two apps shipped
// different key orders (classify: the order below; webhook: sorted by name), and both are
// kept byte for byte.
template <typename JsonT>
void PutResult(JsonT& out, const Alert& alert, const Result<Classification>& result) {
  out["fingerprint"] = alert.fingerprint;
  out["alertname"] = alert.alert_name;
  out["ok"] = result.has_value();
  if (result) {
    out["source"] = result->source;
    out["severity"] = std::string(ToString(result->severity));
    out["severity_adjusted"] = result->severity_adjusted;
    out["confidence"] = result->confidence;
    out["category"] = result->category;
    out["summary"] = result->summary;
    out["attempts"] = result->attempts;
    if (!result->fallback_reason.empty()) out["fallback_reason"] = result->fallback_reason;
    return;
  }
  for (const char* key :
       {"source", "severity", "severity_adjusted", "confidence", "category", "summary"}) {
    out[key] = nullptr;
  }
  out["attempts"] = result.error().attempts;
  out["error"] = JsonT{{"category", std::string(ClassifyError(result.error()))},
                       {"message", result.error().message}};
}

// Text from the network or the LLM may hold invalid UTF-8; replacing it keeps dump() from
// throwing.
template <typename JsonT>
std::string Dump(const JsonT& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string ResultJsonLine(const Alert& alert, const Result<Classification>& result) {
  nlohmann::ordered_json line;
  PutResult(line, alert, result);
  return Dump(line);
}

std::string ClassificationsBody(const std::vector<Alert>& alerts,
                                const std::vector<Result<Classification>>& results) {
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < alerts.size() && i < results.size(); ++i) {
    nlohmann::json one;
    PutResult(one, alerts[i], results[i]);
    one["status"] = std::string(ToString(alerts[i].status));
    list.push_back(std::move(one));
  }
  return Dump(nlohmann::json{{"classifications", std::move(list)}});
}

std::string ErrorBody(const std::string& message) {
  return Dump(nlohmann::json{{"error", message}});
}

}  // namespace alertllm::apps
