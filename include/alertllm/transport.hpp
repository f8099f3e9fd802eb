// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alertllm/detail/strings.hpp"
#include "alertllm/result.hpp"

namespace alertllm {

/// One HTTP request as the client hands it to a Transport.
struct HttpRequest {
  /// "GET" or "POST".
  std::string method = "POST";
  /// Absolute http:// or https:// URL.
  std::string url;
  /// Sent in order; the client puts Content-Type, Accept, User-Agent and Authorization here
  /// itself. The transport adds Host and Content-Length; a header given here replaces the
  /// transport's own of the same name. A name or value with CR or LF is kInvalidRequest.
  std::vector<std::pair<std::string, std::string>> headers;
  /// The request body; the client passes the same bytes on every attempt.
  std::string body;
  /// Bound on this attempt, from its start (name lookup included) to the last body byte.
  /// ≤ 0: kTimeout without sending anything.
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  /// Bound on name lookup and connection set-up (TCP and TLS); ≤ 0: only `timeout` applies.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  /// A response body larger than this fails the attempt as kInvalidResponse, and no more of it
  /// is read.
  std::size_t max_response_bytes = 1024 * 1024;
};

/// What the server answered. Any HTTP status is a response, not an error: deciding what a
/// status means is the client's job.
struct HttpResponse {
  int status = 0;
  /// Header names in lower case, values with surrounding white space removed, in the order
  /// received (the final response's: interim 1xx headers are dropped; redirects are never
  /// followed, a 3xx is returned as it is).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// From the start of the attempt to the last body byte.
  std::chrono::nanoseconds elapsed{0};

  /// The first value of header `name` (ASCII case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const noexcept {
    for (const auto& [key, value] : headers) {
      if (detail::EqualsIgnoreCase(key, name)) return &value;
    }
    return nullptr;
  }
};

/// Sends HTTP requests for HttpLlmClient. The production implementation is libcurl
/// (MakeCurlTransport(), curl_transport.hpp); tests inject scripted fakes.
///
/// Error contract of Send(): an HTTP response of any status is a value. Errors are for
/// requests that got no complete response: kTimeout (connect or attempt timeout), kNetworkError
/// (refused, reset, DNS, TLS, unreachable, connection closed mid-body), kCancelled (`stop`
/// requested; Send returns within 50 ms), kInvalidResponse (body over max_response_bytes, or
/// not HTTP), kInvalidRequest (bad URL or method). The message never holds a header value or
/// more than a short excerpt of a body. A failed attempt carries no timing: the caller times
/// it (slow-call accounting, duration histograms).
///
/// Thread-safety: implementations must allow concurrent Send() calls.
class Transport {
 public:
  virtual ~Transport() = default;

  virtual Result<HttpResponse> Send(const HttpRequest& request, std::stop_token stop) = 0;
};

}  // namespace alertllm
