// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gmock/gmock.h>

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
class MockLlmClient : public LlmClient {
 public:
  MOCK_METHOD(Result<Classification>, ClassifyAlert,
              (const Alert& alert, const CallOptions& options), (override));
  MOCK_METHOD(Result<void>, Health, (const CallOptions& options), (override));

  // A mock's overrides hide the interface's default arguments; these restore them for calls
  // made on the mock itself.
  Result<Classification> ClassifyAlert(const Alert& alert) { return ClassifyAlert(alert, {}); }
  Result<void> Health() { return Health(CallOptions{}); }
};

}  // namespace alertllm::mocks
