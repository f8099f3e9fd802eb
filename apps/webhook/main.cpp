// SPDX-License-Identifier: Apache-2.0
// alertllm-webhook: Alertmanager's webhook receiver. Classifies every alert of each
// notification with HttpLlmClient and serves /alerts, /healthz and /metrics (README: "Webhook
// service").
#include <alertllm/client.hpp>
#include <alertllm/config.hpp>
#include <alertllm/detail/masked_url.hpp>
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

#include "flag_set.hpp"
#include "llm_flags.hpp"
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
  --concurrency N       most LLM requests in flight for the whole service, 1..1024
                        (LLM_MAX_IN_FLIGHT, default 16)
  --auth-token-file PATH
                        require "Authorization: Bearer <token>" on /alerts, the token read
                        from PATH (ALERTLLM_WEBHOOK_TOKEN_FILE; the flag wins)
  --auth-all            with a token: require it on /healthz and /metrics too
  --max-alerts-per-notification N
                        a notification of more alerts is answered 413, nothing
                        classified, 1..100000 (default 1000)
  --shutdown-grace DURATION
                        on SIGTERM, how long notifications in flight may take to
                        finish before they are answered 503 (default 10s)
  --help                print this text and exit

Endpoints:
  POST /alerts    Alertmanager notification (at most 4 MiB) -> 200 {"classifications":[...]},
                  one per alert in order (with LLM_CACHE_ENABLED, one LLM request per
                  distinct alert: repeats, here or in other notifications, share it);
                  400 {"error": ...} if the body does not parse; 413 if it is too large
                  or holds too many alerts; 415 for a Content-Encoding (never inflated);
                  401 with WWW-Authenticate: Bearer, nothing classified, without the token;
                  a client that disconnects cancels its notification's classifications
  GET  /healthz   200 {"status":"healthy","llm":{"circuit_breaker_state":...,...}}
  GET  /metrics   Prometheus text format 0.0.4

Limits: a request must arrive whole (headers and body) within 10s, else 408; at most
4096 connections (256 per client address), else 503; idle keep-alive connections close
after 60s. Every error body is {"error":"<what was wrong>"}.

Prints "listening on http://HOST:PORT" on stdout once the port is bound; logs to stderr.
SIGINT or SIGTERM: stops accepting at once; notifications in flight get --shutdown-grace
to finish, then each unfinished one is answered 503 with Retry-After (Alertmanager sends
it again) and its classifications are cancelled; exits 0 within the grace + 1s.
Exit status: 0 after a signal, 1 if the port cannot be bound, 2 for bad flags or config
(a token file that cannot be read, is empty or holds more than one token included).
)";

constexpr std::chrono::milliseconds kDefaultShutdownGrace = std::chrono::seconds(10);

struct Flags {
  std::string host = "127.0.0.1";
  int port = 9095;
  std::optional<int> metrics_port;
  alertllm::apps::LlmFlags llm;      // --base-url, --protocol, --model, --fallback, --timeout
  std::optional<int> max_in_flight;  // --concurrency
  std::optional<std::string> auth_token_file;
  bool auth_all = false;
  int max_alerts_per_notification = 1000;
  std::optional<std::chrono::milliseconds> shutdown_grace;
  bool help = false;
};

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "alertllm-webhook: " << message << "\n(see alertllm-webhook --help)\n";
  std::exit(2);
}

// "HOST:PORT" into flags.host and flags.port; the error as FlagSet::ValueParser returns it.
std::optional<std::string> ParseListen(std::string_view text, Flags& flags) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return "is not HOST:PORT";
  if (auto bad = alertllm::apps::ParsePort(text.substr(colon + 1), &flags.port)) return bad;
  flags.host = std::string(text.substr(0, colon));
  return std::nullopt;
}

// The flags by the apps' one FlagSet: durations, protocol and fallback mean what the LLM_*
// variables mean.
Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  alertllm::apps::FlagSet set;
  set.Switch("-h", &flags.help);
  set.Switch("--help", &flags.help);
  set.Value("--listen", [&flags](std::string_view v) { return ParseListen(v, flags); });
  set.Value("--metrics-port", [&flags](std::string_view v) {
    int port = 0;
    auto bad = alertllm::apps::ParsePort(v, &port);
    if (!bad) flags.metrics_port = port;
    return bad;
  });
  flags.llm.Register(set);
  set.Int("--concurrency", &flags.max_in_flight, 1, 1024);
  set.String("--auth-token-file", &flags.auth_token_file);
  set.Switch("--auth-all", &flags.auth_all);
  set.Int("--max-alerts-per-notification", &flags.max_alerts_per_notification, 1, 100000);
  set.Duration("--shutdown-grace", &flags.shutdown_grace);
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (auto parsed = set.Parse(args); !parsed) Fail(parsed.error().message);
  return flags;
}

alertllm::Config BuildConfig(const Flags& flags) {
  alertllm::Result<alertllm::Config> from_env = alertllm::ConfigFromEnv();
  if (!from_env) Fail(from_env.error().message);
  alertllm::Config config = *from_env;
  flags.llm.ApplyTo(config);
  if (flags.max_in_flight) config.concurrency.max_in_flight = *flags.max_in_flight;
  if (auto valid = alertllm::Validate(config); !valid) Fail(valid.error().message);
  return config;
}

// The bearer token callers must present, from --auth-token-file or else
// ALERTLLM_WEBHOOK_TOKEN_FILE (empty: unset, as for the LLM_* variables); null when neither is
// given. A file that does not hold a usable token is a config error: exit 2.
std::shared_ptr<const alertllm::webhook::WebhookAuth> BuildAuth(const Flags& flags) {
  std::string_view source = "--auth-token-file";
  std::string path = flags.auth_token_file.value_or("");
  if (!flags.auth_token_file) {
    const char* env = std::getenv("ALERTLLM_WEBHOOK_TOKEN_FILE");
    source = "ALERTLLM_WEBHOOK_TOKEN_FILE";
    path = env != nullptr ? env : "";
  }
  if (path.empty()) {
    if (flags.auth_all) Fail("--auth-all needs --auth-token-file or ALERTLLM_WEBHOOK_TOKEN_FILE");
    return nullptr;
  }
  auto auth = alertllm::webhook::WebhookAuth::FromFile(path, source);
  if (!auth) Fail(auth.error().message);
  return std::make_shared<const alertllm::webhook::WebhookAuth>(*std::move(auth));
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  if (flags.help) {
    std::cout << kUsage;
    return 0;
  }
  const alertllm::Config config = BuildConfig(flags);
  auto auth = BuildAuth(flags);

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
    options.logger = logger;
    options.auth = auth;
    options.auth_all = flags.auth_all;
    options.max_alerts_per_notification =
        static_cast<std::size_t>(flags.max_alerts_per_notification);
    options.notification_window = static_cast<std::size_t>(config.concurrency.max_in_flight);
    alertllm::webhook::WebhookService service(client, std::move(options));
    if (auto started = service.Start(); !started) {
      std::cerr << "alertllm-webhook: " << started.error().message << "\n";
      return 1;
    }
    std::cout << "listening on http://" << flags.host << ":" << service.port() << std::endl;
    logger->info("base_url={} protocol={} model={} fallback={} timeout={}ms max_in_flight={}",
                 alertllm::detail::MaskUrl(config.base_url), alertllm::ToString(config.protocol),
                 config.model, alertllm::ToString(config.fallback), config.timeout.count(),
                 config.concurrency.max_in_flight);
    logger->info("authentication: {}", !auth            ? "none"
                                       : flags.auth_all ? "bearer token on every path"
                                                        : "bearer token on /alerts");

    int received = 0;
    sigwait(&signals, &received);
    const std::chrono::milliseconds grace = flags.shutdown_grace.value_or(kDefaultShutdownGrace);
    logger->info("{} received: no new connections; notifications in flight have {}ms",
                 received == SIGINT ? "SIGINT" : "SIGTERM", grace.count());
    service.Shutdown(grace);
    logger->info("stopped");
  } catch (const std::exception& e) {
    std::cerr << "alertllm-webhook: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
