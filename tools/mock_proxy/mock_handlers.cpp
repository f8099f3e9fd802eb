// SPDX-License-Identifier: Apache-2.0
// One request through MockProxy: the fault decision, the answer or the injected failure, the
// stats and the log line; and the fault set the admin endpoints replace and read.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "mock_proxy_internal.hpp"

namespace alertllm::mock {
namespace {

using internal::BadBody;
using internal::ErrorJson;
using internal::Json;
using internal::kModelId;
using internal::Milliseconds;
using internal::OpenAIAnswer;
using internal::ProxyAnswer;
using internal::ReadOpenAIRequest;
using internal::ReadProxyRequest;

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

void internal::WidenBacklog(int port, int backlog) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd < 0 || fd == dirfd(dir)) continue;
    const int s = static_cast<int>(fd);
    int listening = 0;
    socklen_t size = sizeof(listening);
    if (getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || listening == 0) {
      continue;
    }
    sockaddr_in local{};
    socklen_t local_size = sizeof(local);
    // NOLINTNEXTLINE: the sockets API takes sockaddr* for a sockaddr_in.
    if (getsockname(s, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) continue;
    if (local.sin_family == AF_INET && ntohs(local.sin_port) == port) ::listen(s, backlog);
  }
  closedir(dir);
}

namespace {

// A slot of the max_in_flight quota taken by Admit(), given back however the answer ends.
class QuotaSlot {
 public:
  explicit QuotaSlot(std::atomic<int>* in_flight) : in_flight_(in_flight) {}
  ~QuotaSlot() {
    if (in_flight_ != nullptr) in_flight_->fetch_sub(1);
  }
  QuotaSlot(const QuotaSlot&) = delete;
  QuotaSlot& operator=(const QuotaSlot&) = delete;

 private:
  std::atomic<int>* in_flight_;
};

}  // namespace

MockProxy::Impl::Decision MockProxy::Impl::Decide(bool classify) {
  const std::lock_guard lock(mutex);
  Decision d{faults, options.clock() < down_until, false};
  if (classify && !d.down && faults.failure_rate > 0.0) {
    d.fail = Draw(options.seed, draws++) < faults.failure_rate;
  }
  return d;
}

void MockProxy::Impl::Record(const std::string& path, Outcome outcome) {
  if (path.starts_with("/admin/")) return;
  const std::lock_guard lock(mutex);
  ++stats.requests;
  PathStats& p = stats.by_path[path];
  ++p.requests;
  if (outcome == Outcome::kFailed) {
    ++stats.failures;
    ++p.failures;
  }
  if (outcome == Outcome::kAnswered) ++stats.answered;
  if (outcome == Outcome::kRateLimited) ++stats.rate_limited;
}

bool MockProxy::Impl::Admit() {
  if (options.max_in_flight <= 0) return true;
  int now = in_flight.load();
  do {
    if (now >= options.max_in_flight) return false;
  } while (!in_flight.compare_exchange_weak(now, now + 1));
  return true;
}

void MockProxy::Impl::RateLimit(const httplib::Request& req, httplib::Response& res) {
  const auto start = SteadyClock::now();
  res.status = 429;
  res.set_header("Retry-After", "1");
  res.set_content(Json{{"error",
                        {{"type", "rate_limit_exceeded"},
                         {"message", "over the quota of " + std::to_string(options.max_in_flight) +
                                         " requests in flight; retry after 1 s"}}}}
                      .dump(),
                  "application/json");
  Record(req.path, Outcome::kRateLimited);
  Log(req, res.status, start, "quota");
}

void MockProxy::Impl::Log(const httplib::Request& req, int status, SteadyClock::time_point start,
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

void MockProxy::Impl::Wait(int ms) {
  if (ms <= 0) return;
  std::unique_lock lock(stop_mutex);
  stop_cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping; });
}

void MockProxy::Impl::AnswerFailure(const Faults& f, httplib::Response& res, std::string_view why) {
  res.status = f.status;
  if (!f.retry_after.empty()) res.set_header("Retry-After", f.retry_after);
  res.set_content(Json{{"error",
                        {{"message", "injected failure: " + std::string(why)},
                         {"type", "mock_fault"},
                         {"code", f.status}}}}
                      .dump(),
                  "application/json");
}

// Applies the faults that hit a classify or health request; true if one did (the response is
// then set, or the connection closed).
bool MockProxy::Impl::InjectFault(const Decision& d, const httplib::Request& req,
                                  httplib::Response& res, const std::string& answer,
                                  std::string& note) {
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
    res.set_content_provider(body->size(), "application/json",
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

void MockProxy::Impl::Classify(const httplib::Request& req, httplib::Response& res,
                               Protocol protocol) {
  if (!Admit()) {
    RateLimit(req, res);
    return;
  }
  const QuotaSlot slot(options.max_in_flight > 0 ? &in_flight : nullptr);
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
      const Classification verdict = MockClassify(alert, options.obey_injection);
      const std::string id = "mock-" + std::to_string(++answers);
      const std::string answer = protocol == Protocol::kProxy
                                     ? ProxyAnswer(verdict, id, start)
                                     : OpenAIAnswer(verdict, id, model, req.body.size());
      failed = InjectFault(d, req, res, answer, note);
      if (!failed) res.set_content(answer, "application/json");
    }
  } catch (const BadBody& bad) {
    res.status = 400;
    res.set_content(ErrorJson(bad.message), "application/json");
  }
  Record(req.path, failed              ? Outcome::kFailed
                   : res.status == 400 ? Outcome::kOther
                                       : Outcome::kAnswered);
  Log(req, res.status, start, note);
}

void MockProxy::Impl::Health(const httplib::Request& req, httplib::Response& res,
                             Protocol protocol) {
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
  Record(req.path, failed ? Outcome::kFailed : Outcome::kOther);
  Log(req, res.status, start, note);
}

void MockProxy::Impl::PostFaults(const httplib::Request& req, httplib::Response& res) {
  const auto start = SteadyClock::now();
  Faults parsed;
  if (auto error = ParseFaults(req.body, parsed)) {
    res.status = 400;
    const std::string message =
        error->field.empty() ? error->message : error->field + ": " + error->message;
    res.set_content(Json{{"error", message}, {"field", error->field}}.dump(), "application/json");
  } else {
    Apply(parsed);
    res.set_content(FaultsToJson(Current()), "application/json");
  }
  Log(req, res.status, start, {});
}

void MockProxy::Impl::Apply(const Faults& f) {
  const std::lock_guard lock(mutex);
  faults = f;
  down_until = options.clock() + std::chrono::duration_cast<SteadyClock::duration>(
                                     std::chrono::duration<double>(f.down_for_seconds));
  draws = 0;
}

Faults MockProxy::Impl::Current() const {
  const std::lock_guard lock(mutex);
  Faults f = faults;
  const auto left = down_until - options.clock();
  f.down_for_seconds =
      left > SteadyClock::duration::zero() ? std::chrono::duration<double>(left).count() : 0.0;
  return f;
}

std::string MockProxy::Impl::StatsJson() const {
  const std::lock_guard lock(mutex);
  Json by_path = Json::object();
  for (const auto& [path, p] : stats.by_path) {
    by_path[path] = Json{{"requests", p.requests}, {"failures", p.failures}};
  }
  return Json{{"requests", stats.requests},
              {"failures", stats.failures},
              {"answered", stats.answered},
              {"rate_limited", stats.rate_limited},
              {"by_path", by_path}}
      .dump();
}

}  // namespace alertllm::mock
