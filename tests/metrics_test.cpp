// SPDX-License-Identifier: Apache-2.0
#include "alertllm/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

namespace alertllm {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using TimePoint = std::chrono::steady_clock::time_point;

const TimePoint kT0 = TimePoint(std::chrono::hours(1000));

struct Fixture {
  Fixture() {
    CircuitBreakerConfig config;
    config.max_failures = 2;
    config.minimum_calls = 10;  // only the consecutive-failure rule trips here
    config.reset_timeout = seconds(30);
    breaker = std::make_shared<CircuitBreaker>(config);
  }
  std::shared_ptr<CircuitBreakerCollector> Collector(CircuitBreakerMetricsOptions options = {}) {
    options.clock = [this] { return now; };
    return std::make_shared<CircuitBreakerCollector>(breaker, std::move(options));
  }
  void Call(CallOutcome outcome, milliseconds duration) {
    const Permit p = breaker->Allow(now);
    if (p.admitted) breaker->Record(p, outcome, duration, now);
  }
  std::string Text(CircuitBreakerMetricsOptions options = {}) {
    return SerializeMetrics({Collector(std::move(options))});
  }

  std::shared_ptr<CircuitBreaker> breaker;
  TimePoint now = kT0;
};

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& families,
                                     const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(CircuitBreakerCollectorTest, ExportsTheSeedFamiliesWithTheirTypesAndHelp) {
  Fixture f;
  const auto families = f.Collector()->Collect();
  ASSERT_EQ(families.size(), 8u);
  const struct {
    const char* name;
    prometheus::MetricType type;
    const char* help;
  } expected[] = {
      {"llm_circuit_breaker_state", prometheus::MetricType::Gauge, metric_help::kState},
      {"llm_circuit_breaker_failures_total", prometheus::MetricType::Counter, metric_help::kFailures},
      {"llm_circuit_breaker_successes_total", prometheus::MetricType::Counter, metric_help::kSuccesses},
      {"llm_circuit_breaker_requests_blocked_total", prometheus::MetricType::Counter,
       metric_help::kRequestsBlocked},
      {"llm_circuit_breaker_half_open_requests_total", prometheus::MetricType::Counter,
       metric_help::kHalfOpenRequests},
      {"llm_circuit_breaker_slow_calls_total", prometheus::MetricType::Counter, metric_help::kSlowCalls},
      {"llm_circuit_breaker_state_changes_total", prometheus::MetricType::Counter,
       metric_help::kStateChanges},
      {"llm_circuit_breaker_call_duration_seconds", prometheus::MetricType::Histogram,
       metric_help::kCallDuration},
  };
  for (const auto& e : expected) {
    const auto* family = Find(families, e.name);
    ASSERT_NE(family, nullptr) << e.name;
    EXPECT_EQ(family->type, e.type) << e.name;
    EXPECT_EQ(family->help, e.help) << e.name;
  }
}

TEST(CircuitBreakerCollectorTest, HelpTextsAreTheSeedExpositionsWordForWord) {
  EXPECT_STREQ(metric_help::kState, "Current circuit breaker state (0=closed, 1=open, 2=half_open).");
  EXPECT_STREQ(metric_help::kRequestsBlocked,
               "Total number of requests rejected without calling the LLM because the breaker "
               "was open.");
}

TEST(CircuitBreakerCollectorTest, EverySeriesExistsAtZeroFromStartUp) {
  Fixture f;
  const std::string text = f.Text();
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_state 0\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_failures_total 0\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_successes_total 0\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_requests_blocked_total 0\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_half_open_requests_total 0\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_slow_calls_total 0\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_call_duration_seconds_count{result=\"success\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_call_duration_seconds_count{result=\"failure\"} 0\n"));
}

TEST(CircuitBreakerCollectorTest, PreCreatesAllSixStateChangePairs) {
  Fixture f;
  const std::string text = f.Text();
  for (const char* from : {"closed", "open", "half_open"}) {
    for (const char* to : {"closed", "open", "half_open"}) {
      const std::string series = std::string("llm_circuit_breaker_state_changes_total{from=\"") +
                                 from + "\",to=\"" + to + "\"} 0\n";
      if (std::string(from) == to) {
        EXPECT_THAT(text, ::testing::Not(HasSubstr(series)));
      } else {
        EXPECT_THAT(text, HasSubstr(series));
      }
    }
  }
}

TEST(CircuitBreakerCollectorTest, CountsATripAndTheBlockedCalls) {
  Fixture f;
  f.Call(CallOutcome::kSuccess, milliseconds(200));
  f.Call(CallOutcome::kFailure, milliseconds(50));
  f.Call(CallOutcome::kFailure, milliseconds(50));  // second consecutive failure: opens
  f.Call(CallOutcome::kSuccess, milliseconds(10));  // blocked
  const std::string text = f.Text();
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_state 1\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_failures_total 2\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_successes_total 1\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_requests_blocked_total 1\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_state_changes_total{from=\"closed\",to=\"open\"} 1\n"));
}

TEST(CircuitBreakerCollectorTest, StateGaugeIsReadFromTimeAtScrape) {
  Fixture f;
  f.breaker->ForceOpen(f.now);
  f.breaker->Reset(f.now);
  f.Call(CallOutcome::kFailure, milliseconds(1));
  f.Call(CallOutcome::kFailure, milliseconds(1));
  auto collector = f.Collector();
  f.now += seconds(29);
  EXPECT_THAT(SerializeMetrics({collector}), HasSubstr("llm_circuit_breaker_state 1\n"));
  f.now += seconds(1);  // open period over, no call made since: the gauge already says half_open
  EXPECT_THAT(SerializeMetrics({collector}), HasSubstr("llm_circuit_breaker_state 2\n"));
}

TEST(CircuitBreakerCollectorTest, CountsHalfOpenProbesAndSlowCalls) {
  Fixture f;
  f.Call(CallOutcome::kFailure, milliseconds(1));
  f.Call(CallOutcome::kFailure, milliseconds(1));
  f.now += seconds(30);
  f.Call(CallOutcome::kSuccess, seconds(4));  // a slow probe: a failure, and slow
  const std::string text = f.Text();
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_half_open_requests_total 1\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_slow_calls_total 1\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_failures_total 3\n"));
  EXPECT_THAT(text, HasSubstr("{from=\"open\",to=\"half_open\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("{from=\"half_open\",to=\"open\"} 1\n"));
}

TEST(CircuitBreakerCollectorTest, HistogramHasTheIssueBucketsCumulatively) {
  Fixture f;
  f.Call(CallOutcome::kSuccess, milliseconds(100));   // le=0.1 (inclusive)
  f.Call(CallOutcome::kSuccess, milliseconds(2500));  // le=3
  f.Call(CallOutcome::kSuccess, milliseconds(700));   // le=1
  const auto families = f.Collector()->Collect();
  const auto* duration = Find(families, "llm_circuit_breaker_call_duration_seconds");
  ASSERT_NE(duration, nullptr);
  ASSERT_EQ(duration->metric.size(), 2u);
  const auto& success = duration->metric[0];
  ASSERT_EQ(success.label.size(), 1u);
  EXPECT_EQ(success.label[0].value, "success");
  const std::vector<double> bounds = {0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30};
  const std::vector<std::uint64_t> cumulative = {1, 1, 1, 2, 2, 3, 3, 3, 3};
  ASSERT_EQ(success.histogram.bucket.size(), bounds.size());
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    EXPECT_DOUBLE_EQ(success.histogram.bucket[i].upper_bound, bounds[i]);
    EXPECT_EQ(success.histogram.bucket[i].cumulative_count, cumulative[i]) << bounds[i];
  }
  EXPECT_EQ(success.histogram.sample_count, 3u);
  EXPECT_DOUBLE_EQ(success.histogram.sample_sum, 3.3);
  EXPECT_THAT(f.Text(), HasSubstr("llm_circuit_breaker_call_duration_seconds_bucket{result=\"success\",le=\"+Inf\"} 3\n"));
}

TEST(CircuitBreakerCollectorTest, PrefixRenamesEveryFamily) {
  Fixture f;
  CircuitBreakerMetricsOptions options;
  options.prefix = "classify_breaker_";
  for (const auto& family : f.Collector(options)->Collect()) {
    EXPECT_EQ(family.name.rfind("classify_breaker_", 0), 0u) << family.name;
  }
}

TEST(CircuitBreakerCollectorTest, ConstantLabelsGoOnEverySample) {
  Fixture f;
  CircuitBreakerMetricsOptions options;
  options.const_labels = {{"breaker", "classify"}};
  std::size_t samples = 0;
  for (const auto& family : f.Collector(options)->Collect()) {
    for (const auto& metric : family.metric) {
      ++samples;
      ASSERT_FALSE(metric.label.empty());
      EXPECT_EQ(metric.label[0].name, "breaker");
      EXPECT_EQ(metric.label[0].value, "classify");
    }
  }
  EXPECT_EQ(samples, 6u + 6u + 2u);
  EXPECT_THAT(f.Text(options),
              HasSubstr("llm_circuit_breaker_state_changes_total{breaker=\"classify\",from=\"closed\",to=\"open\"} 0\n"));
}

TEST(CircuitBreakerCollectorTest, TwoBreakersShareOneExpositionByLabel) {
  Fixture a;
  Fixture b;
  b.Call(CallOutcome::kSuccess, milliseconds(1));
  CircuitBreakerMetricsOptions oa;
  oa.const_labels = {{"breaker", "a"}};
  CircuitBreakerMetricsOptions ob;
  ob.const_labels = {{"breaker", "b"}};
  const std::string text = SerializeMetrics({a.Collector(oa), b.Collector(ob)});
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_successes_total{breaker=\"a\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("llm_circuit_breaker_successes_total{breaker=\"b\"} 1\n"));
}

TEST(CircuitBreakerCollectorTest, RejectsInvalidPrefixNamingIt) {
  Fixture f;
  CircuitBreakerMetricsOptions options;
  options.prefix = "9bad-";
  try {
    (void)f.Collector(options);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("prefix: '9bad-'"));
  }
}

TEST(CircuitBreakerCollectorTest, RejectsReservedAndInvalidConstantLabels) {
  Fixture f;
  for (const char* bad : {"result", "le", "from", "to", "bad-name", "__reserved"}) {
    CircuitBreakerMetricsOptions options;
    options.const_labels = {{bad, "x"}};
    const auto created = CircuitBreakerCollector::Create(f.breaker, options);
    ASSERT_FALSE(created) << bad;
    EXPECT_EQ(created.error().code, ErrorCode::kInvalidConfig);
    EXPECT_THAT(created.error().message, HasSubstr(bad));
  }
}

TEST(CircuitBreakerCollectorTest, RejectsNullBreaker) {
  const auto created = CircuitBreakerCollector::Create(nullptr);
  ASSERT_FALSE(created);
  EXPECT_THAT(created.error().message, HasSubstr("breaker"));
  EXPECT_THROW(CircuitBreakerCollector(nullptr), std::invalid_argument);
}

TEST(CircuitBreakerCollectorTest, AttachingACollectorChangesNothingInTheBreaker) {
  Fixture f;
  auto collector = f.Collector();
  (void)collector->Collect();
  const CircuitBreakerStats stats = f.breaker->Stats(f.now);
  EXPECT_EQ(stats.total_calls, 0u);
  EXPECT_EQ(stats.blocked_count, 0u);
}

}  // namespace
}  // namespace alertllm
