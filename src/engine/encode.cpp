// SPDX-License-Identifier: Apache-2.0
// DESIGN.md §2 step 4, encode: the one POST a ClassifyAlert call replays on every attempt.
#include <string>
#include <utility>

#include "engine/client_impl.hpp"

namespace alertllm::internal {

// Encodes the alert once (with its fingerprint computed if it has none): every attempt sends
// these very bytes; only the timeout changes.
Result<HttpRequest> ClientState::EncodeRequest(const Alert& input) const {
  const Alert* alert = &input;
  Alert with_fingerprint;
  if (input.fingerprint.empty()) {
    with_fingerprint = input;
    with_fingerprint.fingerprint = Fingerprint(input.labels);
    alert = &with_fingerprint;
  }
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

}  // namespace alertllm::internal
