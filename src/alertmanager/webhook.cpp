// SPDX-License-Identifier: Apache-2.0
#include "alertllm/webhook.hpp"

#include <cstddef>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/rfc3339.hpp"
#include "util/text.hpp"

namespace alertllm {
namespace {

using Json = nlohmann::json;
using internal::Clip;
using internal::Quote;

// A wrong value as a message shows it: strings quoted, anything else by its JSON type.
std::string Describe(const Json& value) {
  if (value.is_string()) return Quote(value.get_ref<const std::string&>());
  return value.type_name();
}

std::string Path(std::size_t index, std::string_view field) {
  std::string path = "alerts[" + std::to_string(index) + "]";
  if (!field.empty()) {
    path += '.';
    path += field;
  }
  return path;
}

Error Invalid(std::string message) { return Error{ErrorCode::kInvalidRequest, std::move(message)}; }

// Moves the string values of the object `value` into `out`, which must be empty.
std::optional<Error> ReadStringMap(Json& value, std::size_t index, std::string_view field,
                                   std::map<std::string, std::string>& out) {
  if (!value.is_object()) {
    return Invalid(Path(index, field) + ": must be an object, got " + value.type_name());
  }
  for (auto& [name, item] : value.get_ref<Json::object_t&>()) {
    if (!item.is_string()) {
      return Invalid(Path(index, field) + "." + Clip(name) + ": must be a string, got " +
                     item.type_name());
    }
    // nlohmann's object is a std::map with the same ordering, so every insert is at the end.
    out.emplace_hint(out.end(), name, std::move(item.get_ref<std::string&>()));
  }
  return std::nullopt;
}

// The member `name` of `object`, or nullptr when it is missing or null: Go's encoding/json,
// which Alertmanager's own receivers use, treats null as absent too.
Json* FindMember(Json::object_t& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->second.is_null()) return nullptr;
  return &it->second;
}

std::optional<Error> ReadTime(Json& value, std::size_t index, std::string_view field,
                              internal::OptionalTime& out) {
  if (!value.is_string()) {
    return Invalid(Path(index, field) + ": must be a string, got " + value.type_name());
  }
  auto parsed = internal::ParseRfc3339(value.get_ref<const std::string&>());
  if (!parsed) return Invalid(Path(index, field) + ": " + parsed.error().message);
  out = *parsed;
  return std::nullopt;
}

std::optional<Error> ReadStatus(Json::object_t& object, std::size_t index, AlertStatus& out) {
  Json* status = FindMember(object, "status");
  if (status == nullptr) return Invalid(Path(index, "status") + ": missing");
  if (!status->is_string()) {
    return Invalid(Path(index, "status") + ": must be a string, got " + status->type_name());
  }
  auto parsed_status = ParseAlertStatus(status->get_ref<const std::string&>());
  if (!parsed_status) {
    return Invalid(Path(index, "status") + ": " + Describe(*status) +
                   " is not \"firing\" or \"resolved\"");
  }
  out = *parsed_status;
  return std::nullopt;
}

// A member that may be missing or null (left as it is) but is a string when present.
std::optional<Error> ReadOptionalString(Json::object_t& object, std::size_t index,
                                        const char* field, std::string& out) {
  Json* value = FindMember(object, field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    return Invalid(Path(index, field) + ": must be a string, got " + value->type_name());
  }
  out = std::move(value->get_ref<std::string&>());
  return std::nullopt;
}

std::optional<Error> ReadAlert(Json& value, std::size_t index, Alert& alert) {
  if (!value.is_object()) {
    return Invalid(Path(index, {}) + ": must be an object, got " + value.type_name());
  }
  auto& object = value.get_ref<Json::object_t&>();

  if (auto error = ReadStatus(object, index, alert.status)) return error;

  Json* labels = FindMember(object, "labels");
  if (labels == nullptr) return Invalid(Path(index, "labels") + ": missing");
  if (auto error = ReadStringMap(*labels, index, "labels", alert.labels)) return error;

  if (Json* annotations = FindMember(object, "annotations")) {
    if (auto error = ReadStringMap(*annotations, index, "annotations", alert.annotations)) {
      return error;
    }
  }

  Json* starts_at = FindMember(object, "startsAt");
  if (starts_at == nullptr) return Invalid(Path(index, "startsAt") + ": missing");
  internal::OptionalTime start;
  if (auto error = ReadTime(*starts_at, index, "startsAt", start)) return error;
  // A start is never unknown: Alertmanager replaces a zero startsAt with the time it received
  // the alert.
  if (!start) return Invalid(Path(index, "startsAt") + ": the zero time is not a start time");
  alert.starts_at = *start;

  if (Json* ends_at = FindMember(object, "endsAt")) {
    if (auto error = ReadTime(*ends_at, index, "endsAt", alert.ends_at)) return error;
  }

  if (auto error = ReadOptionalString(object, index, "generatorURL", alert.generator_url)) {
    return error;
  }
  if (auto error = ReadOptionalString(object, index, "fingerprint", alert.fingerprint)) {
    return error;
  }
  if (alert.fingerprint.empty()) alert.fingerprint = Fingerprint(alert.labels);

  if (const auto name = alert.labels.find("alertname"); name != alert.labels.end()) {
    alert.alert_name = name->second;
  }
  return std::nullopt;
}

Result<std::vector<Alert>> ReadEnvelope(Json& root) {
  if (!root.is_object()) {
    return Invalid(std::string("webhook body: must be a JSON object, got ") + root.type_name());
  }
  auto& envelope = root.get_ref<Json::object_t&>();

  if (const auto version = envelope.find("version"); version != envelope.end()) {
    if (!version->second.is_string() || version->second.get_ref<const std::string&>() != "4") {
      return Invalid("version: must be \"4\", got " + Describe(version->second));
    }
  }

  const auto alerts_member = envelope.find("alerts");
  if (alerts_member == envelope.end()) return Invalid("alerts: missing");
  if (!alerts_member->second.is_array()) {
    return Invalid(std::string("alerts: must be an array, got ") +
                   alerts_member->second.type_name());
  }
  auto& items = alerts_member->second.get_ref<Json::array_t&>();

  std::vector<Alert> alerts;
  alerts.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (auto error = ReadAlert(items[i], i, alerts.emplace_back())) return std::move(*error);
  }
  return alerts;
}

Result<std::vector<Alert>> Parse(std::string_view body, std::size_t max_bytes) {
  if (body.size() > max_bytes) {
    return Invalid("webhook body is " + std::to_string(body.size()) + " bytes, over the limit of " +
                   std::to_string(max_bytes));
  }
  if (body.empty()) return Invalid("webhook body is empty");
  if (auto problem = internal::CheckJsonStructure(body)) return Invalid(std::move(*problem));

  Json root;
  try {
    root = Json::parse(body.data(), body.data() + body.size());
  } catch (const Json::parse_error& e) {
    return Invalid("malformed JSON at byte " + std::to_string(e.byte) + ": " +
                   internal::ShortJsonReason(e.what()));
  } catch (const Json::exception& e) {
    // For instance out_of_range 406, a number too large for a double.
    return Invalid("malformed JSON: " + internal::ShortJsonReason(e.what()));
  }
  return ReadEnvelope(root);
}

}  // namespace

Result<std::vector<Alert>> ParseAlertmanagerWebhook(std::string_view body) {
  return ParseAlertmanagerWebhook(body, kDefaultMaxWebhookBytes);
}

Result<std::vector<Alert>> ParseAlertmanagerWebhook(std::string_view body, std::size_t max_bytes) {
  try {
    return Parse(body, max_bytes);
  } catch (const std::bad_alloc&) {
    // Short enough for the small-string buffer, so building this error cannot throw again.
    return Error{ErrorCode::kUnknown, "out of memory"};
  } catch (...) {
    return Error{ErrorCode::kUnknown, "internal error"};
  }
}

}  // namespace alertllm
