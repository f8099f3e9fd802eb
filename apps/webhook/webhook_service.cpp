// SPDX-License-Identifier: Apache-2.0
#include "webhook_service.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "alertllm/detail/quote.hpp"
#include "alertllm/errors.hpp"
#include "alertllm/metrics.hpp"
#include "classification_json.hpp"
#include "http_server.hpp"
#include "notification_run.hpp"
#include "webhook_health.hpp"

namespace alertllm::webhook {

namespace {

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

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse ErrorAnswer(int status, const std::string& message) {
  return Json(status, ErrorBody(message));
}

// The notifications being classified. Shutdown() waits for the last to end, so that no
// classification outlives the service: its callback, which runs on the client's I/O thread,
// must not be what keeps the service (and with it the client) alive.
class RunCount {
 public:
  void Begin() {
    std::lock_guard lock(mutex_);
    ++running_;
  }
  void End() {
    {
      std::lock_guard lock(mutex_);
      --running_;
    }
    ended_.notify_all();
  }
  void WaitUntilNone(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    ended_.wait_until(lock, deadline, [this] { return running_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable ended_;
  std::size_t running_ = 0;
};

// A path the service serves, and the methods it allows there.
struct Route {
  std::string_view path;
  std::string_view allow;  // the Allow header of a 405
  bool alerts;             // POST with a body; else GET (and HEAD) without one
};

constexpr Route kAlerts{"/alerts", "POST", true};
constexpr Route kHealthz{"/healthz", "GET, HEAD", false};
constexpr Route kMetrics{"/metrics", "GET, HEAD", false};

}  // namespace

struct WebhookService::Impl : std::enable_shared_from_this<Impl> {
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
    for (const char* code :
         {"200", "400", "401", "404", "405", "408", "413", "415", "431", "500", "503"}) {
      requests.Add({{"code", code}});
    }
    classified_ok = &classifications.Add({{"outcome", "ok"}});
    classified_error = &classifications.Add({{"outcome", "error"}});
  }

  void CountRequest(int status) { requests.Add({{"code", std::to_string(status)}}).Increment(); }

  // The routes one listener serves: the main one everything (/metrics unless it has a listener
  // of its own), the metrics listener only /metrics.
  std::vector<Route> Routes(bool metrics_listener) const {
    if (metrics_listener) return {kMetrics};
    if (options.metrics_port) return {kAlerts, kHealthz};
    return {kAlerts, kHealthz, kMetrics};
  }

  // Everything decided from the head alone, before a byte of the body is read: the token, the
  // path, the method, the media type. No value: read the body and go on to OnRequest.
  std::optional<HttpResponse> OnHead(const HttpRequestHead& head, bool metrics_listener) const {
    const std::vector<Route> routes = Routes(metrics_listener);
    const auto route = std::find_if(routes.begin(), routes.end(),
                                    [&](const Route& r) { return r.path == head.path; });
    if (std::optional<HttpResponse> denied = Authorize(head, route != routes.end() && route->alerts)) {
      return denied;
    }
    if (route == routes.end()) {
      return ErrorAnswer(404, "no such path " + alertllm::detail::Quote(head.path) + " (served: " +
                                  ServedPaths(routes) + ")");
    }
    const bool allowed = route->alerts ? head.method == "POST"
                                       : head.method == "GET" || head.method == "HEAD";
    if (!allowed) {
      HttpResponse response =
          ErrorAnswer(405, "method " + alertllm::detail::Quote(head.method) + " is not allowed on " +
                               std::string(route->path) + " (allowed: " +
                               std::string(route->allow) + ")");
      response.headers.emplace_back("Allow", std::string(route->allow));
      return response;
    }
    if (route->alerts && head.content_type.rfind("multipart/", 0) == 0) {
      return ErrorAnswer(415, "Content-Type " + alertllm::detail::Quote(head.content_type) +
                                  " is not supported: send the Alertmanager JSON body as it is");
    }
    return std::nullopt;
  }

  static std::string ServedPaths(const std::vector<Route>& routes) {
    std::string served;
    for (const Route& route : routes) {
      if (!served.empty()) served += ", ";
      served += std::string(route.allow.substr(0, route.allow.find(','))) + " " +
                std::string(route.path);
    }
    return served;
  }

  // The 401 of a protected path without the right token; no value when it may go on.
  std::optional<HttpResponse> Authorize(const HttpRequestHead& head, bool alerts_path) const {
    if (!options.auth || (!options.auth_all && !alerts_path)) return std::nullopt;
    const WebhookAuth::Verdict verdict = options.auth->Check(head.authorization);
    if (verdict == WebhookAuth::Verdict::kOk) return std::nullopt;
    HttpResponse response = ErrorAnswer(401, std::string(WebhookAuth::Explain(verdict)));
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  }

  void OnRequest(const HttpRequestHead& head, std::string body, const HttpReply& reply) {
    try {
      if (head.path == kHealthz.path) return reply.Send(Json(200, HealthJson()));
      if (head.path == kMetrics.path) {
        HttpResponse response = Json(200, MetricsText());
        response.content_type = std::string(kMetricsType);
        return reply.Send(std::move(response));
      }
      // Parsing 4 MiB takes tens of milliseconds: not on the threads that answer /healthz.
      Post([self = shared_from_this(), body = std::move(body), reply] {
        Guarded(reply, [&] { self->ServeAlerts(body, reply); });
      });
    } catch (const std::exception& e) {
      reply.Send(ErrorAnswer(500, std::string("internal error: ") + e.what()));
    }
  }

  // Runs `work` on the workers; after Shutdown() has joined them, drops it: the server has
  // answered every request by then, so what is left is a notification that ended late.
  template <typename Work>
  void Post(Work&& work) {
    std::lock_guard lock(workers_mutex);
    if (!workers_joined) boost::asio::post(workers, std::forward<Work>(work));
  }

  void JoinWorkers() {
    {
      std::lock_guard lock(workers_mutex);
      workers_joined = true;
    }
    // Runs what was posted before.
    workers.join();
  }

  template <typename Body>
  static void Guarded(const HttpReply& reply, Body&& body) {
    try {
      body();
    } catch (const std::exception& e) {
      reply.Send(ErrorAnswer(500, std::string("internal error: ") + e.what()));
    }
  }

  void ServeAlerts(const std::string& body, const HttpReply& reply) {
    Result<std::vector<Alert>> parsed = ParseAlertmanagerWebhook(body, options.max_body_bytes);
    if (!parsed) return reply.Send(ErrorAnswer(400, parsed.error().message));
    if (parsed->size() > options.max_alerts_per_notification) {
      return reply.Send(ErrorAnswer(
          413, "the notification holds " + std::to_string(parsed->size()) +
                   " alerts, more than --max-alerts-per-notification (" +
                   std::to_string(options.max_alerts_per_notification) +
                   "): nothing was classified; raise the flag or lower max_alerts in "
                   "Alertmanager's webhook_configs"));
    }
    auto batch = std::make_shared<const std::vector<Alert>>(*std::move(parsed));
    alerts.Increment(static_cast<double>(batch->size()));
    runs->Begin();
    try {
      NotificationRun::Start(client, batch, options.notification_window, reply.stop_token(),
                             OnClassified(batch, reply));
    } catch (...) {
      runs->End();  // nothing was started
      throw;
    }
  }

  // Called once with a notification's results, on the client's I/O thread: the answer is built
  // on the workers. It holds the service weakly and lets it go before End().
  NotificationRun::Done OnClassified(std::shared_ptr<const std::vector<Alert>> batch,
                                     HttpReply reply) {
    return [weak = weak_from_this(), count = runs, batch = std::move(batch),
            reply = std::move(reply)](std::vector<Result<Classification>> results) {
      if (const auto self = weak.lock()) {
        self->Post([self, batch, reply, results = std::move(results)] {
          Guarded(reply, [&] { self->Answer(*batch, results, reply); });
        });
      }
      count->End();
    };
  }

  void Answer(const std::vector<Alert>& batch, const std::vector<Result<Classification>>& results,
              const HttpReply& reply) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Log(batch[i], results[i]);
      (results[i].has_value() ? classified_ok : classified_error)->Increment();
    }
    // After the grace period of a shutdown, or with the client gone, the server has answered.
    if (!reply.answered()) reply.Send(Json(200, apps::ClassificationsBody(batch, results)));
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

  HttpServerLimits Limits() const {
    HttpServerLimits limits;
    limits.max_body_bytes = options.max_body_bytes;
    limits.read_timeout = options.read_timeout;
    limits.max_connections = options.max_connections;
    limits.max_connections_per_client = options.max_connections_per_client;
    return limits;
  }

  // The handlers hold the Impl weakly: the server they belong to is a member of it.
  HttpHandlers Handlers(bool metrics_listener) {
    HttpHandlers handlers;
    std::weak_ptr<Impl> weak = weak_from_this();
    handlers.on_head = [weak, metrics_listener](const HttpRequestHead& head) {
      const auto self = weak.lock();
      return self ? self->OnHead(head, metrics_listener) : std::nullopt;
    };
    handlers.on_request = [weak](const HttpRequestHead& head, std::string body, HttpReply reply) {
      if (const auto self = weak.lock()) self->OnRequest(head, std::move(body), reply);
    };
    handlers.on_answer = [weak](int status) {
      if (const auto self = weak.lock()) self->CountRequest(status);
    };
    return handlers;
  }

  std::shared_ptr<LlmClient> client;
  WebhookServiceOptions options;
  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Counter& alerts;
  prometheus::Family<prometheus::Counter>& classifications;
  prometheus::Counter* classified_ok = nullptr;
  prometheus::Counter* classified_error = nullptr;
  // Parses notifications and builds their answers, off the I/O threads.
  std::shared_ptr<RunCount> runs = std::make_shared<RunCount>();
  boost::asio::thread_pool workers{1};
  std::mutex workers_mutex;
  bool workers_joined = false;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<HttpServer> metrics_server;
  std::once_flag stopped;
  bool started = false;
};

WebhookService::WebhookService(std::shared_ptr<LlmClient> client, WebhookServiceOptions options)
    : impl_(std::make_shared<Impl>(std::move(client), std::move(options))) {}

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
  impl_ = std::make_shared<Impl>(std::move(client), std::move(options));
}

WebhookService::~WebhookService() { Stop(); }

Result<void> WebhookService::Start() {
  Impl& impl = *impl_;
  if (impl.started) return Error{ErrorCode::kInvalidConfig, "the service was started before"};
  impl.started = true;
  const std::string& host = impl.options.host;
  impl.server = std::make_unique<HttpServer>(impl.Limits(), impl.Handlers(false),
                                             impl.options.logger);
  Result<int> port = impl.server->Listen(host, impl.options.port);
  if (!port) return port.error();
  if (impl.options.metrics_port) {
    HttpServerLimits limits = impl.Limits();
    limits.threads = 1;
    impl.metrics_server =
        std::make_unique<HttpServer>(limits, impl.Handlers(true), impl.options.logger);
    Result<int> mport = impl.metrics_server->Listen(host, *impl.options.metrics_port);
    if (!mport) return mport.error();
    if (Result<void> ok = impl.metrics_server->Start(); !ok) return ok;
    metrics_port_ = *mport;
  }
  if (Result<void> ok = impl.server->Start(); !ok) return ok;
  port_ = *port;
  if (impl.options.logger) {
    impl.options.logger->info("serving /alerts and /healthz on {}:{}, /metrics on {}:{}", host,
                              port_, host, metrics_port());
  }
  return {};
}

void WebhookService::Shutdown(std::chrono::milliseconds grace) {
  Impl& impl = *impl_;
  std::call_once(impl.stopped, [&] {
    const std::string message =
        "shutting down: the notification was not classified within the shutdown grace period "
        "(--shutdown-grace " +
        std::to_string(grace.count()) + "ms); Alertmanager will send it again";
    const auto deadline = std::chrono::steady_clock::now() + grace + std::chrono::seconds(1);
    if (impl.server) impl.server->Shutdown(grace, message);
    if (impl.metrics_server) impl.metrics_server->Shutdown(std::chrono::milliseconds::zero());
    // Every request is answered now and the unfinished ones' stop requested: the client ends
    // their calls promptly. Within the grace + 1 s promised, wait for them.
    impl.runs->WaitUntilNone(deadline);
    impl.JoinWorkers();
  });
}

void WebhookService::Stop() { Shutdown(std::chrono::milliseconds::zero()); }

std::string WebhookService::MetricsText() const { return impl_->MetricsText(); }

std::string WebhookService::HealthJson() const { return impl_->HealthJson(); }

}  // namespace alertllm::webhook
