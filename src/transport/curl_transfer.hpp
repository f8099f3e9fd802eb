// SPDX-License-Identifier: Apache-2.0
#pragma once

// One libcurl transfer's end: running it on a multi handle of its own (CurlTransport::Send)
// and reading its response or error (Send and Start), and the errors the transport reports
// when libcurl cannot be set up or a call throws.
#include <curl/curl.h>

#include <chrono>
#include <stop_token>

#include "alertllm/result.hpp"
#include "alertllm/transport.hpp"
#include "transport/curl_easy.hpp"

namespace alertllm::internal {

// How one transfer ended: on a multi handle of its own (Send) or on an IoLoop (Start).
struct TransferEnd {
  bool cancelled = false;
  CURLMcode multi_code = CURLM_OK;
  bool done = false;  // libcurl reported the easy handle's result
  CURLcode result = CURLE_OK;
  std::chrono::steady_clock::duration elapsed{};
};

// Drives the configured easy handle, added to its multi handle at `start`, until it finishes or
// `stop` is requested. The handle is removed again whatever happened.
TransferEnd RunTransfer(PooledHandle& handle, std::chrono::steady_clock::time_point start,
                        const std::stop_token& stop);

// The response of a finished transfer, or the error it ended with.
Result<HttpResponse> ResponseOf(const TransferEnd& end, CURL* easy, TransferState& state,
                                const char* error_buffer);

Error ConfigureError(CURLcode set);
Error AddHandleError(CURLMcode added);

// What a Send() or Start() that threw reports (the transport contract never throws). Only
// from inside a catch block.
Error CurrentExceptionError();

}  // namespace alertllm::internal
