// SPDX-License-Identifier: Apache-2.0
#include "alertllm/errors.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace alertllm {
namespace {

constexpr ErrorCode kAllCodes[] = {
    ErrorCode::kCircuitOpen,  ErrorCode::kInvalidRequest, ErrorCode::kInvalidResponse,
    ErrorCode::kRateLimited,  ErrorCode::kServerError,    ErrorCode::kClientError,
    ErrorCode::kTimeout,      ErrorCode::kNetworkError,   ErrorCode::kCancelled,
    ErrorCode::kInvalidConfig, ErrorCode::kUnknown};

TEST(ClassifyErrorTest, ReturnsTheSeedCategories) {
  EXPECT_EQ(ClassifyError(Error{ErrorCode::kCircuitOpen}), "circuit_breaker_open");
  EXPECT_EQ(ClassifyError(Error{ErrorCode::kRateLimited}), "rate_limit");
  EXPECT_EQ(ClassifyError(Error{ErrorCode::kServerError}), "server_error");
  EXPECT_EQ(ClassifyError(Error{ErrorCode::kClientError}), "client_error");
  EXPECT_EQ(ClassifyError(Error{ErrorCode::kTimeout}), "timeout");
  EXPECT_EQ(ClassifyError(Error{ErrorCode::kNetworkError}), "network_error");
  EXPECT_EQ(ClassifyError(Error{ErrorCode::kInvalidRequest}), "invalid_request");
  EXPECT_EQ(ClassifyError(Error{ErrorCode::kInvalidResponse}), "invalid_response");
}

TEST(ClassifyErrorTest, ReturnsTheAddedCategories) {
  EXPECT_EQ(ClassifyError(Error{ErrorCode::kCancelled}), "cancelled");
  EXPECT_EQ(ClassifyError(Error{ErrorCode::kInvalidConfig}), "invalid_config");
  EXPECT_EQ(ClassifyError(Error{ErrorCode::kUnknown}), "unknown_error");
}

TEST(ClassifyErrorTest, EveryCodeHasADistinctCategory) {
  std::set<std::string_view> seen;
  for (ErrorCode code : kAllCodes) seen.insert(ClassifyError(code));
  EXPECT_EQ(seen.size(), std::size(kAllCodes));
  EXPECT_EQ(seen.count("success"), 0u);
}

TEST(ClassifyErrorTest, SuccessfulResultIsSuccess) {
  EXPECT_EQ(ClassifyResult(Result<int>(1)), "success");
  EXPECT_EQ(ClassifyResult(Result<void>()), "success");
  EXPECT_EQ(ClassifyResult(Result<int>(Error{ErrorCode::kTimeout})), "timeout");
}

TEST(ClassifyErrorTest, IsUsableAtCompileTime) {
  static_assert(ClassifyError(ErrorCode::kRateLimited) == "rate_limit");
  static_assert(ErrorCodeForHttpStatus(503) == ErrorCode::kServerError);
  SUCCEED();
}

TEST(IsRetryableErrorTest, TransientCodesAreRetryable) {
  EXPECT_TRUE(IsRetryableError(Error{ErrorCode::kRateLimited, "", 429}));
  EXPECT_TRUE(IsRetryableError(Error{ErrorCode::kServerError, "", 503}));
  EXPECT_TRUE(IsRetryableError(Error{ErrorCode::kServerError, "", 500}));
  EXPECT_TRUE(IsRetryableError(Error{ErrorCode::kTimeout}));
  EXPECT_TRUE(IsRetryableError(Error{ErrorCode::kNetworkError}));
}

TEST(IsRetryableErrorTest, RequestTimeoutConflictAndTooManyRequestsAreRetryable) {
  EXPECT_TRUE(IsRetryableError(Error{ErrorCode::kClientError, "", 408}));
  EXPECT_TRUE(IsRetryableError(Error{ErrorCode::kClientError, "", 409}));
  EXPECT_TRUE(IsRetryableError(Error{ErrorCode::kClientError, "", 429}));
}

TEST(IsRetryableErrorTest, OtherClientErrorsAreNotRetryable) {
  for (int status : {400, 401, 403, 404, 405, 410, 413, 422}) {
    EXPECT_FALSE(IsRetryableError(Error{ErrorCode::kClientError, "", status})) << status;
  }
}

TEST(IsRetryableErrorTest, PermanentCodesAreNotRetryable) {
  EXPECT_FALSE(IsRetryableError(Error{ErrorCode::kCircuitOpen}));
  EXPECT_FALSE(IsRetryableError(Error{ErrorCode::kCancelled}));
  EXPECT_FALSE(IsRetryableError(Error{ErrorCode::kInvalidRequest}));
  EXPECT_FALSE(IsRetryableError(Error{ErrorCode::kInvalidResponse}));
  EXPECT_FALSE(IsRetryableError(Error{ErrorCode::kInvalidConfig}));
  EXPECT_FALSE(IsRetryableError(Error{ErrorCode::kUnknown}));
}

TEST(ErrorCodeForHttpStatusTest, MapsStatusClasses) {
  EXPECT_EQ(ErrorCodeForHttpStatus(429), ErrorCode::kRateLimited);
  EXPECT_EQ(ErrorCodeForHttpStatus(408), ErrorCode::kTimeout);
  EXPECT_EQ(ErrorCodeForHttpStatus(400), ErrorCode::kClientError);
  EXPECT_EQ(ErrorCodeForHttpStatus(409), ErrorCode::kClientError);
  EXPECT_EQ(ErrorCodeForHttpStatus(499), ErrorCode::kClientError);
  EXPECT_EQ(ErrorCodeForHttpStatus(500), ErrorCode::kServerError);
  EXPECT_EQ(ErrorCodeForHttpStatus(599), ErrorCode::kServerError);
  EXPECT_EQ(ErrorCodeForHttpStatus(302), ErrorCode::kUnknown);
  EXPECT_EQ(ErrorCodeForHttpStatus(600), ErrorCode::kUnknown);
}

TEST(ErrorCodeForHttpStatusTest, AgreesWithIsRetryableForEveryStatus) {
  for (int status = 400; status < 600; ++status) {
    const Error e{ErrorCodeForHttpStatus(status), "", status};
    const bool expected = status == 408 || status == 409 || status == 429 || status >= 500;
    EXPECT_EQ(IsRetryableError(e), expected) << status;
  }
}

TEST(ErrorCodeToStringTest, NamesEveryCode) {
  std::set<std::string_view> seen;
  for (ErrorCode code : kAllCodes) seen.insert(ToString(code));
  EXPECT_EQ(seen.size(), std::size(kAllCodes));
  EXPECT_EQ(ToString(ErrorCode::kCircuitOpen), "CircuitOpen");
}

}  // namespace
}  // namespace alertllm
