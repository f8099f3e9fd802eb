// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §2 step 4, encode: the one POST a ClassifyAlert call replays on every attempt.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "engine/client_impl.hpp"

namespace alertllm::internal {

// Encodes the alert once (with its fingerprint computed if it has none, then redacted): every
// attempt sends these very bytes; only the timeout changes. An alert with nothing to redact and
// a fingerprint is encoded as it is, without a copy.
Result<HttpRequest> ClientState::EncodeRequest(const Alert& input) const {
  RedactionCounts redactions{};
  std::optional<Alert> copy = redactor->Redacted(input, redactions);
  CountRedactions(redactions);
  if (input.fingerprint.empty()) {
    if (!copy) copy = input;
    // From the labels as Alertmanager sent them: identity (and so the share key, derived the
    // same way from the caller's alert) never depends on what redaction takes out.
    copy->fingerprint = Fingerprint(input.labels);
  }
  const Alert* alert = copy ? &*copy : &input;
  Result<std::string> body = frame
                                 ? EncodeClassifyRequest(*alert, *frame, config.max_request_bytes)
                                 : EncodeClassifyRequest(*alert, config, config.max_request_bytes);
  if (!body) return std::move(body).error();
  HttpRequest request;
  request.method = "POST";
  request.url = classify_url;
  request.headers = headers;
  request.body = std::move(*body);
  request.connect_timeout = config.connect_timeout;
  request.max_response_bytes = config.max_response_bytes;
  return request;
}

void ClientState::CountRedactions(const RedactionCounts& counts) const {
  if (counters == nullptr) return;
  for (std::size_t rule = 0; rule < counts.size(); ++rule) {
    if (counts[rule] != 0) counters->Redacted(rule, counts[rule]);
  }
}

}  // namespace alertllm::internal
