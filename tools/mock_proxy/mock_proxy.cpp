// SPDX-License-Identifier: Apache-2.0
#include "mock_proxy.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <utility>

#include "alertllm/config.hpp"
#include "alertllm/fallback.hpp"

namespace alertllm::mock {
namespace {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kMaxBodyBytes = 1024 * 1024;
constexpr std::string_view kModelId = "alertllm-mock";
constexpr int kMaxLatencyMs = 600'000;
constexpr double kMaxDownSeconds = 86'400.0;
constexpr std::size_t kMaxRetryAfterBytes = 64;

// A bad request body: the message answered with 400.
struct BadBody {
  std::string message;
};

std::string ErrorJson(std::string_view message) {
  return Json{{"error", {{"message", message}, {"type", "invalid_request_error"}}}}.dump();
}

std::optional<FaultsError> Fail(std::string field, std::string message) {
  return FaultsError{std::move(field), std::move(message)};
}

// SplitMix64: one well-mixed 64-bit value per (seed, n), so draw n does not depend on the
// draws before it.
std::uint64_t Mix(std::uint64_t seed, std::uint64_t n) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (n + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, 1).
double Draw(std::uint64_t seed, std::uint64_t n) {
  return static_cast<double>(Mix(seed, n) >> 11) * 0x1.0p-53;
}

std::uint64_t Fnv1a(std::string_view text, std::uint64_t hash = 0xcbf29ce484222325ULL) {
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// The rule RuleBasedClassifier applies to `name` and the word that matched it, or the default
// rule and an empty word.
std::pair<const FallbackRule*, std::string_view> MatchRule(std::string_view name) {
  const std::string key = detail::FallbackNameKey(name);
  for (const FallbackRule& rule : detail::kFallbackRules) {
    const std::string_view found = detail::FallbackFirstFound(key, rule.keywords);
    if (found.empty()) continue;
    if (!rule.qualifiers[0].empty() && detail::FallbackFirstFound(key, rule.qualifiers).empty()) {
      continue;
    }
    return {&rule, found};
  }
  return {&detail::kDefaultFallbackRule, {}};
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::map<std::string, std::string> ReadStringMap(const Json& alert, const char* name) {
  std::map<std::string, std::string> out;
  const auto it = alert.find(name);
  if (it == alert.end() || it->is_null()) return out;
  if (!it->is_object()) throw BadBody{std::string("alert.") + name + ": must be an object"};
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) {
      throw BadBody{std::string("alert.") + name + "." + key + ": must be a string"};
    }
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

// The alert object of either protocol (DESIGN.md §5). Throws BadBody.
Alert ReadAlert(const Json& value) {
  if (!value.is_object()) throw BadBody{"alert: must be a JSON object"};
  Alert alert;
  alert.labels = ReadStringMap(value, "labels");
  alert.annotations = ReadStringMap(value, "annotations");
  if (const auto it = value.find("alertname"); it != value.end() && !it->is_null()) {
    if (!it->is_string()) throw BadBody{"alert.alertname: must be a string"};
    alert.alert_name = it->get<std::string>();
  }
  if (alert.alert_name.empty()) alert.alert_name = detail::FallbackValue(alert.labels, "alertname");
  if (const auto it = value.find("status"); it != value.end() && !it->is_null()) {
    if (!it->is_string()) throw BadBody{"alert.status: must be a string"};
    const auto status = ParseAlertStatus(it->get<std::string>());
    if (!status) throw BadBody{"alert.status: " + status.error().message};
    alert.status = *status;
  }
  if (const auto it = value.find("fingerprint"); it != value.end() && it->is_string()) {
    alert.fingerprint = it->get<std::string>();
  }
  return alert;
}

Json ParseBody(const std::string& body) {
  if (body.empty()) throw BadBody{"request body is empty"};
  try {
    return Json::parse(body);
  } catch (const Json::exception&) {
    throw BadBody{"request body is not valid JSON"};
  }
}

Alert ReadProxyRequest(const std::string& body) {
  const Json root = ParseBody(body);
  if (!root.is_object()) throw BadBody{"request body: must be a JSON object"};
  const auto it = root.find("alert");
  if (it == root.end()) throw BadBody{"alert: missing"};
  return ReadAlert(*it);
}

// The alert is the JSON text of the last user message.
Alert ReadOpenAIRequest(const std::string& body, std::string& model) {
  const Json root = ParseBody(body);
  if (!root.is_object()) throw BadBody{"request body: must be a JSON object"};
  if (const auto it = root.find("model"); it != root.end() && it->is_string()) {
    model = it->get<std::string>();
  }
  const auto messages = root.find("messages");
  if (messages == root.end() || !messages->is_array()) {
    throw BadBody{"messages: must be an array"};
  }
  const Json* content = nullptr;
  for (const Json& message : *messages) {
    if (!message.is_object()) throw BadBody{"messages: every message must be an object"};
    const auto role = message.find("role");
    if (role != message.end() && role->is_string() && role->get<std::string>() == "user") {
      const auto it = message.find("content");
      if (it == message.end() || !it->is_string()) {
        throw BadBody{"messages: the user message's content must be a string"};
      }
      content = &*it;
    }
  }
  if (content == nullptr) throw BadBody{"messages: no user message"};
  Json alert;
  try {
    alert = Json::parse(content->get<std::string>());
  } catch (const Json::exception&) {
    throw BadBody{"messages: the user message's content is not the alert as JSON"};
  }
  return ReadAlert(alert);
}

Json ClassificationJson(const Classification& c) {
  return Json{{"severity", static_cast<int>(c.severity)},
              {"category", c.category},
              {"summary", c.summary},
              {"confidence", c.confidence},
              {"reasoning", c.reasoning},
              {"suggestions", c.suggestions}};
}

std::string Milliseconds(SteadyClock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}

// The connection that carried `req`, found among the process's sockets by its two ports:
// httplib does not hand its socket to handlers. -1 if not found.
int FindConnection(const httplib::Request& req) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd < 0 || fd == dirfd(dir)) continue;
    sockaddr_in local{};
    sockaddr_in peer{};
    socklen_t local_size = sizeof(local);
    socklen_t peer_size = sizeof(peer);
    const int s = static_cast<int>(fd);
    // NOLINTBEGIN: the sockets API takes sockaddr* for a sockaddr_in.
    if (getsockname(s, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) continue;
    if (getpeername(s, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) continue;
    // NOLINTEND
    if (local.sin_family != AF_INET || peer.sin_family != AF_INET) continue;
    if (ntohs(local.sin_port) == req.local_port && ntohs(peer.sin_port) == req.remote_port) {
      found = s;
      break;
    }
  }
  closedir(dir);
  return found;
}

}  // namespace

std::optional<FaultsError> NormalizeFaults(Faults& faults, bool failure_rate_given) {
  if (!(faults.failure_rate >= 0.0 && faults.failure_rate <= 1.0)) {
    return Fail("failure_rate", "must be a number in 0..1");
  }
  if (faults.status < 400 || faults.status > 599) {
    return Fail("status", "must be an HTTP status in 400..599");
  }
  if (faults.latency_ms < 0 || faults.latency_ms > kMaxLatencyMs) {
    return Fail("latency_ms", "must be an integer in 0..600000");
  }
  if (faults.retry_after.size() > kMaxRetryAfterBytes) {
    return Fail("retry_after", "must be at most 64 characters");
  }
  for (const char c : faults.retry_after) {
    if (c < 0x20 || c > 0x7e) return Fail("retry_after", "must be printable ASCII");
  }
  if (!(faults.down_for_seconds >= 0.0 && faults.down_for_seconds <= kMaxDownSeconds)) {
    return Fail("down_for_seconds", "must be a number of seconds in 0..86400");
  }
  if (!failure_rate_given && (faults.malformed || faults.truncated || faults.drop)) {
    faults.failure_rate = 1.0;
  }
  return std::nullopt;
}

std::optional<FaultsError> ParseFaults(std::string_view json, Faults& out) {
  Json root;
  try {
    root = Json::parse(json.empty() ? std::string_view("{}") : json);
  } catch (const Json::exception&) {
    return Fail("", "request body is not valid JSON");
  }
  if (!root.is_object()) return Fail("", "request body must be a JSON object");
  Faults faults;
  bool rate_given = false;
  for (const auto& [name, value] : root.items()) {
    if (name == "failure_rate" || name == "down_for_seconds") {
      if (!value.is_number()) return Fail(name, "must be a number");
      (name == "failure_rate" ? faults.failure_rate : faults.down_for_seconds) =
          value.get<double>();
      rate_given = rate_given || name == "failure_rate";
    } else if (name == "status" || name == "latency_ms") {
      if (!value.is_number_integer()) return Fail(name, "must be an integer");
      const auto number = value.get<std::int64_t>();
      if (number < 0 || number > kMaxLatencyMs) {
        return Fail(name, name == "status" ? "must be an HTTP status in 400..599"
                                           : "must be an integer in 0..600000");
      }
      (name == "status" ? faults.status : faults.latency_ms) = static_cast<int>(number);
    } else if (name == "retry_after") {
      if (value.is_string()) {
        faults.retry_after = value.get<std::string>();
      } else if (value.is_number_unsigned()) {
        faults.retry_after = std::to_string(value.get<std::uint64_t>());
      } else {
        return Fail(name, "must be a string such as \"2\"");
      }
    } else if (name == "malformed" || name == "truncated" || name == "drop") {
      if (!value.is_boolean()) return Fail(name, "must be true or false");
      (name == "malformed" ? faults.malformed
                           : name == "truncated" ? faults.truncated : faults.drop) =
          value.get<bool>();
    } else {
      return Fail(name, "unknown field");
    }
  }
  if (auto error = NormalizeFaults(faults, rate_given)) return error;
  out = std::move(faults);
  return std::nullopt;
}

std::string FaultsToJson(const Faults& faults) {
  return Json{{"failure_rate", faults.failure_rate},
              {"status", faults.status},
              {"latency_ms", faults.latency_ms},
              {"retry_after", faults.retry_after},
              {"malformed", faults.malformed},
              {"truncated", faults.truncated},
              {"drop", faults.drop},
              {"down_for_seconds", faults.down_for_seconds}}
      .dump();
}

Classification MockClassify(const Alert& alert) {
  Classification out = RuleBasedClassifier{}.Classify(alert);
  std::string_view name = detail::FallbackValue(alert.labels, "alertname");
  if (name.empty()) name = alert.alert_name;
  const std::string shown = name.empty() ? "(unnamed)" : detail::FallbackClip(name);
  const auto [rule, keyword] = MatchRule(name);

  std::uint64_t hash = Fnv1a(name);
  for (const auto& [key, value] : alert.labels) hash = Fnv1a(value, Fnv1a(key, hash) ^ 0xff);
  out.confidence = 0.70 + static_cast<double>(hash % 26) / 100.0;
  out.source = "llm";

  std::string& why = out.reasoning;
  why = "The alert '" + shown + "' is " + std::string(ToString(alert.status));
  if (auto v = detail::FallbackValue(alert.labels, "instance"); !v.empty()) {
    why += " on " + detail::FallbackClip(v);
  }
  if (auto v = detail::FallbackValue(alert.labels, "namespace"); !v.empty()) {
    why += " in namespace " + detail::FallbackClip(v);
  }
  if (auto v = detail::FallbackValue(alert.labels, "job"); !v.empty()) {
    why += " (job " + detail::FallbackClip(v) + ")";
  }
  why += ". ";
  if (keyword.empty()) {
    why += "Its name matches no pattern I know, so I treat it as a general " +
           std::string(ToString(out.severity)) + " alert";
  } else {
    const bool prefix = keyword[0] == '^';
    why += "Its name " + std::string(prefix ? "starts with '" : "mentions '") +
           std::string(keyword.substr(prefix ? 1 : 0)) + "', which points to " +
           Lower(rule->what) + " (category " + out.category + "); I rate it " +
           std::string(ToString(out.severity));
  }
  const std::string_view label = detail::FallbackValue(alert.labels, "severity");
  if (alert.status == AlertStatus::kResolved) {
    why += " only as info because it has resolved";
  } else if (!label.empty()) {
    why += ", taking into account its severity label '" + detail::FallbackClip(label) + "'";
  }
  why += ".";
  if (auto v = detail::FallbackValue(alert.annotations, "summary"); !v.empty()) {
    why += " The summary annotation reads: '" + detail::FallbackClip(v) + "'.";
  }
  why += " (alertllm-mock-proxy, rule " + std::string(rule->name) + ")";
  return out;
}

struct MockProxy::Impl {
  explicit Impl(MockProxyOptions o) : options(std::move(o)) {
    if (!options.clock) options.clock = [] { return SteadyClock::now(); };
  }

  // The fault decision for one request, taken under the lock.
  struct Decision {
    Faults faults;
    bool down = false;
    bool fail = false;
  };

  Decision Decide(bool classify) {
    const std::lock_guard lock(mutex);
    Decision d{faults, options.clock() < down_until, false};
    if (classify && !d.down && faults.failure_rate > 0.0) {
      d.fail = Draw(options.seed, draws++) < faults.failure_rate;
    }
    return d;
  }

  void Record(const std::string& path, bool failed) {
    if (path.starts_with("/admin/")) return;
    const std::lock_guard lock(mutex);
    ++stats.requests;
    PathStats& p = stats.by_path[path];
    ++p.requests;
    if (failed) {
      ++stats.failures;
      ++p.failures;
    }
  }

  void Log(const httplib::Request& req, int status, SteadyClock::time_point start,
           std::string_view note) {
    if (!options.log) return;
    // -1: the handler left the status to httplib, which answers 200.
    if (status == -1) status = 200;
    std::string line = req.method + " " + req.path + " " + std::to_string(status) + " " +
                       Milliseconds(SteadyClock::now() - start);
    if (!note.empty()) {
      line += " ";
      line += note;
    }
    options.log(line);
  }

  // Waits `ms`, or less if the proxy stops meanwhile.
  void Wait(int ms) {
    if (ms <= 0) return;
    std::unique_lock lock(stop_mutex);
    stop_cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping; });
  }

  void AnswerFailure(const Faults& f, httplib::Response& res, std::string_view why) {
    res.status = f.status;
    if (!f.retry_after.empty()) res.set_header("Retry-After", f.retry_after);
    res.set_content(Json{{"error", {{"message", "injected failure: " + std::string(why)},
                                    {"type", "mock_fault"},
                                    {"code", f.status}}}}
                        .dump(),
                    "application/json");
  }

  // Applies the faults that hit a classify or health request; true if one did (the response is
  // then set, or the connection closed).
  bool InjectFault(const Decision& d, const httplib::Request& req, httplib::Response& res,
                   const std::string& answer, std::string& note) {
    if (d.down) {
      note = "fault=down";
      AnswerFailure(d.faults, res, "down");
      return true;
    }
    if (!d.fail) return false;
    if (d.faults.drop) {
      note = "fault=drop";
      const int fd = FindConnection(req);
      // Both directions shut: the client reads end of stream with no reply, and httplib's own
      // write of the response fails, after which it closes the socket.
      if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
      res.status = 200;
      return true;
    }
    if (d.faults.truncated) {
      note = "fault=truncated";
      res.status = 200;
      auto body = std::make_shared<std::string>(answer);
      res.set_content_provider(
          body->size(), "application/json",
          [body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
            if (offset == 0) sink.write(body->data(), body->size() / 2);
            // false: httplib gives up on the response and closes the connection.
            return false;
          });
      return true;
    }
    if (d.faults.malformed) {
      note = "fault=malformed";
      res.status = 200;
      res.set_content(answer.substr(0, answer.size() / 2), "application/json");
      return true;
    }
    note = "fault=status";
    AnswerFailure(d.faults, res, "failure_rate");
    return true;
  }

  void Classify(const httplib::Request& req, httplib::Response& res, Protocol protocol) {
    const auto start = SteadyClock::now();
    const Decision d = Decide(true);
    Wait(d.faults.latency_ms);
    std::string note;
    bool failed = false;
    try {
      if (d.down) {
        failed = InjectFault(d, req, res, {}, note);
      } else {
        std::string model(kModelId);
        const Alert alert = protocol == Protocol::kProxy ? ReadProxyRequest(req.body)
                                                         : ReadOpenAIRequest(req.body, model);
        const Classification c = MockClassify(alert);
        const std::string id = "mock-" + std::to_string(++answers);
        Json body;
        if (protocol == Protocol::kProxy) {
          body = Json{{"classification", ClassificationJson(c)},
                      {"request_id", id},
                      {"processing_time", Milliseconds(SteadyClock::now() - start)}};
        } else {
          const std::string content = ClassificationJson(c).dump();
          body = Json{{"id", id},
                      {"object", "chat.completion"},
                      {"created", static_cast<std::int64_t>(std::time(nullptr))},
                      {"model", model},
                      {"choices",
                       Json::array({Json{{"index", 0},
                                         {"message", {{"role", "assistant"},
                                                      {"content", content},
                                                      {"refusal", nullptr}}},
                                         {"finish_reason", "stop"}}})},
                      {"usage",
                       {{"prompt_tokens", req.body.size() / 4},
                        {"completion_tokens", content.size() / 4},
                        {"total_tokens", (req.body.size() + content.size()) / 4}}}};
        }
        const std::string answer = body.dump();
        failed = InjectFault(d, req, res, answer, note);
        if (!failed) res.set_content(answer, "application/json");
      }
    } catch (const BadBody& bad) {
      res.status = 400;
      res.set_content(ErrorJson(bad.message), "application/json");
    }
    Record(req.path, failed);
    Log(req, res.status, start, note);
  }

  void Health(const httplib::Request& req, httplib::Response& res, Protocol protocol) {
    const auto start = SteadyClock::now();
    const Decision d = Decide(false);
    Wait(d.faults.latency_ms);
    std::string note;
    const bool failed = InjectFault(d, req, res, {}, note);
    if (!failed) {
      if (protocol == Protocol::kProxy) {
        res.set_content(R"({"status":"ok"})", "application/json");
      } else {
        res.set_content(Json{{"object", "list"},
                             {"data", Json::array({Json{{"id", kModelId},
                                                        {"object", "model"},
                                                        {"created", 0},
                                                        {"owned_by", "alertllm"}}})}}
                            .dump(),
                        "application/json");
      }
    } else if (protocol == Protocol::kProxy) {
      res.set_content(R"({"status":"down"})", "application/json");
    }
    Record(req.path, failed);
    Log(req, res.status, start, note);
  }

  void PostFaults(const httplib::Request& req, httplib::Response& res) {
    const auto start = SteadyClock::now();
    Faults parsed;
    if (auto error = ParseFaults(req.body, parsed)) {
      res.status = 400;
      const std::string message =
          error->field.empty() ? error->message : error->field + ": " + error->message;
      res.set_content(Json{{"error", message}, {"field", error->field}}.dump(),
                      "application/json");
    } else {
      Apply(parsed);
      res.set_content(FaultsToJson(Current()), "application/json");
    }
    Log(req, res.status, start, {});
  }

  void Apply(const Faults& f) {
    const std::lock_guard lock(mutex);
    faults = f;
    down_until = options.clock() + std::chrono::duration_cast<SteadyClock::duration>(
                                       std::chrono::duration<double>(f.down_for_seconds));
    draws = 0;
  }

  Faults Current() const {
    const std::lock_guard lock(mutex);
    Faults f = faults;
    const auto left = down_until - options.clock();
    f.down_for_seconds = left > SteadyClock::duration::zero()
                             ? std::chrono::duration<double>(left).count()
                             : 0.0;
    return f;
  }

  std::string StatsJson() const {
    const std::lock_guard lock(mutex);
    Json by_path = Json::object();
    for (const auto& [path, p] : stats.by_path) {
      by_path[path] = Json{{"requests", p.requests}, {"failures", p.failures}};
    }
    return Json{{"requests", stats.requests}, {"failures", stats.failures}, {"by_path", by_path}}
        .dump();
  }

  void Install() {
    server.set_payload_max_length(kMaxBodyBytes);
    server.set_keep_alive_max_count(100000);
    // Stop() waits for each worker's idle keep-alive wait to end: this bounds how long a
    // connection a client keeps open can delay shutdown.
    server.set_keep_alive_timeout(2);
    server.set_tcp_nodelay(true);
    server.Post("/classify", [this](const httplib::Request& req, httplib::Response& res) {
      Classify(req, res, Protocol::kProxy);
    });
    server.Post("/v1/chat/completions",
                [this](const httplib::Request& req, httplib::Response& res) {
                  Classify(req, res, Protocol::kOpenAI);
                });
    server.Get("/health", [this](const httplib::Request& req, httplib::Response& res) {
      Health(req, res, Protocol::kProxy);
    });
    server.Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) {
      Health(req, res, Protocol::kOpenAI);
    });
    server.Get("/admin/faults", [this](const httplib::Request& req, httplib::Response& res) {
      res.set_content(FaultsToJson(Current()), "application/json");
      Log(req, 200, SteadyClock::now(), {});
    });
    server.Post("/admin/faults", [this](const httplib::Request& req, httplib::Response& res) {
      PostFaults(req, res);
    });
    server.Get("/admin/stats", [this](const httplib::Request& req, httplib::Response& res) {
      res.set_content(StatsJson(), "application/json");
      Log(req, 200, SteadyClock::now(), {});
    });
    // What httplib answers itself (404, 413, 400 for an unreadable body) gets a JSON body too;
    // the handlers' own answers already have one.
    server.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      std::string message = "bad request";
      if (res.status == 404) message = "no such endpoint: " + req.method + " " + req.path;
      if (res.status == 413) {
        message = "request body over " + std::to_string(kMaxBodyBytes) + " bytes";
      }
      res.set_content(ErrorJson(message), "application/json");
      Record(req.path, false);
      Log(req, res.status, SteadyClock::now(), {});
      return httplib::Server::HandlerResponse::Handled;
    }));
  }

  MockProxyOptions options;
  httplib::Server server;
  std::thread thread;
  std::atomic<int> port{0};
  std::atomic<std::uint64_t> answers{0};

  mutable std::mutex mutex;
  Faults faults;                       // guarded by mutex
  SteadyClock::time_point down_until;  // guarded by mutex
  std::uint64_t draws = 0;             // guarded by mutex
  MockProxyStats stats;                // guarded by mutex

  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopping = false;  // guarded by stop_mutex
  bool started = false;   // guarded by stop_mutex
};

MockProxy::MockProxy(MockProxyOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  Faults faults = impl_->options.faults;
  if (auto error = NormalizeFaults(faults, true)) {
    throw std::invalid_argument(error->field + ": " + error->message);
  }
  impl_->Apply(faults);
  impl_->Install();
}

MockProxy::~MockProxy() { Stop(); }

Result<int> MockProxy::Start() {
  {
    const std::lock_guard lock(impl_->stop_mutex);
    if (impl_->started) return Error{ErrorCode::kInvalidRequest, "already started"};
    impl_->started = true;
  }
  const std::string& host = impl_->options.host;
  int bound = -1;
  if (impl_->options.port == 0) {
    bound = impl_->server.bind_to_any_port(host);
  } else if (impl_->server.bind_to_port(host, impl_->options.port)) {
    bound = impl_->options.port;
  }
  if (bound <= 0) {
    return Error{ErrorCode::kNetworkError,
                 "cannot listen on " + host + ":" + std::to_string(impl_->options.port)};
  }
  impl_->port = bound;
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  const auto give_up = SteadyClock::now() + std::chrono::seconds(10);
  while (!impl_->server.is_running() && SteadyClock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!impl_->server.is_running()) {
    Stop();
    return Error{ErrorCode::kNetworkError, "server did not start"};
  }
  return bound;
}

void MockProxy::Stop() {
  {
    const std::lock_guard lock(impl_->stop_mutex);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int MockProxy::port() const noexcept { return impl_->port; }

std::string MockProxy::url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(impl_->port);
}

void MockProxy::SetFaults(const Faults& faults) { impl_->Apply(faults); }

Faults MockProxy::GetFaults() const { return impl_->Current(); }

MockProxyStats MockProxy::GetStats() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

}  // namespace alertllm::mock
