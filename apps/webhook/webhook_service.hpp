// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alertllm/circuit_breaker.hpp"
#include "alertllm/client.hpp"
#include "alertllm/result.hpp"
#include "alertllm/webhook.hpp"
#include "webhook_auth.hpp"

namespace prometheus {
class Collectable;
}  // namespace prometheus

namespace spdlog {
class logger;
}  // namespace spdlog

namespace alertllm::webhook {

/// Where and how a WebhookService listens, and what it reports besides the classifications.
struct WebhookServiceOptions {
  /// The address of the main listener (POST /alerts, GET /healthz, GET /metrics).
  std::string host = "127.0.0.1";
  /// 0: the kernel picks a free port (WebhookService::port() tells which).
  int port = 9095;
  /// A second listener on `host` serving only GET /metrics; no value: /metrics is served by
  /// the main listener. 0: the kernel picks a port.
  std::optional<int> metrics_port;
  /// Larger request bodies are answered 413, while they are read (a Content-Length above it at
  /// once, before the body).
  std::size_t max_body_bytes = kDefaultMaxWebhookBytes;
  /// A notification of more alerts is answered 413 naming `--max-alerts-per-notification`,
  /// nothing classified.
  std::size_t max_alerts_per_notification = 1000;
  /// The most alerts of one notification being classified at once (the rest wait their turn
  /// in it, not in the client's queue); main() sets the client's max_in_flight.
  std::size_t notification_window = 16;
  /// Whole-request read deadline (head and body together, not per read): a client that
  /// drips its request slower is answered 408 and closed.
  std::chrono::milliseconds read_timeout = std::chrono::seconds(10);
  /// Open connections, all clients together, and per client address; one more is answered
  /// 503 and closed.
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_client = 256;
  /// The breaker snapshot /healthz reports; empty: "closed" with zero counts (a client
  /// without a breaker).
  std::function<CircuitBreakerStats()> breaker_stats;
  /// Exposed on /metrics before the service's own families, in order.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables;
  /// When set, a request must carry `Authorization: Bearer <token>` (WebhookAuth::Check) to
  /// reach /alerts — and /healthz, /metrics and every other path too when `auth_all` — else it
  /// is answered 401 with `WWW-Authenticate: Bearer`, before its body is read or anything is
  /// classified. Null: no authentication.
  std::shared_ptr<const WebhookAuth> auth;
  /// With `auth`: protect every path, not only /alerts.
  bool auth_all = false;
  /// One line per classification and per listener start/stop; null: no logging.
  std::shared_ptr<spdlog::logger> logger;
  /// What a log line shows of an alert's label or annotation `name` with value `value` (the
  /// client's redaction, HttpLlmClient::Redacted); empty: the value as it is.
  std::function<std::string(std::string_view name, std::string_view value)> redact;
};

/// The HTTP service behind `alertllm-webhook`: Alertmanager's webhook receiver.
///
///   POST /alerts   the Alertmanager notification; its alerts are classified with
///                  LlmClient::ClassifyAlertAsync() (NotificationRun: no thread waits on the LLM,
///                  and concurrent notifications share the client's cache, in-flight requests
///                  and max_in_flight), answered 200 with one classification per alert, in input
///                  order (a failed classification carries its error); 400 {"error": …} for a
///                  body that ParseAlertmanagerWebhook rejects, 413 above max_body_bytes or
///                  max_alerts_per_notification, 415 for a Content-Encoding (never inflated)
///                  or a multipart body. A client that goes away cancels its notification's
///                  unfinished classifications.
///   GET /healthz   the seed's health JSON; 200 whatever the breaker's state
///   GET /metrics   the collectables, then alertllm_webhook_* (text format 0.0.4)
///
/// A known path with another method is 405; any other path 404. With `options.auth`, a
/// protected path without the right bearer token is 401 before anything else. Every error body
/// is {"error": "<message>"} saying what was wrong. HTTP is served by HttpServer (Boost.Beast,
/// event-driven): /healthz and /metrics answer whatever /alerts is doing.
///
/// Thread-safety: Start() and Stop() must not be called concurrently with each other; every
/// other member, and the HTTP handlers, may run concurrently.
class WebhookService {
 public:
  /// Throws std::invalid_argument if `client` is null.
  WebhookService(std::shared_ptr<LlmClient> client, WebhookServiceOptions options);

  /// As above, with `breaker_stats` and `collectables` filled in from `client` when they are
  /// empty (its GetCircuitBreakerStats() and GetCollectable()).
  WebhookService(std::shared_ptr<HttpLlmClient> client, WebhookServiceOptions options);

  /// Stop()s.
  ~WebhookService();

  WebhookService(const WebhookService&) = delete;
  WebhookService& operator=(const WebhookService&) = delete;

  /// Binds the listener(s) and starts serving on background threads; returns once they accept
  /// connections. Errors: kInvalidConfig naming the address when a port cannot be bound, or
  /// when the service was started before.
  Result<void> Start();

  /// Stops accepting at once; notifications in flight get `grace` to finish, then each
  /// unfinished one is answered 503 with Retry-After (Alertmanager sends it again) and its
  /// classifications are cancelled. Returns within grace + 1 s whatever the clients do, the
  /// threads joined. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

  /// Shutdown() with no grace.
  void Stop();

  /// The bound port of the main listener; 0 before Start().
  int port() const noexcept { return port_; }
  /// The bound port of the /metrics listener; port() when there is none, 0 before Start().
  int metrics_port() const noexcept { return metrics_port_ != 0 ? metrics_port_ : port_; }

  /// The body of GET /metrics.
  std::string MetricsText() const;
  /// The body of GET /healthz.
  std::string HealthJson() const;

 private:
  struct Impl;
  // Shared with the callbacks of classifications still running, which may end after Stop().
  std::shared_ptr<Impl> impl_;
  int port_ = 0;
  int metrics_port_ = 0;
};

/// "half-open" for kHalfOpen, as the seed's `CircuitBreakerState.String()` spells it (the
/// metric labels use "half_open"); "closed", "open" otherwise.
std::string_view HealthStateName(CircuitState state) noexcept;

}  // namespace alertllm::webhook
