// SPDX-License-Identifier: Apache-2.0
#include "webhook_service.hpp"

#include <httplib.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <stop_token>
#include <thread>
#include <utility>

#include "alertllm/detail/quote.hpp"
#include "alertllm/errors.hpp"
#include "alertllm/metrics.hpp"
#include "classification_json.hpp"
#include "webhook_health.hpp"

namespace alertllm::webhook {

namespace {

constexpr std::string_view kJsonType = "application/json";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4";

using apps::ErrorBody;

// Label values come from whoever can reach the port: printable ASCII only, clipped, so that a
// value cannot forge a log line or flood the log.
std::string LogSafe(std::string_view text) {
  constexpr std::size_t kMax = 128;
  std::string out;
  out.reserve(std::min(text.size(), kMax));
  for (char c : text.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u > 0x20 && u < 0x7f) ? c : '?';
  }
  if (text.size() > kMax) out += "...";
  return out;
}

}  // namespace

struct WebhookService::Impl {
  Impl(std::shared_ptr<LlmClient> llm, WebhookServiceOptions opts)
      : client(std::move(llm)),
        options(std::move(opts)),
        registry(std::make_shared<prometheus::Registry>()),
        requests(prometheus::BuildCounter()
                     .Name("alertllm_webhook_requests_total")
                     .Help("HTTP requests answered by the webhook service, by status code.")
                     .Register(*registry)),
        alerts(prometheus::BuildCounter()
                   .Name("alertllm_webhook_alerts_total")
                   .Help("Alerts received in notifications that parsed.")
                   .Register(*registry)
                   .Add({})),
        classifications(prometheus::BuildCounter()
                            .Name("alertllm_webhook_classifications_total")
                            .Help("Classifications answered, by outcome (ok: the client returned "
                                  "a classification, fallback included; error: it returned an "
                                  "error).")
                            .Register(*registry)) {
    if (!client) throw std::invalid_argument("WebhookService: client is null");
    for (const char* code : {"200", "400", "401", "404", "405", "413", "415", "500"}) {
      requests.Add({{"code", code}});
    }
    classified_ok = &classifications.Add({{"outcome", "ok"}});
    classified_error = &classifications.Add({{"outcome", "error"}});
  }

  void CountRequest(int status) { requests.Add({{"code", std::to_string(status)}}).Increment(); }

  std::pair<int, std::string> HandleAlerts(const std::string& body) {
    if (body.size() > options.max_body_bytes) {
      return {413, ErrorBody(TooLargeMessage())};
    }
    Result<std::vector<Alert>> parsed = ParseAlertmanagerWebhook(body, options.max_body_bytes);
    if (!parsed) return {400, ErrorBody(parsed.error().message)};
    const std::vector<Alert>& batch = *parsed;
    alerts.Increment(static_cast<double>(batch.size()));

    std::vector<Result<Classification>> results = ClassifyAll(batch);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Log(batch[i], results[i]);
      (results[i].has_value() ? classified_ok : classified_error)->Increment();
    }
    return {200, apps::ClassificationsBody(batch, results)};
  }

  // One result per alert, in order, from one ClassifyAlerts() call: the client asks each
  // distinct alert once and bounds the requests in flight across every notification. An
  // LlmClient that throws, or answers with the wrong count, fails the alerts it left unanswered.
  std::vector<Result<Classification>> ClassifyAll(const std::vector<Alert>& batch) {
    const CallOptions call{std::nullopt, stop.get_token()};
    std::vector<Result<Classification>> results;
    try {
      results = client->ClassifyAlerts(batch, call);
    } catch (const std::exception& e) {
      results.assign(batch.size(), Error{ErrorCode::kUnknown, e.what()});
    } catch (...) {
      results.assign(batch.size(), Error{ErrorCode::kUnknown, "unknown exception"});
    }
    results.resize(batch.size(), Error{ErrorCode::kUnknown, "the client gave no result"});
    return results;
  }

  void Log(const Alert& alert, const Result<Classification>& result) const {
    if (!options.logger) return;
    const std::string fingerprint = LogSafe(alert.fingerprint);
    // The alert name as the LLM saw it: a secret redacted from the request stays out of the log.
    const std::string name =
        LogSafe(options.redact ? options.redact("alertname", alert.alert_name) : alert.alert_name);
    const std::string_view status = ToString(alert.status);
    if (result.has_value()) {
      const Classification& c = *result;
      options.logger->info(
          "classified fingerprint={} alertname={} status={} severity={} source={} "
          "confidence={:.2f} attempts={}",
          fingerprint, name, status, ToString(c.severity), LogSafe(c.source), c.confidence,
          c.attempts);
    } else {
      options.logger->warn(
          "classification failed fingerprint={} alertname={} status={} error={} attempts={}",
          fingerprint, name, status, ClassifyError(result.error()), result.error().attempts);
    }
  }

  std::string MetricsText() const {
    std::vector<std::shared_ptr<prometheus::Collectable>> sources = options.collectables;
    sources.push_back(registry);
    return SerializeMetrics(sources);
  }

  std::string HealthJson() const {
    return HealthBody(options.breaker_stats ? options.breaker_stats() : CircuitBreakerStats{});
  }

  template <typename Handler>
  static void Guarded(httplib::Response& res, Handler&& handler) {
    try {
      handler();
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(ErrorBody(std::string("internal error: ") + e.what()), kJsonType.data());
    }
  }

  void ServeAlerts(const httplib::Request& req, httplib::Response& res,
                   const httplib::ContentReader& read) {
    if (req.is_multipart_form_data()) {
      res.status = 415;
      res.set_content(
          ErrorBody("Content-Type " + detail::Quote(req.get_header_value("Content-Type")) +
                    " is not supported: send the Alertmanager JSON body as it is"),
          kJsonType.data());
      return;
    }
    std::string body;
    bool too_large = false;
    const bool whole = read([&](const char* data, std::size_t size) {
      too_large = body.size() + size > options.max_body_bytes;
      if (!too_large) body.append(data, size);
      return !too_large;
    });
    if (!whole) {
      res.status = too_large || res.status == 413 ? 413 : 400;
      res.set_content(ErrorBody(res.status == 413 ? TooLargeMessage() : "could not read the body"),
                      kJsonType.data());
      return;
    }
    auto [status, answer] = HandleAlerts(body);
    res.status = status;
    res.set_content(answer, kJsonType.data());
  }

  std::string TooLargeMessage() const {
    return "body exceeds " + std::to_string(options.max_body_bytes) + " bytes";
  }

  // True when `req` may go on to its handler; otherwise `res` is the 401. Runs before routing,
  // so an unauthenticated body is never read and nothing is classified.
  bool Authorize(const httplib::Request& req, httplib::Response& res) const {
    if (!options.auth || (!options.auth_all && req.path != "/alerts")) return true;
    const WebhookAuth::Verdict verdict = options.auth->Check(req.get_header_value("Authorization"));
    if (verdict == WebhookAuth::Verdict::kOk) return true;
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer");
    // The body was not read: the connection cannot carry another request after it.
    res.set_header("Connection", "close");
    res.set_content(ErrorBody(std::string(WebhookAuth::Explain(verdict))), kJsonType.data());
    return false;
  }

  static void MethodNotAllowed(httplib::Server& server, const std::string& path, const char* allow,
                               bool get_allowed) {
    auto handler = [allow](const httplib::Request&, httplib::Response& res) {
      res.status = 405;
      res.set_header("Allow", allow);
      res.set_content(ErrorBody("method not allowed"), kJsonType.data());
    };
    if (!get_allowed) server.Get(path, handler);
    if (get_allowed) server.Post(path, handler);
    server.Put(path, handler);
    server.Delete(path, handler);
    server.Patch(path, handler);
    server.Options(path, handler);
  }

  void Configure(httplib::Server& target, bool serve_alerts, bool serve_metrics) {
    target.set_payload_max_length(options.max_body_bytes);
    // cpp-httplib's default adds SO_REUSEPORT, which lets a second instance bind the same port
    // and silently take half the notifications; SO_REUSEADDR alone still allows a quick restart.
    target.set_socket_options([](socket_t sock) {
      const int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    // Counted before the response is written (cpp-httplib calls a logger only after the
    // client has the answer, so a scrape right after a request could miss it).
    target.set_post_routing_handler(
        [this](const httplib::Request&, httplib::Response& res) { CountRequest(res.status); });
    target.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return Authorize(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                 : httplib::Server::HandlerResponse::Handled;
    });
    target.set_error_handler([this](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      const char* message = res.status == 413   ? "body exceeds the size limit"
                            : res.status == 404 ? "not found"
                            : res.status == 400 ? "bad request"
                                                : "error";
      res.set_content(ErrorBody(res.status == 413 ? TooLargeMessage() : message), kJsonType.data());
    });
    if (serve_alerts) {
      // A content-reader handler gets the body as raw bytes whatever the Content-Type, so
      // cpp-httplib's form parser (and its 8 KiB form limit) never runs on a webhook body.
      target.Post("/alerts", [this](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& read) {
        Guarded(res, [&] { ServeAlerts(req, res, read); });
      });
      MethodNotAllowed(target, "/alerts", "POST", false);
      target.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
        Guarded(res, [&] { res.set_content(HealthJson(), kJsonType.data()); });
      });
      MethodNotAllowed(target, "/healthz", "GET, HEAD", true);
    }
    if (serve_metrics) {
      target.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        Guarded(res, [&] { res.set_content(MetricsText(), kMetricsType.data()); });
      });
      MethodNotAllowed(target, "/metrics", "GET, HEAD", true);
    }
  }

  std::shared_ptr<LlmClient> client;
  WebhookServiceOptions options;
  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Counter& alerts;
  prometheus::Family<prometheus::Counter>& classifications;
  prometheus::Counter* classified_ok = nullptr;
  prometheus::Counter* classified_error = nullptr;
  std::stop_source stop;
  httplib::Server server;
  std::unique_ptr<httplib::Server> metrics_server;
  std::thread server_thread;
  std::thread metrics_thread;
  bool started = false;
};

WebhookService::WebhookService(std::shared_ptr<LlmClient> client, WebhookServiceOptions options)
    : impl_(std::make_unique<Impl>(std::move(client), std::move(options))) {}

WebhookService::WebhookService(std::shared_ptr<HttpLlmClient> client,
                               WebhookServiceOptions options) {
  if (client && !options.breaker_stats) {
    options.breaker_stats = [c = client.get()] { return c->GetCircuitBreakerStats(); };
  }
  if (client && options.collectables.empty()) options.collectables = {client->GetCollectable()};
  if (client && !options.redact) {
    options.redact = [c = client.get()](std::string_view name, std::string_view value) {
      return c->Redacted(name, value);
    };
  }
  impl_ = std::make_unique<Impl>(std::move(client), std::move(options));
}

WebhookService::~WebhookService() { Stop(); }

namespace {

// Binds `server` to host:port (0: any free port). Returns the port, or -1.
int Bind(httplib::Server& server, const std::string& host, int port) {
  if (port == 0) return server.bind_to_any_port(host);
  return server.bind_to_port(host, port) ? port : -1;
}

bool WaitRunning(const httplib::Server& server) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server.is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return server.is_running();
}

}  // namespace

Result<void> WebhookService::Start() {
  Impl& impl = *impl_;
  if (impl.started) return Error{ErrorCode::kInvalidConfig, "the service was started before"};
  impl.started = true;
  const bool separate_metrics = impl.options.metrics_port.has_value();
  impl.Configure(impl.server, true, !separate_metrics);
  const std::string& host = impl.options.host;
  const int port = Bind(impl.server, host, impl.options.port);
  if (port < 0) {
    return Error{ErrorCode::kInvalidConfig,
                 "cannot listen on " + host + ":" + std::to_string(impl.options.port)};
  }
  if (separate_metrics) {
    impl.metrics_server = std::make_unique<httplib::Server>();
    impl.Configure(*impl.metrics_server, false, true);
    const int mport = Bind(*impl.metrics_server, host, *impl.options.metrics_port);
    if (mport < 0) {
      impl.server.stop();
      return Error{ErrorCode::kInvalidConfig,
                   "cannot listen on " + host + ":" + std::to_string(*impl.options.metrics_port)};
    }
    metrics_port_ = mport;
    impl.metrics_thread = std::thread([&impl] { impl.metrics_server->listen_after_bind(); });
  }
  port_ = port;
  impl.server_thread = std::thread([&impl] { impl.server.listen_after_bind(); });
  if (!WaitRunning(impl.server) || (impl.metrics_server && !WaitRunning(*impl.metrics_server))) {
    Stop();
    return Error{ErrorCode::kInvalidConfig, "the listener did not start on " + host};
  }
  if (impl.options.logger) {
    impl.options.logger->info("serving /alerts and /healthz on {}:{}, /metrics on {}:{}", host,
                              port_, host, metrics_port());
  }
  return {};
}

void WebhookService::Stop() {
  Impl& impl = *impl_;
  impl.stop.request_stop();
  impl.server.stop();
  if (impl.metrics_server) impl.metrics_server->stop();
  if (impl.server_thread.joinable()) impl.server_thread.join();
  if (impl.metrics_thread.joinable()) impl.metrics_thread.join();
}

std::string WebhookService::MetricsText() const { return impl_->MetricsText(); }

std::string WebhookService::HealthJson() const { return impl_->HealthJson(); }

}  // namespace alertllm::webhook
