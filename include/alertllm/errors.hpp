// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include "alertllm/result.hpp"

namespace alertllm {

/// The ErrorCode for an HTTP status that is not a success: 429 → kRateLimited, 408 →
/// kTimeout, other 4xx → kClientError, 5xx → kServerError, anything else → kUnknown.
constexpr ErrorCode ErrorCodeForHttpStatus(int status) noexcept {
  if (status == 429) return ErrorCode::kRateLimited;
  if (status == 408) return ErrorCode::kTimeout;
  if (status >= 400 && status < 500) return ErrorCode::kClientError;
  if (status >= 500 && status < 600) return ErrorCode::kServerError;
  return ErrorCode::kUnknown;
}

/// True if a failed call may succeed when sent again unchanged (DESIGN.md §4): network errors,
/// timeouts, HTTP 408, 409, 429 and 5xx. Never retryable: other 4xx, circuit open, cancelled,
/// invalid request, invalid response, invalid config. (A server's `x-should-retry` header,
/// which overrides the status, is applied on top of this by `ShouldRetry()` in retry.hpp.)
///
/// Thread-safe; does not allocate.
constexpr bool IsRetryableError(const Error& error) noexcept {
  switch (error.code) {
    case ErrorCode::kRateLimited:
    case ErrorCode::kServerError:
    case ErrorCode::kTimeout:
    case ErrorCode::kNetworkError:
      return true;
    case ErrorCode::kClientError:
      // 409 Conflict is retryable as in the OpenAI SDKs (a lock held by another request);
      // 408 and 429 normally arrive as kTimeout and kRateLimited but are accepted here too.
      return error.http_status == 408 || error.http_status == 409 || error.http_status == 429;
    case ErrorCode::kCircuitOpen:
    case ErrorCode::kInvalidRequest:
    case ErrorCode::kInvalidResponse:
    case ErrorCode::kCancelled:
    case ErrorCode::kInvalidConfig:
    case ErrorCode::kUnknown:
      return false;
  }
  return false;
}

/// The error category, with exactly the seed's names: "circuit_breaker_open", "rate_limit",
/// "server_error", "client_error", "timeout", "network_error", "invalid_request",
/// "invalid_response", plus "cancelled", "invalid_config" and "unknown_error". These are the
/// values of the `category` label in the client's metrics.
///
/// Thread-safe; does not allocate. The view points at a string literal.
constexpr std::string_view ClassifyError(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kCircuitOpen: return "circuit_breaker_open";
    case ErrorCode::kInvalidRequest: return "invalid_request";
    case ErrorCode::kInvalidResponse: return "invalid_response";
    case ErrorCode::kRateLimited: return "rate_limit";
    case ErrorCode::kServerError: return "server_error";
    case ErrorCode::kClientError: return "client_error";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kNetworkError: return "network_error";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInvalidConfig: return "invalid_config";
    case ErrorCode::kUnknown: return "unknown_error";
  }
  return "unknown_error";
}

/// `ClassifyError(error.code)`.
constexpr std::string_view ClassifyError(const Error& error) noexcept {
  return ClassifyError(error.code);
}

/// The category of a call's outcome: "success" for a Result holding a value, else
/// `ClassifyError(result.error())` — the seed's `ClassifyError(nil) == "success"`.
template <typename T>
constexpr std::string_view ClassifyResult(const Result<T>& result) noexcept {
  return result.has_value() ? std::string_view("success") : ClassifyError(result.error());
}

/// The enumerator's name without the `k`: "CircuitOpen", "Timeout", … (for logs and tests).
constexpr std::string_view ToString(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kCircuitOpen: return "CircuitOpen";
    case ErrorCode::kInvalidRequest: return "InvalidRequest";
    case ErrorCode::kInvalidResponse: return "InvalidResponse";
    case ErrorCode::kRateLimited: return "RateLimited";
    case ErrorCode::kServerError: return "ServerError";
    case ErrorCode::kClientError: return "ClientError";
    case ErrorCode::kTimeout: return "Timeout";
    case ErrorCode::kNetworkError: return "NetworkError";
    case ErrorCode::kCancelled: return "Cancelled";
    case ErrorCode::kInvalidConfig: return "InvalidConfig";
    case ErrorCode::kUnknown: return "Unknown";
  }
  return "Unknown";
}

}  // namespace alertllm
