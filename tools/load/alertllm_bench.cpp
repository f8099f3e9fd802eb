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
#include <string>
#include <string_view>
#include <thread>
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
    "Every other setting comes from the LLM_* environment variables (see the README).\n"
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

}  // namespace

int main(int argc, char** argv) try {
  std::string url;
  std::string protocol;
  std::string model;
  bool has_model = false;
  long long requests = 10000;
  long long threads = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) return UsageError("missing value after " + std::string(arg));
    const std::string_view value = argv[++i];
    if (arg == "--url") {
      url = value;
    } else if (arg == "--protocol") {
      protocol = value;
    } else if (arg == "--model") {
      model = value;
      has_model = true;
    } else if (arg == "--requests") {
      if (!ParseCount(value, 1, requests)) {
        return UsageError("--requests: '" + std::string(value) + "' is not a count ≥ 1");
      }
    } else if (arg == "--threads") {
      if (!ParseCount(value, 1, threads) || threads > 1024) {
        return UsageError("--threads: '" + std::string(value) + "' is not a count in 1..1024");
      }
    } else {
      return UsageError("unknown option " + std::string(arg));
    }
  }
  if (url.empty()) return UsageError("--url is required");

  alertllm::Result<alertllm::Config> config = alertllm::ConfigFromEnv();
  if (!config) return UsageError("environment: " + config.error().message);
  config->base_url = url;
  if (protocol == "openai") {
    config->protocol = alertllm::Protocol::kOpenAI;
  } else if (protocol == "proxy") {
    config->protocol = alertllm::Protocol::kProxy;
  } else if (!protocol.empty()) {
    return UsageError("--protocol: '" + protocol + "' is not proxy or openai");
  }
  if (has_model) config->model = model;
  if (auto valid = alertllm::Validate(*config); !valid) return UsageError(valid.error().message);

  alertllm::HttpLlmClient client(*config);
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
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu_start;

  std::printf("requests=%lld seconds=%.3f req/s=%.0f cpu_us_per_req=%.1f errors=%lld\n", requests,
              seconds, static_cast<double>(requests) / seconds,
              cpu * 1e6 / static_cast<double>(requests), errors.load());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "alertllm-bench: %s\n", e.what());
  return 1;
}
