// SPDX-License-Identifier: Apache-2.0
// What redaction (src/redact/) adds to a call, against encoding the same alert
// (EncodeClassifyRequest, proxy protocol), which every call pays once.
//
// The target: ≤ 10 µs per typical 2 KB alert. BM_Redact is the clean case every call
// pays (the combined check of every value, no copy); BM_RedactWithSecret an alert with one
// secret (the check, a copy of the alert, the per-rule pass over the value that matched). The
// BM_Hostile* pair is the 1 MB annotation of redaction_test.cpp: near-misses of every rule,
// and a match every few bytes.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "alertllm/alert.hpp"
#include "alertllm/config.hpp"
#include "codec/protocol.hpp"
#include "ratio_reporter.hpp"
#include "redact/redactor.hpp"

namespace {

using alertllm::Alert;
using alertllm::internal::RedactionCounts;
using alertllm::internal::Redactor;

// A typical Kubernetes alert, about 2 KB of labels and annotations.
Alert TypicalAlert(bool with_secret) {
  Alert alert;
  alert.alert_name = "KubePodCrashLooping";
  alert.labels = {{"alertname", "KubePodCrashLooping"},
                  {"cluster", "prod-eu-west-1"},
                  {"container", "checkout-api"},
                  {"endpoint", "http"},
                  {"instance", "10.42.17.201:8080"},
                  {"job", "kube-state-metrics"},
                  {"namespace", "payments"},
                  {"pod", "checkout-api-7d9f8b6c5d-x2k4q"},
                  {"prometheus", "monitoring/k8s"},
                  {"reason", "CrashLoopBackOff"},
                  {"service", "kube-state-metrics"},
                  {"severity", "warning"},
                  {"team", "payments-platform"}};
  std::string description =
      "Pod payments/checkout-api-7d9f8b6c5d-x2k4q (container checkout-api) is in waiting state "
      "(reason: CrashLoopBackOff) and has restarted 14 times in the last 15 minutes. The last "
      "termination reason was Error with exit code 1. Recent log lines from the container: "
      "'level=error msg=\"failed to connect to upstream\" upstream=ledger-svc.payments.svc:9090 "
      "err=\"context deadline exceeded\" retry_in=5s' and 'level=warn msg=\"readiness probe "
      "failed\" path=/healthz status=503'. The deployment was last rolled out 42 minutes ago by "
      "the CD pipeline (revision 318, image registry.example.com/payments/checkout-api:v2.31.4). "
      "Upstream ledger-svc reports p99 latency of 2.4s against an SLO of 300ms; the database "
      "connection pool is at 100% utilisation with 37 waiters. Node ip-10-42-17-201 shows "
      "memory pressure (92% used) and 3 evictions in the last hour. ";
  if (with_secret) description += "Connection string: password=Tr0ub4dor&3 host=db-primary. ";
  description +=
      "Consider rolling back to revision 317 if the error rate on /v1/checkout stays above 5% "
      "for another 10 minutes, and check the ledger-svc dashboards for saturation.";
  alert.annotations = {
      {"summary", "Pod payments/checkout-api-7d9f8b6c5d-x2k4q is crash looping."},
      {"description", std::move(description)},
      {"runbook_url",
       "https://runbooks.example.com/kubernetes/kubepodcrashlooping?cluster=prod-eu-west-1"},
      {"dashboard_url",
       "https://grafana.example.com/d/85a562078cdf77779eaa1add43ccec1e/kubernetes-pods?var-"
       "namespace=payments&var-pod=checkout-api-7d9f8b6c5d-x2k4q&from=now-1h&to=now"}};
  alert.starts_at = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
  alert.generator_url =
      "http://prometheus-k8s-0:9090/graph?g0.expr=rate%28kube_pod_container_"
      "status_restarts_total%5B10m%5D%29+%3E+0&g0.tab=1";
  alert.fingerprint = alertllm::Fingerprint(alert.labels);
  return alert;
}

// The 1 MB annotation of redaction_test.cpp.
Alert Hostile(bool hits) {
  const std::string piece =
      hits ? "token=abc password=x AKIAIOSFODNN7EXAMPLE https://u:p@h/ Bearer a1b2c3 "
           : "password rotation AKIAIOSFODNN7EXAMPL https://host:443/x eyJhbGciOi.eyJzdWIi "
             "bearer of news xoxo-hugs ghp_short -----BEGIN PUBLIC KEY----- token_count=5 "
             "https://user@host/ secretary: tokens: ";
  std::string text;
  while (text.size() < 1024 * 1024) text += piece;
  Alert alert;
  alert.fingerprint = "0123456789abcdef";
  alert.labels = {{"alertname", "Hostile"}};
  alert.annotations = {{"description", std::move(text)}};
  return alert;
}

void Encode(benchmark::State& state, const Alert& alert) {
  const alertllm::Config config;
  auto frame = alertllm::internal::MakeRequestFrame(config);
  if (!frame) return state.SkipWithError(frame.error().message.c_str());
  const std::size_t alert_bytes = alertllm::internal::EncodeAlertJson(alert)->size();
  for (auto _ : state) {
    auto body = alertllm::internal::EncodeClassifyRequest(alert, *frame, 4 * 1024 * 1024);
    benchmark::DoNotOptimize(body);
  }
  state.counters["alert_bytes"] = static_cast<double>(alert_bytes);
}

// What encode.cpp adds to a call: the screen of every value, and for an alert that needs it, a
// redacted copy.
void Redact(benchmark::State& state, const Alert& alert) {
  const Redactor redactor(alertllm::RedactionConfig{});
  std::uint64_t replaced = 0;
  for (auto _ : state) {
    RedactionCounts counts{};
    std::optional<Alert> copy = redactor.Redacted(alert, counts);
    benchmark::DoNotOptimize(copy);
    for (std::uint64_t count : counts) replaced += count;
  }
  state.counters["replaced/iter"] =
      benchmark::Counter(static_cast<double>(replaced), benchmark::Counter::kAvgIterations);
}

void BM_Encode(benchmark::State& state) { Encode(state, TypicalAlert(false)); }
void BM_Redact(benchmark::State& state) { Redact(state, TypicalAlert(false)); }
void BM_RedactWithSecret(benchmark::State& state) { Redact(state, TypicalAlert(true)); }
void BM_HostileEncode(benchmark::State& state) { Encode(state, Hostile(false)); }
void BM_HostileRedactNearMisses(benchmark::State& state) { Redact(state, Hostile(false)); }
void BM_HostileRedactHits(benchmark::State& state) { Redact(state, Hostile(true)); }

BENCHMARK(BM_Encode);
BENCHMARK(BM_Redact);
BENCHMARK(BM_RedactWithSecret);
BENCHMARK(BM_HostileEncode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HostileRedactNearMisses)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HostileRedactHits)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  return alertllm::bench::RunWithRatios(
      argc, argv, {{"BM_Redact", "BM_Encode"}, {"BM_Hostile", "BM_HostileEncode"}});
}
