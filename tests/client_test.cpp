// SPDX-License-Identifier: Apache-2.0
// HttpLlmClient's call loop against a scripted transport and a clock whose sleeps advance time
// instantly: every branch of DESIGN.md §2–§4 without a network and without real time.
#include "alertllm/client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/collectable.h>
#include <prometheus/gauge.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "alertllm/errors.hpp"
#include "alertllm/metrics.hpp"
#include "alertllm/testing/fake_transport.hpp"
#include "alertllm/version.hpp"
#include "support/fake_clock.hpp"

namespace alertllm {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using SteadyTime = std::chrono::steady_clock::time_point;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kValidBody =
    R"({"classification":{"severity":3,"category":"infrastructure","summary":"CPU high",)"
    R"("confidence":0.9,"reasoning":"r","suggestions":["scale"]},"processing_time":"10ms"})";

using FakeTransport = mocks::FakeTransport;
using Step = FakeTransport::Step;
using test::FakeClock;

// These tests drive the call path (breaker, retries, metrics) with one alert, called again and
// again: sharing would answer every call after the first from the cache, so it is off here and
// tested in client_share_test.cpp.
Config TestConfig() {
  Config config;
  config.base_url = "http://llm.test:8080";
  config.api_key = "sk-secret-key-123";
  config.jitter = 0.0;
  config.cache.enabled = false;
  return config;
}

Alert TestAlert() {
  Alert alert;
  alert.alert_name = "HighCPUUsage";
  alert.labels = {{"alertname", "HighCPUUsage"}, {"instance", "node-1"}};
  alert.annotations = {{"summary", "CPU above 90%"}};
  alert.starts_at = std::chrono::sys_days(std::chrono::year(2026) / 1 / 1);
  return alert;
}

Config FallbackConfig() {
  Config config = TestConfig();
  config.fallback = FallbackMode::kRules;
  return config;
}

// A response with this status and nothing else.
HttpResponse Status(int status) {
  HttpResponse response;
  response.status = status;
  return response;
}

CallOptions StoppedBy(const std::stop_source& source) {
  CallOptions options;
  options.stop_token = source.get_token();
  return options;
}

// A logger at debug level writing into `out`.
std::shared_ptr<spdlog::logger> LoggerInto(std::ostringstream& out) {
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_level(spdlog::level::debug);
  return logger;
}

// What a test pins down of a failed call; a field left empty is not checked.
struct Failure {
  std::optional<ErrorCode> code = std::nullopt;
  std::optional<int> attempts = std::nullopt;
  std::optional<int> http_status = std::nullopt;
  std::optional<std::size_t> requests = std::nullopt;  // how many requests the transport saw
};

// Each line of `lines` (leading blanks and empty lines aside) stands somewhere in `text`.
void ExpectLines(const std::string& text, const std::string& lines) {
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) {
    line.erase(0, line.find_first_not_of(' '));
    if (!line.empty()) {
      EXPECT_THAT(text, HasSubstr(line));
    }
  }
}

// Test names of the parameterized suites: each case's `name`.
template <typename Case>
std::string CaseName(const ::testing::TestParamInfo<Case>& param_info) {
  return param_info.param.name;
}

std::string OnOff(const ::testing::TestParamInfo<bool>& param_info) {
  return param_info.param ? "On" : "Off";
}

class ClientTest : public ::testing::Test {
 protected:
  // The fake transport and clock, and a fixed "random" number for the jitter.
  ClientDependencies Deps(double random = 0.0) {
    ClientDependencies deps;
    deps.transport = transport_;
    deps.clock = clock_;
    deps.random = [random] { return random; };
    return deps;
  }

  std::unique_ptr<HttpLlmClient> MakeClient(Config config, double random = 0.0) {
    return std::make_unique<HttpLlmClient>(std::move(config), Deps(random));
  }

  // A client exporting into registry_ as well.
  std::unique_ptr<HttpLlmClient> MakeRegistryClient(Config config) {
    ClientDependencies deps = Deps();
    deps.registry = registry_;
    return std::make_unique<HttpLlmClient>(std::move(config), std::move(deps));
  }

  // A client logging at debug level into log_.
  std::unique_ptr<HttpLlmClient> MakeLoggingClient(Config config) {
    ClientDependencies deps = Deps();
    deps.logger = LoggerInto(log_);
    return std::make_unique<HttpLlmClient>(std::move(config), std::move(deps));
  }

  // A response the server says not to retry.
  void RespondNoRetry(int status, std::string body = {}) {
    transport_->Respond(status, std::move(body), {{"x-should-retry", "false"}});
  }

  // One call failing on a 503 that is not retried: with max_failures = 1 the breaker opens.
  void OpenTheBreaker(HttpLlmClient& client) {
    RespondNoRetry(503);
    (void)client.ClassifyAlert(TestAlert());
    ASSERT_EQ(client.GetCircuitBreakerState(), CircuitState::kOpen);
  }

  // Fatal unless `result` is an error matching `want` (wrap in ASSERT_NO_FATAL_FAILURE before
  // reading result.error() further).
  template <typename T>
  void ExpectFailure(const Result<T>& result, const Failure& want) {
    ASSERT_FALSE(result.has_value());
    const Error& error = result.error();
    if (want.code) {
      EXPECT_EQ(error.code, *want.code);
    }
    if (want.attempts) {
      EXPECT_EQ(error.attempts, *want.attempts);
    }
    if (want.http_status) {
      EXPECT_EQ(error.http_status, *want.http_status);
    }
    if (want.requests) {
      EXPECT_EQ(transport_->Requests().size(), *want.requests);
    }
  }

  ClientTest() {
    test::Attach(*transport_, clock_);
    transport_->SetLatency(milliseconds(10));
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::shared_ptr<FakeTransport> transport_ = std::make_shared<FakeTransport>();
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::ostringstream log_;
};

// Without a fallback the error is returned as before, and no fallback is counted.
TEST_F(ClientTest, FourServiceUnavailableSendExactlyFourRequests) {
  auto client = MakeClient(TestConfig());
  for (int i = 0; i < 4; ++i) transport_->Respond(503, "overloaded");
  ExpectFailure(client->ClassifyAlert(TestAlert()),
                {.code = ErrorCode::kServerError, .attempts = 4, .http_status = 503, .requests = 4});
  ExpectLines(SerializeMetrics({client->GetCollectable()}),
              R"(llm_client_fallbacks_total{reason="server_error"} 0)");
}

TEST_F(ClientTest, TwoFailuresThenSuccessReportsThreeAttempts) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(503);
  transport_->Respond(503);
  transport_->Respond(200, kValidBody);
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->attempts, 3);
  EXPECT_EQ(result->source, "llm");
  EXPECT_EQ(result->severity, Severity::kWarning);
  EXPECT_EQ(transport_->Requests().size(), 3u);
}

struct CallersFaultCase {
  const char* name;
  // Scripts the transport (a step may stop the call through `source`); returns the alert to send.
  std::function<Alert(FakeTransport& fake, std::stop_source& source)> script;
  Failure failure;
};

class CallersFaultTest
    : public ClientTest,
      public ::testing::WithParamInterface<std::tuple<CallersFaultCase, bool>> {};

// A 400, a cancellation in flight and an invalid alert are the caller's business: the error is
// returned as it is, without a retry, without an answer from the fallback rules (when they are
// on) and without touching the breaker.
TEST_P(CallersFaultTest, ErrorIsReturnedAndTheBreakerIsUntouched) {
  const auto& [fault, fallback] = GetParam();
  auto client = MakeClient(fallback ? FallbackConfig() : TestConfig());
  std::stop_source source;
  const Alert alert = fault.script(*transport_, source);
  ExpectFailure(client->ClassifyAlert(alert, StoppedBy(source)), fault.failure);
  const CircuitBreakerStats stats = client->GetCircuitBreakerStats();
  EXPECT_EQ(stats.total_calls, 0u);
  EXPECT_EQ(stats.consecutive_failures, 0u);
  EXPECT_EQ(stats.state, CircuitState::kClosed);
}

std::string CallersFaultName(const ::testing::TestParamInfo<CallersFaultTest::ParamType>& info) {
  const auto& [fault, fallback] = info.param;
  return std::string(fault.name) + (fallback ? "WithFallback" : "WithoutFallback");
}

INSTANTIATE_TEST_SUITE_P(
    ClientTest, CallersFaultTest,
    ::testing::Combine(
        ::testing::Values(
            CallersFaultCase{"BadRequest",
                             [](FakeTransport& fake, std::stop_source&) {
                               fake.Respond(400, "bad alert");
                               return TestAlert();
                             },
                             {.code = ErrorCode::kClientError,
                              .attempts = 1,
                              .http_status = 400,
                              .requests = 1}},
            CallersFaultCase{"CancellationInFlight",
                             [](FakeTransport& fake, std::stop_source& source) {
                               fake.Push(Step{Error{ErrorCode::kCancelled, "cancelled"},
                                              milliseconds(10), [&source] { source.request_stop(); }});
                               return TestAlert();
                             },
                             {.code = ErrorCode::kCancelled, .requests = 1}},
            CallersFaultCase{"InvalidAlert",
                             [](FakeTransport&, std::stop_source&) {
                               Alert alert = TestAlert();
                               alert.labels["bad"] = std::string("\xff\xfe", 2);
                               return alert;
                             },
                             {.code = ErrorCode::kInvalidRequest, .requests = 0}}),
        ::testing::Bool()),
    CallersFaultName);

class RetryAfterJitterTest : public ClientTest, public ::testing::WithParamInterface<double> {};

TEST_P(RetryAfterJitterTest, RetryAfterIsAFloorWhateverTheJitter) {
  Config config = TestConfig();
  config.jitter = 1.0;
  config.retry_delay = milliseconds(100);
  auto client = MakeClient(config, GetParam());
  transport_->Respond(503, "", {{"Retry-After", "2"}});
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  const auto requests = transport_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  // The first attempt took 10 ms; the second starts at least 2 s after the first ended.
  EXPECT_GE(requests[1].at - requests[0].at, seconds(2) + milliseconds(10));
}

INSTANTIATE_TEST_SUITE_P(Random, RetryAfterJitterTest, ::testing::Values(0.0, 0.999));

TEST_F(ClientTest, RetryAfterAboveTheCapStopsAndIsReturned) {
  Config config = TestConfig();
  config.max_retry_after = seconds(60);
  auto client = MakeClient(config);
  transport_->Respond(429, "", {{"Retry-After", "120"}});
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_NO_FATAL_FAILURE(ExpectFailure(result, {.code = ErrorCode::kRateLimited, .requests = 1}));
  EXPECT_EQ(result.error().retry_after, std::optional<milliseconds>(seconds(120)));
}

struct RetryAfterCase {
  const char* name;
  const char* header;
  nanoseconds sleep;
};

class RetryAfterHeaderTest : public ClientTest,
                             public ::testing::WithParamInterface<RetryAfterCase> {};

TEST_P(RetryAfterHeaderTest, SleepsAsTheHeaderSays) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(503, "", {{"Retry-After", GetParam().header}});
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  EXPECT_EQ(clock_->Sleeps(), std::vector<nanoseconds>{GetParam().sleep});
}

INSTANTIATE_TEST_SUITE_P(ClientTest, RetryAfterHeaderTest,
                         ::testing::Values(
                             // The fake wall clock reads 00:00:00.010 after the first attempt.
                             RetryAfterCase{"HttpDateIsHonoured", "Thu, 01 Jan 2026 00:00:05 GMT",
                                            milliseconds(4990)},
                             RetryAfterCase{"JunkFallsBackToBackoff", "soon", seconds(1)}),
                         CaseName<RetryAfterCase>);

TEST_F(ClientTest, DeadlineBoundsAttemptsAndSleeps) {
  Config config = TestConfig();
  config.timeout = seconds(2);
  config.retry_delay = seconds(1);
  config.retry_backoff = 1.0;
  auto client = MakeClient(config);
  for (int i = 0; i < 4; ++i) transport_->Respond(503, "", {}, seconds(2));
  const SteadyTime start = clock_->SteadyNow();
  CallOptions options;
  options.deadline = start + seconds(5);
  const auto result = client->ClassifyAlert(TestAlert(), options);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().attempts, 2);
  const auto requests = transport_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].request.timeout, seconds(2));
  EXPECT_LE(clock_->SteadyNow(), start + seconds(5));
  EXPECT_EQ(clock_->Sleeps(), std::vector<nanoseconds>{seconds(1)});
}

TEST_F(ClientTest, SleepOverrunningTheDeadlineEndsWithTimeoutAndRecordsOnce) {
  Config config = TestConfig();
  config.call_timeout = seconds(3);
  config.circuit_breaker.record = RecordMode::kPerAttempt;
  auto client = MakeClient(config);
  clock_->SetOversleep(seconds(5));
  transport_->Respond(503);
  transport_->Respond(200, kValidBody);
  ExpectFailure(client->ClassifyAlert(TestAlert()),
                {.code = ErrorCode::kTimeout, .attempts = 1, .requests = 1});
  const CircuitBreakerStats stats = client->GetCircuitBreakerStats();
  EXPECT_EQ(stats.total_calls, 1u);
  EXPECT_EQ(stats.ignored_count, 1u);
}

TEST_F(ClientTest, CallTimeoutShortensTheLastAttempt) {
  Config config = TestConfig();
  config.timeout = seconds(2);
  config.call_timeout = seconds(4);
  config.retry_delay = seconds(1);
  auto client = MakeClient(config);
  transport_->Respond(503, "", {}, seconds(2));
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  const auto requests = transport_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].request.timeout, seconds(2));
  EXPECT_EQ(requests[1].request.timeout, seconds(1));
}

TEST_F(ClientTest, ExhaustedRetryBudgetLeavesOnlyFirstAttempts) {
  Config config = TestConfig();
  config.circuit_breaker.enabled = false;
  auto client = MakeClient(config);
  for (int i = 0; i < 20; ++i) transport_->Respond(503);
  // 10 tokens: the first call's four failures leave 6, the next failure leaves 5, not > 5.
  EXPECT_EQ(client->ClassifyAlert(TestAlert()).error().attempts, 4);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(client->ClassifyAlert(TestAlert()).error().attempts, 1);
  }
  EXPECT_EQ(transport_->Requests().size(), 7u);
}

TEST_F(ClientTest, BreakerOpenedMidLoopStopsFurtherRequests) {
  Config config = TestConfig();
  config.circuit_breaker.max_failures = 1;
  auto client = MakeClient(config);
  // While the first attempt is in flight another call fails and opens the breaker.
  transport_->Push(Step{Status(503), milliseconds(10), [&] {
                          const auto other = client->ClassifyAlert(TestAlert());
                          EXPECT_EQ(other.error().attempts, 1);
                        }});
  RespondNoRetry(503);
  transport_->Respond(200, kValidBody);
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_NO_FATAL_FAILURE(ExpectFailure(
      result, {.code = ErrorCode::kServerError, .attempts = 1, .requests = 2}));
  EXPECT_TRUE(result.error().retry_after.has_value());
  EXPECT_TRUE(clock_->Sleeps().empty());
}

TEST_F(ClientTest, CancellationDuringBackoffEndsTheCallWithoutAnotherRequest) {
  auto client = MakeClient(TestConfig());
  std::stop_source source;
  transport_->Push(Step{Status(503), milliseconds(10), [&] { source.request_stop(); }});
  transport_->Respond(200, kValidBody);
  ExpectFailure(client->ClassifyAlert(TestAlert(), StoppedBy(source)),
                {.code = ErrorCode::kCancelled, .attempts = 1, .requests = 1});
  EXPECT_EQ(client->GetCircuitBreakerStats().total_calls, 0u);
}

TEST_F(ClientTest, CancelledBeforeTheCallSendsNothing) {
  auto client = MakeClient(TestConfig());
  std::stop_source source;
  source.request_stop();
  EXPECT_EQ(client->ClassifyAlert(TestAlert(), StoppedBy(source)).error().code,
            ErrorCode::kCancelled);
  EXPECT_TRUE(transport_->Requests().empty());
}

TEST_F(ClientTest, BodyBytesAreIdenticalOnEveryAttempt) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(503);
  transport_->Respond(502);
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  const auto requests = transport_->Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_FALSE(requests[0].request.body.empty());
  EXPECT_EQ(requests[1].request.body, requests[0].request.body);
  EXPECT_EQ(requests[2].request.body, requests[0].request.body);
}

TEST_F(ClientTest, RequestCarriesUrlAndHeaders) {
  Config config = TestConfig();
  config.extra_headers = {{"X-Team", "sre"}};
  auto client = MakeClient(config);
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  const HttpRequest request = transport_->Requests().at(0).request;
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://llm.test:8080/classify");
  using Header = std::pair<std::string, std::string>;
  EXPECT_THAT(request.headers,
              ::testing::Contains(Header{"Authorization", "Bearer sk-secret-key-123"}));
  EXPECT_THAT(request.headers, ::testing::Contains(Header{
                                   "User-Agent", std::string("alertllm/") + ALERTLLM_VERSION}));
  EXPECT_THAT(request.headers, ::testing::Contains(Header{"Content-Type", "application/json"}));
  EXPECT_THAT(request.headers, ::testing::Contains(Header{"Accept", "application/json"}));
  EXPECT_THAT(request.headers, ::testing::Contains(Header{"X-Team", "sre"}));
}

TEST_F(ClientTest, OpenAIProtocolPostsToChatCompletions) {
  Config config = TestConfig();
  config.protocol = Protocol::kOpenAI;
  auto client = MakeClient(config);
  transport_->Respond(500);
  (void)client->ClassifyAlert(TestAlert());
  EXPECT_EQ(transport_->Requests().at(0).request.url, "http://llm.test:8080/v1/chat/completions");
}

TEST_F(ClientTest, EmptyFingerprintIsComputed) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  EXPECT_THAT(transport_->Requests().at(0).request.body,
              HasSubstr(Fingerprint(TestAlert().labels)));
}

TEST_F(ClientTest, ApiKeyNeverAppearsInAnErrorMessage) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(401, "invalid token: Bearer sk-secret-key-123");
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_FALSE(result.has_value());
  EXPECT_THAT(result.error().message, Not(HasSubstr("sk-secret-key-123")));
  EXPECT_THAT(result.error().message, HasSubstr("401"));
}

TEST_F(ClientTest, ShouldRetryFalseHeaderStopsRetriesOnServerError) {
  auto client = MakeClient(TestConfig());
  RespondNoRetry(503);
  transport_->Respond(200, kValidBody);
  EXPECT_EQ(client->ClassifyAlert(TestAlert()).error().attempts, 1);
  EXPECT_EQ(transport_->Requests().size(), 1u);
}

TEST_F(ClientTest, SlownessIsJudgedOnTheAttemptNotOnSleeps) {
  Config config = TestConfig();
  config.circuit_breaker.slow_call_duration = seconds(1);
  auto client = MakeClient(config);
  transport_->Respond(503, "", {{"Retry-After", "5"}});
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  CircuitBreakerStats stats = client->GetCircuitBreakerStats();
  EXPECT_EQ(stats.success_count, 1u);
  EXPECT_EQ(stats.slow_call_rate, 0.0);

  transport_->Respond(200, kValidBody, {}, seconds(2));
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  stats = client->GetCircuitBreakerStats();
  EXPECT_EQ(stats.failure_count, 1u);  // a slow success counts as a failure
  EXPECT_EQ(stats.slow_call_rate, 0.5);
}

struct RecordModeCase {
  const char* name;
  RecordMode mode;
  std::uint64_t total_calls;
  std::uint64_t failures;
};

class RecordModeTest : public ClientTest, public ::testing::WithParamInterface<RecordModeCase> {};

// Two failed attempts, then a success: per call the breaker sees one success, per attempt all
// three outcomes.
TEST_P(RecordModeTest, BreakerSeesTheOutcomesOfItsMode) {
  Config config = TestConfig();
  config.circuit_breaker.record = GetParam().mode;
  auto client = MakeClient(config);
  transport_->Respond(503);
  transport_->Respond(503);
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  const CircuitBreakerStats stats = client->GetCircuitBreakerStats();
  EXPECT_EQ(stats.total_calls, GetParam().total_calls);
  EXPECT_EQ(stats.failure_count, GetParam().failures);
  EXPECT_EQ(stats.success_count, 1u);
}

INSTANTIATE_TEST_SUITE_P(ClientTest, RecordModeTest,
                         ::testing::Values(RecordModeCase{"PerAttemptRecordsEveryAttempt",
                                                          RecordMode::kPerAttempt, 3, 2},
                                           RecordModeCase{"PerCallRecordsOnce",
                                                          RecordMode::kPerCall, 1, 0}),
                         CaseName<RecordModeCase>);

TEST_F(ClientTest, PerAttemptModeStopsWhenTheBreakerOpens) {
  Config config = TestConfig();
  config.circuit_breaker.record = RecordMode::kPerAttempt;
  config.circuit_breaker.max_failures = 2;
  auto client = MakeClient(config);
  for (int i = 0; i < 4; ++i) transport_->Respond(503);
  const auto result = client->ClassifyAlert(TestAlert());
  EXPECT_EQ(result.error().attempts, 2);
  EXPECT_EQ(transport_->Requests().size(), 2u);
  EXPECT_EQ(client->GetCircuitBreakerState(), CircuitState::kOpen);
}

TEST_F(ClientTest, InvalidResponseIsNotRetriedAndCountsAsFailure) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(200, "not json at all");
  transport_->Respond(200, kValidBody);
  ExpectFailure(client->ClassifyAlert(TestAlert()),
                {.code = ErrorCode::kInvalidResponse, .attempts = 1, .requests = 1});
  EXPECT_EQ(client->GetCircuitBreakerStats().failure_count, 1u);
}

TEST_F(ClientTest, OpenCircuitReturnsRetryAfterWithoutARequest) {
  Config config = TestConfig();
  config.circuit_breaker.max_failures = 1;
  config.circuit_breaker.reset_timeout = seconds(30);
  auto client = MakeClient(config);
  ASSERT_NO_FATAL_FAILURE(OpenTheBreaker(*client));
  clock_->Advance(seconds(10));
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_NO_FATAL_FAILURE(ExpectFailure(
      result, {.code = ErrorCode::kCircuitOpen, .attempts = 0, .requests = 1}));
  EXPECT_EQ(result.error().retry_after, std::optional<milliseconds>(seconds(20)));
}

TEST_F(ClientTest, NetworkErrorsAreRetried) {
  auto client = MakeClient(TestConfig());
  transport_->Fail(Error{ErrorCode::kNetworkError, "connection refused"});
  transport_->Respond(200, kValidBody);
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->attempts, 2);
}

TEST_F(ClientTest, RequestIdComesFromTheHeaderWhenTheBodyHasNone) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(200, kValidBody, {{"X-Request-Id", "req-42"}});
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->request_id, "req-42");
}

// The issue's bad input: a 1 MB annotation is either sent escaped, byte for byte, or refused
// by the configurable request limit — never truncated.
TEST_F(ClientTest, OneMegabyteAnnotationIsSentWhole_OrRefusedByMaxRequestBytes) {
  Alert alert = TestAlert();
  std::string big(1'000'000, 'a');
  big[10] = '"';
  big[20] = '\n';
  big[30] = '\x01';
  alert.annotations["description"] = big;

  Config roomy = TestConfig();
  roomy.max_request_bytes = 4 * 1024 * 1024;
  auto client = MakeClient(roomy);
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(alert).has_value());
  ASSERT_EQ(transport_->Requests().size(), 1u);
  const nlohmann::json sent = nlohmann::json::parse(transport_->Requests()[0].request.body);
  EXPECT_EQ(sent.at("alert").at("annotations").at("description").get<std::string>(), big);

  Config tight = TestConfig();
  tight.max_request_bytes = 512 * 1024;
  auto refusing = MakeClient(tight);
  const auto result = refusing->ClassifyAlert(alert);
  // Nothing more was sent.
  ASSERT_NO_FATAL_FAILURE(
      ExpectFailure(result, {.code = ErrorCode::kInvalidRequest, .requests = 1}));
  EXPECT_THAT(result.error().message, HasSubstr("over the limit of 524288 bytes"));
}

TEST_F(ClientTest, HealthSucceedsOnTwoHundred) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(200, "ok");
  EXPECT_TRUE(client->Health().has_value());
  const HttpRequest request = transport_->Requests().at(0).request;
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "http://llm.test:8080/health");
}

TEST_F(ClientTest, HealthFailsWithTheMappedErrorAndIsNotRecorded) {
  auto client = MakeClient(TestConfig());
  transport_->Respond(503);
  transport_->Respond(200);
  ExpectFailure(client->Health(),
                {.code = ErrorCode::kServerError, .http_status = 503, .requests = 1});
  EXPECT_EQ(client->GetCircuitBreakerStats().total_calls, 0u);
}

TEST_F(ClientTest, ConstructorThrowsOnInvalidConfig) {
  Config config = TestConfig();
  config.timeout = milliseconds(0);
  try {
    (void)MakeClient(config);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("timeout: must be > 0"));
  }
}

TEST_F(ClientTest, MetricsExistAtZeroFromStartUp) {
  auto client = MakeClient(TestConfig());
  ExpectLines(SerializeMetrics({client->GetCollectable()}), R"(
      llm_circuit_breaker_state 0
      llm_client_requests_total{category="success"} 0
      llm_client_requests_total{category="circuit_breaker_open"} 0
      llm_client_requests_total{category="unknown_error"} 0
      llm_client_attempts_total 0
      llm_client_retries_total 0
      llm_client_retry_budget_denials_total 0
      llm_client_attempt_duration_seconds_count 0
      llm_client_classifications_total{severity="critical",source="llm"} 0
      llm_client_classifications_total{severity="noise",source="fallback"} 0
      llm_client_fallbacks_total{reason="circuit_breaker_open"} 0
      llm_client_fallbacks_total{reason="unknown_error"} 0)");
}

TEST_F(ClientTest, MetricsCountCallsAttemptsRetriesAndSeverities) {
  Config config = TestConfig();
  config.circuit_breaker.enabled = false;
  auto client = MakeClient(config);
  transport_->Respond(503);
  transport_->Respond(200, kValidBody, {}, milliseconds(200));
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  for (int i = 0; i < 4; ++i) transport_->Respond(500);
  (void)client->ClassifyAlert(TestAlert());
  transport_->Respond(500);
  (void)client->ClassifyAlert(TestAlert());  // 4.1 tokens left: the budget refuses the retry
  ExpectLines(SerializeMetrics({client->GetCollectable()}), R"(
      llm_client_requests_total{category="success"} 1
      llm_client_requests_total{category="server_error"} 2
      llm_client_attempts_total 7
      llm_client_retries_total 4
      llm_client_retry_budget_denials_total 1
      llm_client_attempt_duration_seconds_count 7
      llm_client_attempt_duration_seconds_bucket{le="0.1"} 6
      llm_client_classifications_total{severity="warning",source="llm"} 1
      llm_client_fallbacks_total{reason="server_error"} 0)");
}

// The sample lines of an exposition, sorted: a registry orders families and series its own way.
std::vector<std::string> Samples(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// The registry option: the caller's registry carries exactly what the collectable shows.
TEST_F(ClientTest, CallerOwnedRegistryMirrorsTheCollectableAfterEveryCall) {
  Config config = TestConfig();
  config.circuit_breaker.max_failures = 2;
  config.circuit_breaker.minimum_calls = 5;  // only the consecutive-failure rule trips here
  auto client = MakeRegistryClient(config);
  // The registry's exposition, after checking it holds the same samples as the collectable's.
  const auto mirrored = [&] {
    const std::string text = SerializeMetrics({registry_});
    EXPECT_EQ(Samples(text), Samples(SerializeMetrics({client->GetCollectable()})));
    return text;
  };

  // Every family and series at 0 before any call (86 before the cache's 3 lookups and 1 gauge,
  // 90 before the limiter's 3 gauges and 3 reasons, 96 before the 10 redaction rules, the 6
  // severity disagreements and the 3 token types, 115 before the 17 samples of each of the
  // two gen_ai_client_token_usage series and of the one operation duration series).
  const std::string at_start = mirrored();
  EXPECT_EQ(Samples(at_start).size(), 166u);
  ExpectLines(at_start, R"(llm_client_requests_total{category="success"} 0)");

  transport_->Respond(503);
  transport_->Respond(200, kValidBody, {}, milliseconds(300));
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  (void)mirrored();
  // Mirroring twice adds nothing.
  transport_->Respond(400);
  (void)client->ClassifyAlert(TestAlert());
  (void)client->GetCollectable()->Collect();
  (void)mirrored();

  // Open the breaker: state gauge, transitions, rejections and histograms follow.
  for (int i = 0; i < 8; ++i) RespondNoRetry(500);
  (void)client->ClassifyAlert(TestAlert());
  (void)client->ClassifyAlert(TestAlert());
  ASSERT_EQ(client->GetCircuitBreakerState(), CircuitState::kOpen);
  (void)client->ClassifyAlert(TestAlert());
  ExpectLines(mirrored(), R"(
      llm_circuit_breaker_state 1
      llm_circuit_breaker_requests_blocked_total 1
      llm_client_attempt_duration_seconds_bucket{le="0.5"} 5)");
}

class EnableMetricsTest : public ClientTest, public ::testing::WithParamInterface<bool> {};

// Config::enable_metrics: on, a retried call, a fallback answer and a rejected call move the
// counters on the collectable and on the caller's registry; off, the client counts nothing,
// exports nothing and leaves the registry empty.
TEST_P(EnableMetricsTest, CountersMoveOnlyWhenMetricsAreEnabled) {
  Config config = FallbackConfig();
  config.enable_metrics = GetParam();
  config.circuit_breaker.max_failures = 2;
  config.circuit_breaker.minimum_calls = 5;  // only the consecutive-failure rule trips here
  auto client = MakeRegistryClient(config);
  transport_->Respond(503);
  transport_->Respond(200, kValidBody);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());
  for (int i = 0; i < 2; ++i) {
    RespondNoRetry(500);
    ASSERT_EQ(client->ClassifyAlert(TestAlert())->source, "fallback");
  }
  ASSERT_EQ(client->ClassifyAlert(TestAlert())->source, "fallback");  // the breaker is open

  const std::string text = SerializeMetrics({client->GetCollectable()});
  const std::string mirrored = SerializeMetrics({registry_});
  if (!GetParam()) {
    EXPECT_EQ(text, "");
    EXPECT_EQ(mirrored, "");
    return;
  }
  EXPECT_EQ(Samples(mirrored), Samples(text));
  ExpectLines(text, R"(
      llm_client_requests_total{category="success"} 1
      llm_client_requests_total{category="server_error"} 2
      llm_client_requests_total{category="circuit_breaker_open"} 1
      llm_client_attempts_total 4
      llm_client_retries_total 1
      llm_client_attempt_duration_seconds_count 4
      llm_client_fallbacks_total{reason="server_error"} 2
      llm_client_classifications_total{severity="warning",source="llm"} 1
      llm_circuit_breaker_requests_blocked_total 1)");
}

INSTANTIATE_TEST_SUITE_P(ClientTest, EnableMetricsTest, ::testing::Bool(), OnOff);

TEST_F(ClientTest, RegistryHoldingAClientNameWithAnotherTypeIsRefused) {
  prometheus::BuildGauge().Name("llm_client_attempts_total").Help("clash").Register(*registry_);
  EXPECT_THROW((void)MakeRegistryClient(TestConfig()), std::invalid_argument);
}

TEST_F(ClientTest, OpenBreakerWithRulesFallbackAnswersWithoutARequest) {
  Config config = FallbackConfig();
  config.circuit_breaker.max_failures = 1;
  auto client = MakeClient(config);
  ASSERT_NO_FATAL_FAILURE(OpenTheBreaker(*client));
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->source, "fallback");
  EXPECT_THAT(result->fallback_reason, ::testing::StartsWith("circuit_breaker_open: circuit open"));
  EXPECT_EQ(result->attempts, 0);
  EXPECT_EQ(result->severity, Severity::kWarning);
  EXPECT_EQ(result->category, "performance");
  EXPECT_LE(result->confidence, 0.6);
  EXPECT_EQ(transport_->Requests().size(), 1u);
  EXPECT_EQ(client->GetCircuitBreakerStats().blocked_count, 1u);
}

struct FallbackCase {
  const char* name;
  std::function<void(FakeTransport&)> script;
  const char* reason_prefix;
  int attempts;
};

class FallbackAnswerTest : public ClientTest, public ::testing::WithParamInterface<FallbackCase> {};

// The rules answer with the attempts that were sent, and the breaker still holds the real
// outcome against the server.
TEST_P(FallbackAnswerTest, RulesAnswerAndTheBreakerSeesTheFailure) {
  auto client = MakeClient(FallbackConfig());
  GetParam().script(*transport_);
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->source, "fallback");
  EXPECT_THAT(result->fallback_reason, ::testing::StartsWith(GetParam().reason_prefix));
  EXPECT_EQ(result->attempts, GetParam().attempts);
  EXPECT_EQ(transport_->Requests().size(), static_cast<std::size_t>(GetParam().attempts));
  EXPECT_EQ(client->GetCircuitBreakerStats().failure_count, 1u);
}

INSTANTIATE_TEST_SUITE_P(
    ClientTest, FallbackAnswerTest,
    ::testing::Values(FallbackCase{"ExhaustedRetries",
                                   [](FakeTransport& fake) {
                                     for (int i = 0; i < 4; ++i) fake.Respond(503, "overloaded");
                                   },
                                   "server_error: HTTP 503 from /classify: 'overloaded'", 4},
                      FallbackCase{
                          "GarbageAnswer",
                          [](FakeTransport& fake) { fake.Respond(200, "not json at all"); },
                          "invalid_response: ", 1},
                      FallbackCase{"NetworkErrors",
                                   [](FakeTransport& fake) {
                                     for (int i = 0; i < 4; ++i) {
                                       fake.Fail(Error{ErrorCode::kNetworkError, "refused"});
                                     }
                                   },
                                   "network_error: refused", 4}),
    CaseName<FallbackCase>);

TEST_F(ClientTest, LlmAnswerWithRulesFallbackKeepsSourceLlmAndNoReason) {
  auto client = MakeClient(FallbackConfig());
  transport_->Respond(200, kValidBody);
  const auto result = client->ClassifyAlert(TestAlert());
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->source, "llm");
  EXPECT_TRUE(result->fallback_reason.empty());
  EXPECT_EQ(result->confidence, 0.9);
}

TEST_F(ClientTest, FallbackMetricsCountTheRealErrorAndTheFallbackAnswer) {
  Config config = FallbackConfig();
  config.circuit_breaker.max_failures = 1;
  auto client = MakeClient(config);
  RespondNoRetry(503);
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());  // server_error, breaker opens
  ASSERT_TRUE(client->ClassifyAlert(TestAlert()).has_value());  // rejected by the breaker
  transport_->Respond(400);
  clock_->Advance(seconds(31));                                  // half-open: one probe
  ASSERT_FALSE(client->ClassifyAlert(TestAlert()).has_value());  // 400: no fallback
  ExpectLines(SerializeMetrics({client->GetCollectable()}), R"(
      llm_client_requests_total{category="server_error"} 1
      llm_client_requests_total{category="circuit_breaker_open"} 1
      llm_client_requests_total{category="client_error"} 1
      llm_client_requests_total{category="success"} 0
      llm_client_fallbacks_total{reason="server_error"} 1
      llm_client_fallbacks_total{reason="circuit_breaker_open"} 1
      llm_client_fallbacks_total{reason="client_error"} 0
      llm_client_classifications_total{severity="warning",source="fallback"} 2
      llm_client_classifications_total{severity="warning",source="llm"} 0)");
}

TEST_F(ClientTest, OneClientServesManyThreads) {
  Config config = TestConfig();
  config.circuit_breaker.max_failures = 1000;
  config.circuit_breaker.minimum_calls = 1000;
  auto client = MakeClient(config);
  HttpResponse ok;
  ok.status = 200;
  ok.body = kValidBody;
  transport_->SetDefault(Step{ok, milliseconds(1), {}});
  constexpr int kThreads = 8;
  constexpr int kCalls = 50;
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        if (client->ClassifyAlert(TestAlert()).has_value()) successes.fetch_add(1);
        (void)client->GetCircuitBreakerStats();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(successes.load(), kThreads * kCalls);
  EXPECT_EQ(client->GetCircuitBreakerStats().success_count,
            static_cast<std::uint64_t>(kThreads * kCalls));
}

int CountOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(ClientTest, FailureLogsAreRateLimitedAndNeverHoldTheKey) {
  Config config = TestConfig();
  config.circuit_breaker.max_failures = 3;
  auto client = MakeLoggingClient(config);
  for (int i = 0; i < 5; ++i) {
    RespondNoRetry(500, "echo: Bearer sk-secret-key-123");
    (void)client->ClassifyAlert(TestAlert());
  }
  EXPECT_EQ(CountOf(log_.str(), "classify failed"), 1);
  clock_->Advance(seconds(2));
  transport_->Respond(401, "Bearer sk-secret-key-123");
  (void)client->ClassifyAlert(TestAlert());  // the breaker is open: rejected, logged at debug
  clock_->Advance(seconds(60));
  transport_->Respond(401, "Bearer sk-secret-key-123");
  (void)client->ClassifyAlert(TestAlert());
  const std::string text = log_.str();
  EXPECT_EQ(CountOf(text, "classify failed"), 2);
  EXPECT_THAT(text, HasSubstr("similar lines suppressed"));
  EXPECT_THAT(text, HasSubstr("[warning] alertllm: circuit breaker closed -> open"));
  EXPECT_THAT(text, Not(HasSubstr("sk-secret-key-123")));
}

TEST_F(ClientTest, FallbackIsLoggedOnTheRateLimitedFailurePathWithoutTheKey) {
  auto client = MakeLoggingClient(FallbackConfig());
  for (int i = 0; i < 3; ++i) {
    RespondNoRetry(500, "echo: Bearer sk-secret-key-123");
    const auto result = client->ClassifyAlert(TestAlert());
    ASSERT_TRUE(result.has_value());
    EXPECT_THAT(result->fallback_reason, HasSubstr("server_error: HTTP 500"));
    EXPECT_THAT(result->fallback_reason, Not(HasSubstr("sk-secret-key-123")));
  }
  const std::string text = log_.str();
  EXPECT_EQ(CountOf(text, "classify failed"), 1);
  EXPECT_THAT(text, HasSubstr("answered by the fallback rules"));
  EXPECT_THAT(text, Not(HasSubstr("sk-secret-key-123")));
}

TEST(SystemClientClockTest, StopWakesTheSleepPromptly) {
  auto clock = MakeSystemClientClock();
  std::stop_source source;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(20));
    source.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(clock->SleepFor(seconds(10), source.get_token()));
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(2));
}

TEST(SystemClientClockTest, SleepWithoutStopReturnsTrue) {
  auto clock = MakeSystemClientClock();
  EXPECT_TRUE(clock->SleepFor(milliseconds(1), std::stop_token()));
}

}  // namespace
}  // namespace alertllm
