// SPDX-License-Identifier: Apache-2.0
// Issue 11 item 3, as a tester would try it: an LLM that echoes every request header and the
// URL into its answers, driven down every error path of a real client (libcurl, 127.0.0.1,
// port 0). No secret of the client's — nor any 8-byte piece of one — reaches an error message,
// a fallback reason, a log line or the metrics.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "alertllm/client.hpp"
#include "alertllm/metrics.hpp"
#include "support/echo_llm_server.hpp"
#include "support/local_http_server.hpp"

namespace alertllm {
namespace {

const std::string kApiKey = "sk-TESTSECRET-12345";
const std::string kExtraKey = "xk-EXTRASECRET-999";
const std::string kPassword = "PASSSECRET-555";
const std::string kQueryKey = "QUERYSECRET-777";
const std::string kBasic = "dGVzdGVyOlBBU1NTRUNSRVQtNTU1";  // base64("tester:PASSSECRET-555")

// The first 8-byte piece of a secret (prefixes, suffixes and everything between) in `text`;
// empty if there is none.
std::string LeakIn(std::string_view text) {
  for (const std::string& secret : {kApiKey, kExtraKey, kPassword, kQueryKey, kBasic}) {
    for (std::size_t i = 0; i + 8 <= secret.size(); ++i) {
      if (text.find(secret.substr(i, 8)) != std::string_view::npos) return secret.substr(i, 8);
    }
  }
  return {};
}

Alert DiskFull() {
  Alert alert;
  alert.alert_name = "DiskFull";
  alert.labels = {{"alertname", "DiskFull"}, {"severity", "warning"}, {"instance", "db-1"}};
  alert.starts_at = std::chrono::sys_days(std::chrono::year(2026) / 1 / 1);
  return alert;
}

// One client's run against the echoing server: what it returned and everything it logged.
struct ClientRun {
  std::optional<Error> error;
  std::optional<Classification> answer;
  std::optional<Error> health_error;
  std::string log;
  std::string metrics;

  // The text a caller sees: the error message, or the fallback's reason.
  std::string Shown() const {
    if (error) return error->message;
    return answer ? answer->fallback_reason : std::string();
  }
};

class SecretEchoTest : public ::testing::TestWithParam<std::string_view> {
 protected:
  void SetUp() override {
    test::AddEchoRoutes(http_.server());
    ASSERT_TRUE(http_.Start());
  }

  Config EchoConfig(std::string_view mode, FallbackMode fallback) const {
    Config config;
    config.base_url = "http://tester:" + kPassword + "@127.0.0.1:" + std::to_string(http_.port()) +
                      "/" + std::string(mode) + "?key=" + kQueryKey;
    config.api_key = kApiKey;
    config.extra_headers = {{"X-Api-Key", kExtraKey}};
    config.max_retries = 0;
    config.fallback = fallback;
    config.timeout = std::chrono::seconds(5);
    return config;
  }

  ClientRun RunClient(Config config) const {
    std::ostringstream log;
    ClientRun run;
    {
      auto logger = std::make_shared<spdlog::logger>(
          "echo", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
      logger->set_level(spdlog::level::trace);
      HttpLlmClient client(std::move(config), logger);
      Result<Classification> result = client.ClassifyAlert(DiskFull());
      if (result) {
        run.answer = *result;
      } else {
        run.error = result.error();
      }
      if (Result<void> health = client.Health(); !health) run.health_error = health.error();
      run.metrics = SerializeMetrics({client.GetCollectable()});
    }
    run.log = log.str();
    return run;
  }

  test::LocalHttpServer http_;
};

TEST_P(SecretEchoTest, ErrorMessageShowsTheEchoWithEverySecretMasked) {
  const ClientRun run = RunClient(EchoConfig(GetParam(), FallbackMode::kNone));
  ASSERT_TRUE(run.error.has_value()) << "the echo answered a classification";
  EXPECT_EQ(LeakIn(run.error->message), "") << run.error->message;
  // The quoted excerpt reached the place of a secret, and shows it masked.
  EXPECT_NE(run.error->message.find("***"), std::string::npos) << run.error->message;
}

TEST_P(SecretEchoTest, FallbackReasonHoldsNoSecret) {
  const ClientRun run = RunClient(EchoConfig(GetParam(), FallbackMode::kRules));
  const std::string shown = run.Shown();
  ASSERT_FALSE(shown.empty());
  EXPECT_EQ(LeakIn(shown), "") << shown;
  if (run.answer) {
    EXPECT_EQ(run.answer->source, "fallback");
  }
}

TEST_P(SecretEchoTest, LogHoldsNoSecret) {
  for (const FallbackMode fallback : {FallbackMode::kNone, FallbackMode::kRules}) {
    const ClientRun run = RunClient(EchoConfig(GetParam(), fallback));
    EXPECT_NE(run.log.find("classify failed"), std::string::npos) << run.log;
    EXPECT_EQ(LeakIn(run.log), "") << run.log;
  }
}

TEST_P(SecretEchoTest, HealthErrorHoldsNoSecret) {
  const ClientRun run = RunClient(EchoConfig(GetParam(), FallbackMode::kNone));
  const bool answers_200 = GetParam() == "html" || GetParam() == "badjson" ||
                           GetParam() == "invalid" || GetParam() == "servererror";
  ASSERT_EQ(run.health_error.has_value(), !answers_200);
  if (!run.health_error) return;
  EXPECT_EQ(LeakIn(run.health_error->message), "") << run.health_error->message;
  EXPECT_NE(run.health_error->message.find("***"), std::string::npos) << run.health_error->message;
}

TEST_P(SecretEchoTest, MetricsHoldNoSecret) {
  const ClientRun run = RunClient(EchoConfig(GetParam(), FallbackMode::kRules));
  ASSERT_NE(run.metrics.find("llm_client_requests_total"), std::string::npos);
  EXPECT_EQ(LeakIn(run.metrics), "");
}

INSTANTIATE_TEST_SUITE_P(EveryErrorPath, SecretEchoTest, ::testing::ValuesIn(test::kEchoModes),
                         [](const ::testing::TestParamInfo<std::string_view>& mode) {
                           return std::string(mode.param);
                         });

// Without an api_key, libcurl sends base_url's user-info as "Authorization: Basic <base64>":
// the echo of that is a secret too.
TEST(SecretEchoBasicTest, BaseUrlCredentialsEchoedAsBasicAreMasked) {
  test::LocalHttpServer http;
  test::AddEchoRoutes(http.server());
  ASSERT_TRUE(http.Start());
  Config config;
  config.base_url = "http://tester:" + kPassword + "@127.0.0.1:" + std::to_string(http.port()) +
                    "/401?key=" + kQueryKey;
  config.max_retries = 0;
  HttpLlmClient client(config);
  const Result<Classification> result = client.ClassifyAlert(DiskFull());
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("Basic ***"), std::string::npos) << result.error().message;
  EXPECT_EQ(LeakIn(result.error().message), "") << result.error().message;
}

}  // namespace
}  // namespace alertllm
