// SPDX-License-Identifier: Apache-2.0
// The response side of both protocols: parse with bounded depth, then read and validate the
// classification (proxy: the `classification` member; openai: the JSON string in
// choices[0].message.content).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "codec/codec_util.hpp"
#include "codec/protocol.hpp"
#include "util/text.hpp"

namespace alertllm::internal {
namespace {

using codec::BadResponse;
using codec::Join;
using codec::OverLimit;
using Json = nlohmann::json;

constexpr int kMaxDepth = 64;

// A wrong value as a message shows it: strings quoted, numbers and booleans as written,
// anything else by its JSON type.
std::string Describe(const Json& value) {
  if (value.is_string()) return Quote(value.get_ref<const std::string&>());
  if (value.is_number() || value.is_boolean()) return Clip(value.dump());
  return value.type_name();
}

// Up to 64 bytes of `text` around the 1-based byte offset `byte`, starting on a character.
std::string Near(std::string_view text, std::size_t byte) {
  std::size_t start = byte > 16 ? byte - 16 : 0;
  if (start >= text.size()) start = text.size() > 16 ? text.size() - 16 : 0;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return Quote(text.substr(start));
}

std::optional<Error> CheckStructure(std::string_view text, std::string_view what) {
  if (auto problem = internal::CheckJsonStructure(text, kMaxDepth)) {
    return BadResponse(std::string(what) + ": " + *problem);
  }
  return std::nullopt;
}

std::optional<Error> ParseJson(std::string_view text, std::string_view what, Json& out) {
  if (text.empty()) return BadResponse(std::string(what) + " is empty");
  if (auto error = CheckStructure(text, what)) return error;
  try {
    out = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return BadResponse(std::string(what) + ": malformed JSON at byte " + std::to_string(e.byte) +
                       ": " + ShortJsonReason(e.what()) + ", near " + Near(text, e.byte));
  } catch (const Json::exception& e) {
    // For instance out_of_range 406, a number too large for a double.
    return BadResponse(std::string(what) + ": malformed JSON: " + ShortJsonReason(e.what()));
  }
  return std::nullopt;
}

// The member `name` of the object `object`, or nullptr when it is missing or null.
const Json* Find(const Json& object, const char* name) {
  const auto& members = object.get_ref<const Json::object_t&>();
  const auto it = members.find(name);
  if (it == members.end() || it->second.is_null()) return nullptr;
  return &it->second;
}

Result<Severity> ReadSeverity(const Json& value) {
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number >= 1 && number <= 4) return static_cast<Severity>(number);
    return BadResponse(std::to_string(number) + " is out of range 1..4");
  }
  if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    if (number >= 1 && number <= 4) return static_cast<Severity>(number);
    return BadResponse(std::to_string(number) + " is out of range 1..4");
  }
  if (value.is_number_float()) {
    // Models without structured output sometimes write 3.0 for 3.
    const auto number = value.get<double>();
    if (number >= 1.0 && number <= 4.0 && std::floor(number) == number) {
      return static_cast<Severity>(static_cast<int>(number));
    }
    return BadResponse(Describe(value) + " is not an integer in 1..4");
  }
  if (value.is_string()) {
    auto parsed = ParseSeverity(value.get_ref<const std::string&>());
    if (parsed) return *parsed;
    return BadResponse(Describe(value) + " is not one of 1..4, noise, info, warning, critical");
  }
  return BadResponse(std::string("must be an integer 1..4, got ") + value.type_name());
}

std::optional<Error> ReadString(const Json& object, std::string_view path, const char* name,
                                bool non_empty, std::string& out) {
  const Json* value = Find(object, name);
  if (value == nullptr) return BadResponse(Join(path, name) + ": missing");
  if (!value->is_string()) {
    return BadResponse(Join(path, name) + ": must be a string, got " + value->type_name());
  }
  const auto& text = value->get_ref<const std::string&>();
  if (non_empty && text.empty()) return BadResponse(Join(path, name) + ": must not be empty");
  out = text;
  return std::nullopt;
}

std::optional<Error> ReadClassification(const Json& value, std::string_view path,
                                        Classification& out) {
  if (!value.is_object()) {
    return BadResponse(std::string(path) + ": must be a JSON object, got " + value.type_name());
  }

  const Json* severity = Find(value, "severity");
  if (severity == nullptr) return BadResponse(Join(path, "severity") + ": missing");
  auto parsed_severity = ReadSeverity(*severity);
  if (!parsed_severity) {
    return BadResponse(Join(path, "severity") + ": " + parsed_severity.error().message);
  }
  out.severity = *parsed_severity;

  const Json* confidence = Find(value, "confidence");
  if (confidence == nullptr) return BadResponse(Join(path, "confidence") + ": missing");
  if (!confidence->is_number()) {
    return BadResponse(Join(path, "confidence") + ": must be a number in [0, 1], got " +
                       Describe(*confidence));
  }
  const auto number = confidence->get<double>();
  if (!(number >= 0.0 && number <= 1.0)) {
    return BadResponse(Join(path, "confidence") + ": " + Describe(*confidence) +
                       " is out of range [0, 1]");
  }
  out.confidence = number;

  if (auto error = ReadString(value, path, "category", true, out.category)) return error;
  if (auto error = ReadString(value, path, "summary", true, out.summary)) return error;
  if (auto error = ReadString(value, path, "reasoning", false, out.reasoning)) return error;

  // Missing or null suggestions mean none: the seed's Go struct decodes them to a nil slice.
  if (const Json* suggestions = Find(value, "suggestions")) {
    if (!suggestions->is_array()) {
      return BadResponse(Join(path, "suggestions") + ": must be an array of strings, got " +
                         suggestions->type_name());
    }
    const auto& items = suggestions->get_ref<const Json::array_t&>();
    out.suggestions.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string()) {
        return BadResponse(Join(path, "suggestions") + "[" + std::to_string(i) +
                           "]: must be a string, got " + items[i].type_name());
      }
      out.suggestions.push_back(items[i].get_ref<const std::string&>());
    }
  }
  return std::nullopt;
}

// A server-reported error: a string, or an object with a string `message` (the OpenAI shape).
std::optional<Error> CheckServerError(const Json& root) {
  const Json* error = Find(root, "error");
  if (error == nullptr || (error->is_boolean() && !error->get<bool>())) return std::nullopt;
  if (error->is_string()) {
    const auto& text = error->get_ref<const std::string&>();
    if (text.empty()) return std::nullopt;
    return BadResponse("server error: " + Quote(text));
  }
  if (error->is_object()) {
    if (const Json* message = Find(*error, "message"); message != nullptr && message->is_string()) {
      return BadResponse("server error: " + Quote(message->get_ref<const std::string&>()));
    }
  }
  return BadResponse("server error: " + Describe(*error));
}

void ReadProcessingTime(const Json& value, std::chrono::microseconds& out) {
  if (value.is_string()) {
    if (auto parsed = ParseProcessingTime(value.get_ref<const std::string&>())) out = *parsed;
  } else if (value.is_number()) {
    const auto seconds = value.get<double>();
    // Up to about 100 days: anything longer is nonsense, and the bound keeps the cast defined.
    if (seconds >= 0.0 && seconds <= 1e7) {
      out = std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6));
    }
  }
}

// A token count as the `usage` object carries it: a non-negative JSON integer. Counts above
// kMaxTokens are taken as kMaxTokens: no request is that large, and the cap keeps every sum the
// metrics make of them far from overflow.
std::optional<std::int64_t> ReadTokenCount(const Json& value) {
  constexpr std::int64_t kMaxTokens = std::int64_t{1} << 32;
  if (value.is_number_unsigned()) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(
        value.get<std::uint64_t>(), static_cast<std::uint64_t>(kMaxTokens)));
  }
  if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    if (number >= 0) return std::min(number, kMaxTokens);
  }
  return std::nullopt;
}

// The top-level `usage` object (`prompt_tokens`, `completion_tokens`, and
// `prompt_tokens_details.cached_tokens` when present). Metadata like request_id: a usage object
// that is not exactly that shape is ignored as a whole rather than failing the classification
// or reporting half of it, and so is one claiming more cached tokens than prompt tokens.
std::optional<TokenUsage> ReadUsage(const Json& root) {
  const Json* usage = Find(root, "usage");
  if (usage == nullptr || !usage->is_object()) return std::nullopt;
  const Json* prompt = Find(*usage, "prompt_tokens");
  const Json* completion = Find(*usage, "completion_tokens");
  if (prompt == nullptr || completion == nullptr) return std::nullopt;
  const std::optional<std::int64_t> prompt_tokens = ReadTokenCount(*prompt);
  const std::optional<std::int64_t> completion_tokens = ReadTokenCount(*completion);
  if (!prompt_tokens || !completion_tokens) return std::nullopt;
  TokenUsage out;
  out.prompt_tokens = *prompt_tokens;
  out.completion_tokens = *completion_tokens;
  if (const Json* details = Find(*usage, "prompt_tokens_details")) {
    if (!details->is_object()) return std::nullopt;
    if (const Json* cached = Find(*details, "cached_tokens")) {
      const std::optional<std::int64_t> cached_tokens = ReadTokenCount(*cached);
      if (!cached_tokens || *cached_tokens > out.prompt_tokens) return std::nullopt;
      out.cached_tokens = *cached_tokens;
    }
  }
  return out;
}

Result<Classification> DecodeProxy(const Json& root) {
  if (auto error = CheckServerError(root)) return std::move(*error);
  const Json* classification = Find(root, "classification");
  if (classification == nullptr) return BadResponse("classification: missing");
  Classification out;
  if (auto error = ReadClassification(*classification, "classification", out)) {
    return std::move(*error);
  }
  // Metadata only: a server that sends a malformed one still classified the alert.
  if (const Json* id = Find(root, "request_id"); id != nullptr && id->is_string()) {
    out.request_id = id->get_ref<const std::string&>();
  }
  if (const Json* time = Find(root, "processing_time"))
    ReadProcessingTime(*time, out.processing_time);
  out.usage = ReadUsage(root);
  return out;
}

// "```json\n{…}\n```" → "{…}". Any info string is accepted after the opening fence; text that
// does not both open and close with a fence is returned trimmed, as it is.
std::string_view StripCodeFence(std::string_view text) {
  text = Trim(text);
  constexpr std::string_view kFence = "```";
  if (text.size() < 2 * kFence.size() || text.substr(0, 3) != kFence ||
      text.substr(text.size() - 3) != kFence) {
    return text;
  }
  std::string_view inner = text.substr(3, text.size() - 6);
  const auto newline = inner.find('\n');
  if (newline == std::string_view::npos) return text;
  return Trim(inner.substr(newline + 1));
}

Result<Classification> DecodeOpenAI(const Json& root) {
  if (auto error = CheckServerError(root)) return std::move(*error);
  const Json* choices = Find(root, "choices");
  if (choices == nullptr) return BadResponse("choices: missing");
  if (!choices->is_array()) {
    return BadResponse(std::string("choices: must be an array, got ") + choices->type_name());
  }
  if (choices->empty()) return BadResponse("choices: empty");
  const Json& choice = choices->front();
  if (!choice.is_object()) {
    return BadResponse(std::string("choices[0]: must be an object, got ") + choice.type_name());
  }
  const Json* message = Find(choice, "message");
  if (message == nullptr) return BadResponse("choices[0].message: missing");
  if (!message->is_object()) {
    return BadResponse(std::string("choices[0].message: must be an object, got ") +
                       message->type_name());
  }

  if (const Json* refusal = Find(*message, "refusal")) {
    if (!refusal->is_string()) return BadResponse("model refused: " + Describe(*refusal));
    if (!refusal->get_ref<const std::string&>().empty()) {
      return BadResponse("model refused: " + Quote(refusal->get_ref<const std::string&>()));
    }
  }
  if (const Json* reason = Find(choice, "finish_reason");
      reason != nullptr && reason->is_string()) {
    const auto& text = reason->get_ref<const std::string&>();
    if (text == "length") return BadResponse("response truncated (finish_reason=length)");
    if (text == "content_filter") {
      return BadResponse("response withheld by the content filter (finish_reason=content_filter)");
    }
  }

  constexpr std::string_view kContent = "choices[0].message.content";
  const Json* content = Find(*message, "content");
  if (content == nullptr) return BadResponse(std::string(kContent) + ": missing");
  if (!content->is_string()) {
    return BadResponse(std::string(kContent) + ": must be a string, got " + content->type_name());
  }
  Json inner;
  if (auto error =
          ParseJson(StripCodeFence(content->get_ref<const std::string&>()), kContent, inner)) {
    return std::move(*error);
  }
  Classification out;
  if (auto error = ReadClassification(inner, kContent, out)) return std::move(*error);
  if (const Json* id = Find(root, "id"); id != nullptr && id->is_string()) {
    out.request_id = id->get_ref<const std::string&>();
  }
  out.usage = ReadUsage(root);
  return out;
}

Result<Classification> Decode(Protocol protocol, std::string_view body, std::size_t max_bytes) {
  if (body.size() > max_bytes)
    return BadResponse(OverLimit("response body", body.size(), max_bytes));
  Json root;
  if (auto error = ParseJson(body, "response body", root)) return std::move(*error);
  if (!root.is_object()) {
    return BadResponse(std::string("response body: must be a JSON object, got ") +
                       root.type_name());
  }
  return protocol == Protocol::kOpenAI ? DecodeOpenAI(root) : DecodeProxy(root);
}

}  // namespace

Result<Classification> DecodeClassifyResponse(Protocol protocol, std::string_view body,
                                              std::size_t max_bytes) {
  return codec::Guarded([&] { return Decode(protocol, body, max_bytes); });
}

}  // namespace alertllm::internal
