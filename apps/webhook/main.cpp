// SPDX-License-Identifier: Apache-2.0
// alertllm-webhook: Alertmanager's webhook receiver. Classifies every alert of each
// notification with HttpLlmClient and serves /alerts, /healthz and /metrics (README: "Webhook
// service").
#include <alertllm/client.hpp>
#include <alertllm/config.hpp>
#include <alertllm/env.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <pthread.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "webhook_service.hpp"

namespace {

constexpr const char* kUsage = R"(Usage: alertllm-webhook [flags]

Receives Prometheus Alertmanager webhook notifications and classifies every alert with the
LLM (circuit breaker, retries, optional rule-based fallback). Configured from the LLM_*
environment variables (README: Configuration); the flags below override them.

Flags:
  --listen HOST:PORT    where to serve /alerts, /healthz and /metrics
                        (default 127.0.0.1:9095; port 0: any free port)
  --metrics-port N      serve /metrics on HOST:N instead of the main port (0: any free port)
  --base-url URL        LLM endpoint (LLM_BASE_URL)
  --protocol P          proxy or openai (LLM_PROTOCOL)
  --model NAME          model name (LLM_MODEL)
  --fallback MODE       none or rules (LLM_FALLBACK)
  --timeout DURATION    per-attempt timeout, Go syntax: 30s, 1.5s, 500ms (LLM_TIMEOUT)
  --concurrency N       alerts of one notification classified at once, 1..64 (default 4)
  --help                print this text and exit

Endpoints:
  POST /alerts    Alertmanager notification (at most 4 MiB) -> 200 {"classifications":[...]},
                  one per alert in order; 400 {"error": ...} if the body does not parse,
                  413 if it is too large
  GET  /healthz   200 {"status":"healthy","llm":{"circuit_breaker_state":...,...}}
  GET  /metrics   Prometheus text format 0.0.4

Prints "listening on http://HOST:PORT" on stdout once the port is bound; logs to stderr.
SIGINT or SIGTERM: cancels classifications in flight, stops, exits 0.
Exit status: 0 after a signal, 1 if the port cannot be bound, 2 for bad flags or config.
)";

struct Flags {
  std::string host = "127.0.0.1";
  int port = 9095;
  std::optional<int> metrics_port;
  std::optional<std::string> base_url;
  std::optional<std::string> protocol;
  std::optional<std::string> model;
  std::optional<std::string> fallback;
  std::optional<std::string> timeout;
  int concurrency = 4;
  bool help = false;
};

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "alertllm-webhook: " << message << "\n(see alertllm-webhook --help)\n";
  std::exit(2);
}

int ParsePort(std::string_view text, std::string_view flag) {
  if (text.empty() || text.size() > 5)
    Fail(std::string(flag) + ": bad port '" + std::string(text) + "'");
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') Fail(std::string(flag) + ": bad port '" + std::string(text) + "'");
    port = port * 10 + (c - '0');
  }
  if (port > 65535) Fail(std::string(flag) + ": port " + std::string(text) + " is above 65535");
  return port;
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    auto take = [&]() -> std::string {
      if (value) return std::string(*value);
      if (i + 1 >= args.size()) Fail(std::string(name) + " needs a value");
      return std::string(args[++i]);
    };
    if (name == "--listen") {
      const std::string listen = take();
      const auto colon = listen.rfind(':');
      if (colon == std::string::npos || colon == 0) {
        Fail("--listen: expected HOST:PORT, got '" + listen + "'");
      }
      flags.host = listen.substr(0, colon);
      flags.port = ParsePort(std::string_view(listen).substr(colon + 1), "--listen");
    } else if (name == "--metrics-port") {
      flags.metrics_port = ParsePort(take(), "--metrics-port");
    } else if (name == "--base-url") {
      flags.base_url = take();
    } else if (name == "--protocol") {
      flags.protocol = take();
    } else if (name == "--model") {
      flags.model = take();
    } else if (name == "--fallback") {
      flags.fallback = take();
    } else if (name == "--timeout") {
      flags.timeout = take();
    } else if (name == "--concurrency") {
      const std::string text = take();
      const int n = ParsePort(text, "--concurrency");
      if (n < 1 || n > 64) Fail("--concurrency: must be in 1..64, got " + text);
      flags.concurrency = n;
    } else {
      Fail("unknown flag '" + std::string(arg) + "'");
    }
  }
  return flags;
}

alertllm::Config BuildConfig(const Flags& flags) {
  alertllm::Result<alertllm::Config> from_env = alertllm::ConfigFromEnv();
  if (!from_env) Fail(from_env.error().message);
  alertllm::Config config = *from_env;
  if (flags.base_url) config.base_url = *flags.base_url;
  if (flags.model) config.model = *flags.model;
  if (flags.protocol) {
    if (*flags.protocol == "proxy") {
      config.protocol = alertllm::Protocol::kProxy;
    } else if (*flags.protocol == "openai") {
      config.protocol = alertllm::Protocol::kOpenAI;
    } else {
      Fail("--protocol: expected proxy or openai, got '" + *flags.protocol + "'");
    }
  }
  if (flags.fallback) {
    if (*flags.fallback == "none") {
      config.fallback = alertllm::FallbackMode::kNone;
    } else if (*flags.fallback == "rules") {
      config.fallback = alertllm::FallbackMode::kRules;
    } else {
      Fail("--fallback: expected none or rules, got '" + *flags.fallback + "'");
    }
  }
  if (flags.timeout) {
    auto d = alertllm::ParseDuration(*flags.timeout);
    if (!d) Fail("--timeout: " + d.error().message);
    config.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  if (auto valid = alertllm::Validate(config); !valid) Fail(valid.error().message);
  return config;
}

// The base URL without any user:password@ part, for the log.
std::string Redacted(std::string url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    url.replace(scheme + 3, at - scheme - 3, "***");
  }
  return url;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  if (flags.help) {
    std::cout << kUsage;
    return 0;
  }
  const alertllm::Config config = BuildConfig(flags);

  // Blocked before any thread starts, so every thread inherits the mask and the signals reach
  // only the sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto logger = spdlog::stderr_color_mt("alertllm-webhook");
  try {
    auto client = std::make_shared<alertllm::HttpLlmClient>(config, logger);
    alertllm::webhook::WebhookServiceOptions options;
    options.host = flags.host;
    options.port = flags.port;
    options.metrics_port = flags.metrics_port;
    options.concurrency = flags.concurrency;
    options.logger = logger;
    alertllm::webhook::WebhookService service(client, std::move(options));
    if (auto started = service.Start(); !started) {
      std::cerr << "alertllm-webhook: " << started.error().message << "\n";
      return 1;
    }
    std::cout << "listening on http://" << flags.host << ":" << service.port() << std::endl;
    logger->info("base_url={} protocol={} model={} fallback={} timeout={}ms",
                 Redacted(config.base_url), alertllm::ToString(config.protocol), config.model,
                 alertllm::ToString(config.fallback), config.timeout.count());

    int received = 0;
    sigwait(&signals, &received);
    logger->info("{} received, shutting down", received == SIGINT ? "SIGINT" : "SIGTERM");
    service.Stop();
  } catch (const std::exception& e) {
    std::cerr << "alertllm-webhook: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
