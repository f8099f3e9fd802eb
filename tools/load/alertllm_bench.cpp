// SPDX-License-Identifier: Apache-2.0
// alertllm-bench: a small load tool. Sends --requests ClassifyAlert calls with one sample alert
// through one HttpLlmClient shared by --threads threads and prints one line:
//
//   requests=N seconds=S req/s=R cpu_us_per_req=C errors=E
//
// or, in storm mode (--alerts), classifies N alerts of D fingerprints with one ClassifyAlerts
// call and prints how far the run was from the ideal (kUsage says how that is computed).
//
// seconds is wall time of the whole run, cpu_us_per_req this process's user+system CPU divided
// by N (the server is another process, so only the client is counted), errors the calls that
// returned an error. Configuration comes from the LLM_* variables (ConfigFromEnv), then the
// flags. Any HTTP server speaking the protocol will do: alertllm-bench-server (a fixed-answer
// server, this directory), the mock proxy, nginx returning a fixed body, or a real LLM proxy.
#include <alertllm/alert.hpp>
#include <alertllm/client.hpp>
#include <alertllm/env.hpp>
#include <alertllm/metrics.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "sample_alert.hpp"

namespace {

constexpr const char* kUsage =
    "Usage: alertllm-bench --url URL [--protocol proxy|openai] [--requests N] [--threads T]\n"
    "                      [--model NAME]\n"
    "       alertllm-bench --url URL --alerts N [--distinct D] [--concurrency C]\n"
    "                      [--latency-ms L] [--max-in-flight Q] [--protocol P] [--model NAME]\n"
    "\n"
    "Sends N ClassifyAlert calls (one sample HighCPUUsage alert) through one HttpLlmClient\n"
    "shared by T threads and prints one line:\n"
    "\n"
    "  requests=N seconds=S req/s=R cpu_us_per_req=C errors=E\n"
    "\n"
    "Storm mode (--alerts): N alerts of D distinct fingerprints (alert i is the sample alert\n"
    "with instance node-(i % D)) classified by one ClassifyAlerts call, the cache on; prints:\n"
    "\n"
    "  alerts=N distinct=D llm_requests=R seconds=S ideal_seconds=I ratio=S/I answered=A errors=E\n"
    "\n"
    "where R is the HTTP requests the client sent (llm_client_attempts_total, retries\n"
    "included), I = ceil(D / min(C, Q)) * L / 1000 (the time D requests take C at a time\n"
    "against a server answering in L ms, at most Q at once), ratio n/a when I is 0, A the\n"
    "alerts that got a classification and E those that got an error.\n"
    "\n"
    "  --url URL           base URL of the server (e.g. http://127.0.0.1:8080); overrides\n"
    "                      LLM_BASE_URL\n"
    "  --protocol P        proxy (POST /classify) or openai (POST /v1/chat/completions);\n"
    "                      overrides LLM_PROTOCOL (default proxy)\n"
    "  --requests N        calls in total (default 10000)\n"
    "  --threads T         calling threads sharing the client (default 1)\n"
    "  --model NAME        model name sent; overrides LLM_MODEL\n"
    "  --alerts N          storm mode: alerts in the one ClassifyAlerts call\n"
    "  --distinct D        storm mode: distinct fingerprints among them, 1..N (default N)\n"
    "  --concurrency C     storm mode: requests in flight at most, 1..1024; overrides\n"
    "                      LLM_MAX_IN_FLIGHT (default 16)\n"
    "  --latency-ms L      storm mode: the server's answer time in ms, for ideal_seconds only\n"
    "                      (the bench does not measure it; default 0)\n"
    "  --max-in-flight Q   storm mode: the server's quota of requests in flight, for\n"
    "                      ideal_seconds only (default: none, i.e. C)\n"
    "  -h, --help          this text\n"
    "\n"
    "Every other setting comes from the LLM_* environment variables (see the README), but\n"
    "the client's cache is off (every call sends a request) and, in storm mode, on, with\n"
    "metrics on.\n"
    "cpu_us_per_req is this process's user+system CPU time per call.\n"
    "Exit status: 0 when the run completed (errors are counted, not fatal; in storm mode: when\n"
    "every alert got a classification, else 1), 2 on usage errors.\n";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "alertllm-bench: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

bool ParseCount(std::string_view text, long long min, long long& out) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min) return false;
  out = value;
  return true;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The command line as given; empty strings are flags that were not passed.
struct Flags {
  std::string url;
  std::string protocol;
  std::string model;
  bool has_model = false;
  long long requests = 10000;
  long long threads = 1;
  bool requests_mode_given = false;  // --requests or --threads
  // Storm mode when alerts > 0; 0 below: not given.
  long long alerts = 0;
  long long distinct = 0;
  long long concurrency = 0;
  long long latency_ms = 0;
  long long server_max_in_flight = 0;
};

// Sets the flag `arg` to `value`; the exit status (2, printed) when either is bad.
std::optional<int> ApplyFlag(std::string_view arg, std::string_view value, Flags& flags) {
  const auto count = [&](long long min, long long max, long long& out) -> std::optional<int> {
    if (ParseCount(value, min, out) && out <= max) return std::nullopt;
    return UsageError(std::string(arg) + ": '" + std::string(value) + "' is not a count in " +
                      std::to_string(min) + ".." + std::to_string(max));
  };
  if (arg == "--url") {
    flags.url = value;
  } else if (arg == "--protocol") {
    flags.protocol = value;
  } else if (arg == "--model") {
    flags.model = value;
    flags.has_model = true;
  } else if (arg == "--requests" || arg == "--threads") {
    flags.requests_mode_given = true;
    return arg == "--requests" ? count(1, 1LL << 40, flags.requests)
                               : count(1, 1024, flags.threads);
  } else if (arg == "--alerts") {
    return count(1, 10000000, flags.alerts);
  } else if (arg == "--distinct") {
    return count(1, 10000000, flags.distinct);
  } else if (arg == "--concurrency") {
    return count(1, 1024, flags.concurrency);
  } else if (arg == "--latency-ms") {
    return count(0, 3600000, flags.latency_ms);
  } else if (arg == "--max-in-flight") {
    return count(1, 1000000, flags.server_max_in_flight);
  } else {
    return UsageError("unknown option " + std::string(arg));
  }
  return std::nullopt;
}

// Fills `flags` from argv. Returns the exit status when main should stop here: 0 after --help,
// 2 after a usage error (already printed).
std::optional<int> ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) return UsageError("missing value after " + std::string(arg));
    if (auto status = ApplyFlag(arg, argv[++i], flags)) return status;
  }
  if (flags.url.empty()) return UsageError("--url is required");
  const bool storm_flag = flags.distinct > 0 || flags.concurrency > 0 || flags.latency_ms > 0 ||
                          flags.server_max_in_flight > 0;
  if (flags.alerts == 0 && storm_flag) {
    return UsageError("--distinct, --concurrency, --latency-ms and --max-in-flight need --alerts");
  }
  if (flags.alerts > 0 && flags.requests_mode_given) {
    return UsageError("--alerts does not go with --requests or --threads");
  }
  if (flags.distinct > flags.alerts) return UsageError("--distinct must not exceed --alerts");
  if (flags.alerts > 0 && flags.distinct == 0) flags.distinct = flags.alerts;
  return std::nullopt;
}

// The LLM_* variables overridden by the flags, validated. Returns the exit status (2, usage
// error printed) when there is no usable configuration.
std::optional<int> BuildConfig(const Flags& flags, alertllm::Config& out) {
  alertllm::Result<alertllm::Config> config = alertllm::ConfigFromEnv();
  if (!config) return UsageError("environment: " + config.error().message);
  config->base_url = flags.url;
  // One sample alert sent N times measures the HTTP path only if every call asks the server; a
  // storm measures the sharing, and counts requests with the metrics.
  config->cache.enabled = flags.alerts > 0;
  if (flags.alerts > 0) config->enable_metrics = true;
  if (flags.concurrency > 0)
    config->concurrency.max_in_flight = static_cast<int>(flags.concurrency);
  if (!flags.protocol.empty()) {
    const alertllm::Result<alertllm::Protocol> protocol = alertllm::ParseProtocol(flags.protocol);
    if (!protocol) {
      return UsageError("--protocol: '" + flags.protocol + "' " + protocol.error().message);
    }
    config->protocol = *protocol;
  }
  if (flags.has_model) config->model = flags.model;
  if (auto valid = alertllm::Validate(*config); !valid) return UsageError(valid.error().message);
  out = std::move(*config);
  return std::nullopt;
}

struct RunStats {
  double seconds = 0;  // wall time of the whole run
  double cpu = 0;      // this process's user+system CPU time over the run
  long long errors = 0;
};

// Sends `requests` calls through one client shared by `threads` threads (this one included).
// Only the first error is printed, so a dead server does not flood stderr.
RunStats Run(const alertllm::Config& config, long long requests, long long threads) {
  alertllm::HttpLlmClient client(config);
  const alertllm::Alert alert = alertllm::bench::SampleAlert();
  std::atomic<long long> next{0};
  std::atomic<long long> errors{0};
  std::atomic<bool> first_error_printed{false};
  const auto work = [&] {
    while (next.fetch_add(1, std::memory_order_relaxed) < requests) {
      const auto result = client.ClassifyAlert(alert);
      if (!result) {
        errors.fetch_add(1, std::memory_order_relaxed);
        if (!first_error_printed.exchange(true)) {
          std::fprintf(stderr, "alertllm-bench: first error: %s: %s\n",
                       alertllm::ClassifyError(result.error()).data(),
                       result.error().message.c_str());
        }
      }
    }
  };

  const double cpu_start = CpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (long long t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  RunStats stats;
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats.cpu = CpuSeconds() - cpu_start;
  stats.errors = errors.load();
  return stats;
}

// The one output line; its format is what scripts and the README parse.
void Report(long long requests, const RunStats& stats) {
  std::printf("requests=%lld seconds=%.3f req/s=%.0f cpu_us_per_req=%.1f errors=%lld\n", requests,
              stats.seconds, static_cast<double>(requests) / stats.seconds,
              stats.cpu * 1e6 / static_cast<double>(requests), stats.errors);
}

// N alerts of D fingerprints: alert i is the sample alert on instance node-(i % D).
std::vector<alertllm::Alert> StormAlerts(long long n, long long d) {
  std::vector<alertllm::Alert> alerts;
  alerts.reserve(static_cast<std::size_t>(n));
  for (long long i = 0; i < n; ++i) {
    alertllm::Alert alert = alertllm::bench::SampleAlert();
    alert.labels["instance"] = "node-" + std::to_string(i % d);
    alert.fingerprint = alertllm::Fingerprint(alert.labels);
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

// The value of the unlabelled series `name` in Prometheus text, 0 if absent.
double MetricValue(const std::string& text, std::string_view name) {
  std::size_t at = 0;
  while ((at = text.find(name, at)) != std::string::npos) {
    const bool line_start = at == 0 || text[at - 1] == '\n';
    at += name.size();
    if (line_start && at < text.size() && text[at] == ' ')
      return std::strtod(&text[at + 1], nullptr);
  }
  return 0;
}

// Classifies the storm with one ClassifyAlerts call, prints its line; the exit status.
int RunStorm(const alertllm::Config& config, const Flags& flags) {
  const std::vector<alertllm::Alert> alerts = StormAlerts(flags.alerts, flags.distinct);
  alertllm::HttpLlmClient client(config);
  const auto start = std::chrono::steady_clock::now();
  const auto results = client.ClassifyAlerts(alerts);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long long answered = 0;
  const alertllm::Error* first_error = nullptr;
  for (const auto& result : results) {
    if (result) {
      ++answered;
    } else if (first_error == nullptr) {
      first_error = &result.error();
    }
  }
  if (first_error != nullptr) {
    std::fprintf(stderr, "alertllm-bench: first error: %s: %s\n",
                 alertllm::ClassifyError(*first_error).data(), first_error->message.c_str());
  }
  const long long c = config.concurrency.max_in_flight;
  const long long q = flags.server_max_in_flight > 0 ? flags.server_max_in_flight : c;
  const long long width = std::min(c, q);
  const double ideal = static_cast<double>((flags.distinct + width - 1) / width) *
                       static_cast<double>(flags.latency_ms) / 1000.0;
  const double requests = MetricValue(alertllm::SerializeMetrics({client.GetCollectable()}),
                                      "llm_client_attempts_total");
  const long long errors = static_cast<long long>(results.size()) - answered;
  std::string ratio = "n/a";
  if (ideal > 0) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f", seconds / ideal);
    ratio = buffer;
  }
  std::printf(
      "alerts=%lld distinct=%lld llm_requests=%.0f seconds=%.3f ideal_seconds=%.3f "
      "ratio=%s answered=%lld errors=%lld\n",
      flags.alerts, flags.distinct, requests, seconds, ideal, ratio.c_str(), answered, errors);
  return answered == flags.alerts ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) try {
  Flags flags;
  if (const std::optional<int> status = ParseFlags(argc, argv, flags)) return *status;
  alertllm::Config config;
  if (const std::optional<int> status = BuildConfig(flags, config)) return *status;
  if (flags.alerts > 0) return RunStorm(config, flags);
  Report(flags.requests, Run(config, flags.requests, flags.threads));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "alertllm-bench: %s\n", e.what());
  return 1;
}
