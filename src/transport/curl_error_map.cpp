// SPDX-License-Identifier: Apache-2.0
#include <string>

#include "transport/curl_easy.hpp"
#include "util/text.hpp"

namespace alertllm::internal {

namespace {

// Failures on the wire: connection, name lookup, TLS, a transfer cut short.
bool IsNetworkError(CURLcode code) noexcept {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_INTERFACE_FAILED:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
    case CURLE_AGAIN:
      return true;
    default:
      return false;
  }
}

// The server's certificate was refused (libcurl merged CURLE_SSL_CACERT into
// CURLE_PEER_FAILED_VERIFICATION) or the CA file could not be used. Said in so many words, with
// the setting that fixes it: libcurl's own text ("SSL peer certificate or SSH remote key was not
// OK") does not say which side to change.
bool IsVerificationError(CURLcode code) noexcept {
  return code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
         code == CURLE_SSL_ISSUER_ERROR || code == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
         code == CURLE_SSL_INVALIDCERTSTATUS;
}

// Codes a well-formed request cannot produce (API misuse, features we never enable) fall
// through to kUnknown.
Error MapCurlCode(const Outcome& outcome, const std::string& detail) {
  if (IsVerificationError(outcome.code)) {
    return Error{ErrorCode::kNetworkError,
                 "network error: TLS certificate verification failed (trust the server's CA "
                 "with ca_file / LLM_CA_FILE): " +
                     detail};
  }
  if (IsNetworkError(outcome.code))
    return Error{ErrorCode::kNetworkError, "network error: " + detail};
  switch (outcome.code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error{ErrorCode::kTimeout, "timed out: " + detail};

    // The URL was parsed and its scheme checked before the transfer, so these can only come
    // from the server's answer (an HTTP/0.9 reply is reported as an unsupported protocol).
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_FILESIZE_EXCEEDED:
      return Error{ErrorCode::kInvalidResponse, "not a valid HTTP response: " + detail,
                   outcome.http_status};

    // No progress callback is installed (cancellation removes the handle from the multi
    // instead), so this is only reachable if that ever changes.
    case CURLE_ABORTED_BY_CALLBACK:
      if (outcome.cancelled) return Error{ErrorCode::kCancelled, "cancelled"};
      return Error{ErrorCode::kUnknown, "aborted: " + detail};

    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
      return Error{ErrorCode::kInvalidRequest, "invalid request: " + detail};

    case CURLE_OUT_OF_MEMORY:
      return Error{ErrorCode::kUnknown, "libcurl out of memory"};

    default:
      return Error{
          ErrorCode::kUnknown,
          "libcurl error " + std::to_string(static_cast<int>(outcome.code)) + ": " + detail};
  }
}

}  // namespace

// What the callbacks saw (a body or headers over their cap, no memory) comes first: libcurl
// reports those only as a write error.
Error MapCurlError(const Outcome& outcome) {
  const TransferState& state = *outcome.state;
  const std::string detail = Clip(outcome.curl_message, kMaxQuotedBytes);
  if (state.body_over_cap) {
    return Error{ErrorCode::kInvalidResponse,
                 "response body over " + std::to_string(state.max_body_bytes) + " bytes",
                 outcome.http_status};
  }
  if (state.headers_over_cap) {
    return Error{ErrorCode::kInvalidResponse,
                 "response headers over " + std::to_string(kMaxHeaderBytes) + " bytes",
                 outcome.http_status};
  }
  if (state.out_of_memory) return Error{ErrorCode::kUnknown, "out of memory reading the response"};
  return MapCurlCode(outcome, detail);
}

}  // namespace alertllm::internal
