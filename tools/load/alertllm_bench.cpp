// SPDX-License-Identifier: Apache-2.0
// alertllm-bench: a small load tool. Sends --requests ClassifyAlert calls with one sample alert
// through one HttpLlmClient shared by --threads threads and prints one line:
//
//   requests=N seconds=S req/s=R cpu_us_per_req=C errors=E
//
// seconds is wall time of the whole run, cpu_us_per_req this process's user+system CPU divided
// by N (the server is another process, so only the client is counted), errors the calls that
// returned an error. Configuration comes from the LLM_* variables (ConfigFromEnv), then the
// flags. Any HTTP server speaking the protocol will do: alertllm-bench-server (a fixed-answer
// server, this directory), the mock proxy, nginx returning a fixed body, or a real LLM proxy.
#include <alertllm/alert.hpp>
#include <alertllm/client.hpp>
#include <alertllm/env.hpp>

#include <sys/resource.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
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
    "\n"
    "Sends N ClassifyAlert calls (one sample HighCPUUsage alert) through one HttpLlmClient\n"
    "shared by T threads and prints one line:\n"
    "\n"
    "  requests=N seconds=S req/s=R cpu_us_per_req=C errors=E\n"
    "\n"
    "  --url URL           base URL of the server (e.g. http://127.0.0.1:8080); overrides\n"
    "                      LLM_BASE_URL\n"
    "  --protocol P        proxy (POST /classify) or openai (POST /v1/chat/completions);\n"
    "                      overrides LLM_PROTOCOL (default proxy)\n"
    "  --requests N        calls in total (default 10000)\n"
    "  --threads T         calling threads sharing the client (default 1)\n"
    "  --model NAME        model name sent; overrides LLM_MODEL\n"
    "  -h, --help          this text\n"
    "\n"
    "Every other setting comes from the LLM_* environment variables (see the README), but\n"
    "the client's cache is off: every call sends a request.\n"
    "cpu_us_per_req is this process's user+system CPU time per call.\n"
    "Exit status: 0 when the run completed (errors are counted, not fatal), 2 on usage errors.\n";

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
};

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
    const std::string_view value = argv[++i];
    if (arg == "--url") {
      flags.url = value;
    } else if (arg == "--protocol") {
      flags.protocol = value;
    } else if (arg == "--model") {
      flags.model = value;
      flags.has_model = true;
    } else if (arg == "--requests") {
      if (!ParseCount(value, 1, flags.requests)) {
        return UsageError("--requests: '" + std::string(value) + "' is not a count ≥ 1");
      }
    } else if (arg == "--threads") {
      if (!ParseCount(value, 1, flags.threads) || flags.threads > 1024) {
        return UsageError("--threads: '" + std::string(value) + "' is not a count in 1..1024");
      }
    } else {
      return UsageError("unknown option " + std::string(arg));
    }
  }
  if (flags.url.empty()) return UsageError("--url is required");
  return std::nullopt;
}

// The LLM_* variables overridden by the flags, validated. Returns the exit status (2, usage
// error printed) when there is no usable configuration.
std::optional<int> BuildConfig(const Flags& flags, alertllm::Config& out) {
  alertllm::Result<alertllm::Config> config = alertllm::ConfigFromEnv();
  if (!config) return UsageError("environment: " + config.error().message);
  config->base_url = flags.url;
  // One sample alert sent N times measures the HTTP path only if every call asks the server.
  config->cache.enabled = false;
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

}  // namespace

int main(int argc, char** argv) try {
  Flags flags;
  if (const std::optional<int> status = ParseFlags(argc, argv, flags)) return *status;
  alertllm::Config config;
  if (const std::optional<int> status = BuildConfig(flags, config)) return *status;
  Report(flags.requests, Run(config, flags.requests, flags.threads));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "alertllm-bench: %s\n", e.what());
  return 1;
}
