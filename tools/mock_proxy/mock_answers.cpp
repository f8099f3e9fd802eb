// SPDX-License-Identifier: Apache-2.0
// What the mock says: the fault set (parsed, checked, shown), the alert read from either
// protocol's request, MockClassify()'s verdict and the answers built from it.
#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "alertllm/detail/fallback_rules.hpp"
#include "alertllm/detail/quote.hpp"
#include "alertllm/detail/strings.hpp"
#include "alertllm/fallback.hpp"
#include "mock_proxy_internal.hpp"

namespace alertllm::mock {
namespace internal {

std::string ErrorJson(std::string_view message) {
  return Json{{"error", {{"message", message}, {"type", "invalid_request_error"}}}}.dump();
}

std::string Milliseconds(SteadyClock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}

}  // namespace internal

namespace {

using detail::Clip;
using detail::kFallbackMaxValueBytes;
using internal::BadBody;
using internal::Json;

constexpr int kMaxLatencyMs = 600'000;
constexpr double kMaxDownSeconds = 86'400.0;
constexpr std::size_t kMaxRetryAfterBytes = 64;

std::optional<FaultsError> Fail(std::string field, std::string message) {
  return FaultsError{std::move(field), std::move(message)};
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

// The alert's JSON in an openai user message: between the <alert> markers alertllm writes, or
// the whole content as clients before the markers sent it.
std::string_view Undelimited(std::string_view content) {
  constexpr std::string_view kOpen = "<alert>";
  constexpr std::string_view kClose = "</alert>";
  const std::string_view trimmed = detail::TrimSpace(content);
  if (!trimmed.starts_with(kOpen) || !trimmed.ends_with(kClose)) return content;
  return trimmed.substr(kOpen.size(), trimmed.size() - kOpen.size() - kClose.size());
}

// The instruction a naive model would follow: an annotation that says, in any case, to
// ignore the previous instructions and to answer severity noise.
bool CarriesInjection(const Alert& alert) {
  for (const auto& [name, value] : alert.annotations) {
    const std::string text = Lower(value);
    if (text.find("ignore previous instructions") != std::string::npos &&
        text.find("severity noise") != std::string::npos) {
      return true;
    }
  }
  return false;
}

Json ClassificationJson(const Classification& c) {
  return Json{{"severity", static_cast<int>(c.severity)},
              {"category", c.category},
              {"summary", c.summary},
              {"confidence", c.confidence},
              {"reasoning", c.reasoning},
              {"suggestions", c.suggestions}};
}

}  // namespace

namespace internal {

Alert ReadProxyRequest(const std::string& body) {
  const Json root = ParseBody(body);
  if (!root.is_object()) throw BadBody{"request body: must be a JSON object"};
  const auto it = root.find("alert");
  if (it == root.end()) throw BadBody{"alert: missing"};
  return ReadAlert(*it);
}

// The alert is the JSON text of the last user message, between <alert> markers or bare.
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
    alert = Json::parse(Undelimited(content->get_ref<const std::string&>()));
  } catch (const Json::exception&) {
    throw BadBody{"messages: the user message's content is not the alert as JSON"};
  }
  return ReadAlert(alert);
}

std::string ProxyAnswer(const Classification& verdict, const std::string& id,
                        SteadyClock::time_point start) {
  const Json classification = ClassificationJson(verdict);
  return Json{{"classification", classification},
              {"request_id", id},
              {"processing_time", Milliseconds(SteadyClock::now() - start)}}
      .dump();
}

std::string OpenAIAnswer(const Classification& verdict, const std::string& id,
                         const std::string& model, std::size_t request_bytes) {
  const std::string content = ClassificationJson(verdict).dump();
  return Json{{"id", id},
              {"object", "chat.completion"},
              {"created", static_cast<std::int64_t>(std::time(nullptr))},
              {"model", model},
              {"choices",
               Json::array({Json{
                   {"index", 0},
                   {"message", {{"role", "assistant"}, {"content", content}, {"refusal", nullptr}}},
                   {"finish_reason", "stop"}}})},
              {"usage",
               {{"prompt_tokens", request_bytes / 4},
                {"completion_tokens", content.size() / 4},
                {"total_tokens", (request_bytes + content.size()) / 4}}}}
      .dump();
}

}  // namespace internal

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
      (name == "malformed"   ? faults.malformed
       : name == "truncated" ? faults.truncated
                             : faults.drop) = value.get<bool>();
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

Classification MockClassify(const Alert& alert, bool obey_injection) {
  Classification out = RuleBasedClassifier{}.Classify(alert);
  std::string_view name = detail::FallbackValue(alert.labels, "alertname");
  if (name.empty()) name = alert.alert_name;
  const std::string shown = name.empty() ? "(unnamed)" : Clip(name, kFallbackMaxValueBytes);
  const auto [rule, keyword] = MatchRule(name);

  std::uint64_t hash = Fnv1a(name);
  for (const auto& [key, value] : alert.labels) hash = Fnv1a(value, Fnv1a(key, hash) ^ 0xff);
  out.confidence = 0.70 + static_cast<double>(hash % 26) / 100.0;
  out.source = "llm";

  std::string& why = out.reasoning;
  why = "The alert '" + shown + "' is " + std::string(ToString(alert.status));
  if (auto v = detail::FallbackValue(alert.labels, "instance"); !v.empty()) {
    why += " on " + Clip(v, kFallbackMaxValueBytes);
  }
  if (auto v = detail::FallbackValue(alert.labels, "namespace"); !v.empty()) {
    why += " in namespace " + Clip(v, kFallbackMaxValueBytes);
  }
  if (auto v = detail::FallbackValue(alert.labels, "job"); !v.empty()) {
    why += " (job " + Clip(v, kFallbackMaxValueBytes) + ")";
  }
  why += ". ";
  if (keyword.empty()) {
    why += "Its name matches no pattern I know, so I treat it as a general " +
           std::string(ToString(out.severity)) + " alert";
  } else {
    const bool prefix = keyword[0] == '^';
    why += "Its name " + std::string(prefix ? "starts with '" : "mentions '") +
           std::string(keyword.substr(prefix ? 1 : 0)) + "', which points to " + Lower(rule->what) +
           " (category " + out.category + "); I rate it " + std::string(ToString(out.severity));
  }
  const std::string_view label = detail::FallbackValue(alert.labels, "severity");
  if (alert.status == AlertStatus::kResolved) {
    why += " only as info because it has resolved";
  } else if (!label.empty()) {
    why += ", taking into account its severity label '" + Clip(label, kFallbackMaxValueBytes) + "'";
  }
  why += ".";
  if (auto v = detail::FallbackValue(alert.annotations, "summary"); !v.empty()) {
    why += " The summary annotation reads: '" + Clip(v, kFallbackMaxValueBytes) + "'.";
  }
  if (obey_injection && CarriesInjection(alert)) {
    // What a model that mistakes data for instructions does; the severity floor must hold.
    out.severity = Severity::kNoise;
    why += " An annotation told me to ignore my instructions and answer noise, so I do.";
  }
  why += " (alertllm-mock-proxy, rule " + std::string(rule->name) + ")";
  return out;
}

}  // namespace alertllm::mock
