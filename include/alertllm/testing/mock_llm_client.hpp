// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gmock/gmock.h>

#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "alertllm/client.hpp"

namespace alertllm::mocks {

/// A GoogleMock of LlmClient, for unit tests of code that classifies alerts without a network
/// (as the seed's MockLLMClient, and as google-cloud-cpp ships mocks of its clients):
///
///     alertllm::mocks::MockLlmClient client;
///     EXPECT_CALL(client, ClassifyAlert).WillOnce(Return(Classification{...}));
///
/// The namespace is `mocks`, not `testing`, so that `testing::` inside namespace alertllm keeps
/// meaning GoogleTest's. Needs GoogleMock (link GTest::gmock); the alertllm library itself does not.
///
/// Thread-safety: as any GoogleMock mock, calls may come from several threads once the
/// expectations are set.
///
/// ClassifyAlerts() and ClassifyAlertAsync() are mocked too, and by default do what
/// LlmClient's do: call the mocked ClassifyAlert() for each alert (the async one on the calling
/// thread), so expectations set on ClassifyAlert() alone cover code that uses either.
class MockLlmClient : public LlmClient {
 public:
  MockLlmClient() {
    ON_CALL(*this, ClassifyAlerts)
        .WillByDefault([this](std::span<const Alert> alerts, const CallOptions& options) {
          return LlmClient::ClassifyAlerts(alerts, options);
        });
    ON_CALL(*this, ClassifyAlertAsync)
        .WillByDefault([this](const Alert& alert, CallOptions options,
                              std::function<void(Result<Classification>)> done) {
          LlmClient::ClassifyAlertAsync(alert, std::move(options), std::move(done));
        });
  }

  MOCK_METHOD(Result<Classification>, ClassifyAlert,
              (const Alert& alert, const CallOptions& options), (override));
  MOCK_METHOD(std::vector<Result<Classification>>, ClassifyAlerts,
              (std::span<const Alert> alerts, const CallOptions& options), (override));
  MOCK_METHOD(void, ClassifyAlertAsync,
              (const Alert& alert, CallOptions options,
               std::function<void(Result<Classification>)> done),
              (override));
  MOCK_METHOD(Result<void>, Health, (const CallOptions& options), (override));

  // A mock's overrides hide the interface's default arguments; these restore them for calls
  // made on the mock itself.
  Result<Classification> ClassifyAlert(const Alert& alert) { return ClassifyAlert(alert, {}); }
  std::vector<Result<Classification>> ClassifyAlerts(std::span<const Alert> alerts) {
    return ClassifyAlerts(alerts, {});
  }
  Result<void> Health() { return Health(CallOptions{}); }
};

}  // namespace alertllm::mocks
