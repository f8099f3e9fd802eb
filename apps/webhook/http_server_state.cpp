// SPDX-License-Identifier: Apache-2.0
// The out-of-line members of http_server_state.hpp: HttpReplyState::Claim and ErrorResponse.
#include "http_server_state.hpp"

#include "classification_json.hpp"

namespace alertllm::webhook::detail {

bool HttpReplyState::Claim() {
  if (answered.exchange(true)) return false;
  if (auto state = server.lock()) state->Forget(this);
  return true;
}

HttpResponse ErrorResponse(int status, const std::string& message) {
  HttpResponse response;
  response.status = status;
  response.body = apps::ErrorBody(message);
  response.close = true;
  return response;
}

}  // namespace alertllm::webhook::detail
