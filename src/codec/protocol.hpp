// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "alertllm/alert.hpp"
#include "alertllm/config.hpp"
#include "alertllm/result.hpp"

// The two wire protocols of DESIGN.md §5: request bodies, paths and answer decoding. Private to
// the compiled library; the only place that knows their JSON shapes.
//
// Every function here is thread-safe (pure, no shared state). None throws, except JoinUrl,
// which only allocates (std::bad_alloc); the others return even out-of-memory as an Error.
namespace alertllm::internal {

/// The largest request body EncodeClassifyRequest builds by default: 1 MiB, the same as the
/// default `Config::max_response_bytes`. An Alertmanager alert is a few KiB; a body this large
/// means a runaway annotation, and most LLM gateways reject bodies of a few MiB anyway.
inline constexpr std::size_t kDefaultMaxRequestBytes = 1024 * 1024;

/// The built-in system prompt (used when `Config::prompt` is empty): classify one alert and
/// answer only a JSON object with severity 1..4, category, summary, confidence, reasoning and
/// suggestions.
std::string_view DefaultPrompt() noexcept;

/// "/classify" (proxy) or "/v1/chat/completions" (openai).
std::string_view ClassifyPath(Protocol protocol) noexcept;

/// "/health" (proxy) or "/v1/models" (openai).
std::string_view HealthPath(Protocol protocol) noexcept;

/// `base_url` followed by `path` (which starts with '/'), with any trailing slashes of
/// `base_url` removed so that "http://h/" and "http://h" give the same URL. When `base_url`
/// already ends in "/v1" and `path` starts with "/v1/", the "/v1" is not doubled: OpenAI's own
/// SDKs take base URLs such as "https://api.openai.com/v1", so both spellings work. A query
/// of `base_url` follows the path: "http://h/v1?k=v" + "/classify" is "http://h/v1/classify?k=v".
std::string JoinUrl(std::string_view base_url, std::string_view path);

/// The alert as the compact JSON object both protocols send:
/// `{"alertname","status","labels","annotations","startsAt","endsAt"?,"fingerprint"}`, keys in
/// that order, labels and annotations in byte order of their names, so equal alerts always give
/// identical bytes. `alertname` is `alert.alert_name`, or the `alertname` label when that is
/// empty; `endsAt` is omitted while the alert has no end; an empty fingerprint is computed with
/// Fingerprint(labels). Timestamps are RFC 3339 UTC with trimmed nanoseconds.
///
/// Errors: kInvalidRequest when a string is not valid UTF-8 (the message names the field and
/// byte offset; JSON cannot carry such bytes and silently replacing them would change labels).
Result<std::string> EncodeAlertJson(const Alert& alert);

/// The body of the classify request for `config.protocol`, with `config.model` and the prompt
/// (`config.prompt`, or DefaultPrompt() when empty):
///  - proxy: `{"alert":{…EncodeAlertJson…},"model":…,"prompt":…}`;
///  - openai: `{"model":…,"messages":[{"role":"system","content":prompt},{"role":"user",
///    "content":"<alert>\n…EncodeAlertJson…\n</alert>"}],"temperature":0,"response_format":
///    {"type":"json_schema","json_schema":{"name":"alert_classification","strict":true,
///    "schema":…}}}`; in the user message '<' and '>' inside the alert's strings are written
///    \u003c and \u003e, so the alert cannot close its marker.
///
/// Errors: kInvalidRequest for invalid UTF-8 (as EncodeAlertJson, also in model and prompt),
/// and "request body is N bytes, over the limit of M bytes" when the body would exceed
/// `max_request_bytes` (checked against a lower bound before any JSON is built, so a 100 MB
/// annotation costs no 100 MB of escaping).
Result<std::string> EncodeClassifyRequest(const Alert& alert, const Config& config,
                                          std::size_t max_request_bytes = kDefaultMaxRequestBytes);

/// The bytes of a classify request that do not depend on the alert — the protocol's framing
/// with the model and the escaped prompt — built once per client so that a call escapes only
/// its alert. Immutable once made; share it freely.
struct RequestFrame {
  Protocol protocol = Protocol::kProxy;
  /// Everything before the alert (proxy: `{"alert":`; openai: up to the user message's
  /// opening quote).
  std::string head;
  /// Everything after it.
  std::string tail;
  /// model.size() + prompt.size(): the frame's share of the lower bound checked before
  /// encoding.
  std::size_t raw_size = 0;
};

/// The frame of `config` (protocol, model, prompt). Errors: kInvalidRequest when the model or
/// the prompt is not valid UTF-8; kUnknown for out of memory.
Result<RequestFrame> MakeRequestFrame(const Config& config);

/// EncodeClassifyRequest(alert, config, max) with the frame of `config` made beforehand:
/// byte-identical output and the same errors, without re-escaping the prompt on every call.
Result<std::string> EncodeClassifyRequest(const Alert& alert, const RequestFrame& frame,
                                          std::size_t max_request_bytes = kDefaultMaxRequestBytes);

/// Decodes and validates the answer to a classify request (DESIGN.md §5):
///  - proxy: `{"classification":{…},"request_id","processing_time","error"?}`. A non-empty
///    `error` fails the call with its text. `request_id` and `processing_time` are metadata:
///    a missing or malformed one leaves "" or 0 and does not fail the classification.
///  - openai: `choices[0].message.content` is the classification as a JSON string; it may be
///    wrapped in a Markdown code fence (```json … ```), which servers that ignore
///    response_format (Ollama, llama.cpp without a grammar) often add. A non-empty
///    `message.refusal` fails as "model refused: …"; `finish_reason` "length" or
///    "content_filter" fails because the content is cut off or withheld. `request_id` is the
///    top-level `id`.
///  - both: a top-level `usage` object (`prompt_tokens`, `completion_tokens`, optional
///    `prompt_tokens_details.cached_tokens`) becomes Classification::usage. Metadata too: a
///    usage that is not an object, lacks either count, has a count that is not a non-negative
///    integer, or more cached than prompt tokens is ignored whole (usage stays empty); counts
///    above 2^32 are taken as 2^32.
///
/// Validation of the classification: `severity` an integer 1..4 (an integral number such as
/// 3.0, or a string ParseSeverity accepts — "warning", "3" — is taken too, for servers without
/// structured output); `confidence` a number in [0, 1]; `category` and `summary` non-empty
/// strings; `reasoning` a string (may be empty); `suggestions` an array of strings (missing or
/// null means none). Unknown members are ignored.
///
/// Errors: every failure is kInvalidResponse with a short message naming the field and at most
/// 64 bytes of the offending text (control characters and invalid UTF-8 replaced by '?'):
/// a body larger than `max_bytes`, empty, nested deeper than 64 levels, not JSON, or of the
/// wrong shape. kUnknown only for out of memory. The result has source "llm" and attempts 0
/// (the client fills attempts).
Result<Classification> DecodeClassifyResponse(Protocol protocol, std::string_view body,
                                              std::size_t max_bytes);

/// Parses a processing time: a Go duration ("234ms", "1.5s", "1m30s", "250us", "250µs",
/// "250μs", "800ns", "2h"; units ns, us, µs, μs, ms, s, m, h, several in sequence) or a bare
/// decimal number of seconds ("0.234"). Truncated to whole microseconds. A JSON number is the
/// caller's to convert (as seconds).
///
/// Errors: kInvalidResponse for empty text, a sign, an exponent, an unknown unit, or a value
/// too large for a 64-bit count of nanoseconds.
Result<std::chrono::microseconds> ParseProcessingTime(std::string_view text);

}  // namespace alertllm::internal
