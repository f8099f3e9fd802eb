// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <httplib.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace alertllm::test {

/// The ways the echoing LLM fails, each named by the first segment of the path it is called
/// on ("/401/classify", "/503/health"). Every answer quotes the whole request back — every
/// header, Authorization included, and the target with its query — as a careless gateway's
/// error page does:
///
/// - 401, 503, 502 HTML page, 429 (Retry-After: 3600): that status, the request echoed with
///   one secret placed where a 64-byte clip of the body cuts through it;
/// - html: 200 with an HTML page (not JSON at all);
/// - badjson: 200, JSON broken just after an echoed header value, so the excerpt around the
///   parse error starts inside the value;
/// - invalid: 200, a classification whose severity is the echoed request;
/// - servererror: 200, {"error":{"message": the echoed request}}.
inline constexpr std::array<std::string_view, 8> kEchoModes = {
    "401", "503", "html502", "429", "html", "badjson", "invalid", "servererror"};

/// Where the clip of an error body falls (detail::kMaxQuotedBytes): the secret placed first in
/// an echo starts 8 bytes before it, so a clip keeps exactly an 8-byte prefix of it.
inline constexpr std::size_t kEchoSecretOffset = 64 - 8;

/// `line` preceded by enough filler that its secret — what follows its last ' ' or '=' —
/// starts at byte `secret_at` of the result.
inline std::string PlacedAt(const std::string& line, std::size_t secret_at) {
  const std::size_t in_line = line.find_last_of(" =") + 1;
  const std::size_t lead = secret_at > in_line ? secret_at - in_line : 0;
  return std::string(lead, '.') + line;
}

/// The request as text: `first` (a line of it) placed at `secret_at`, then every header and the
/// target, one per line.
inline std::string EchoedRequest(const httplib::Request& req, const std::string& first,
                                 std::size_t secret_at) {
  std::string out = PlacedAt(first, secret_at) + "\n";
  for (const auto& [name, value] : req.headers) out += name + ": " + value + "\n";
  return out + "target: " + req.target + "\n";
}

/// `text` as the inside of a JSON string.
inline std::string JsonEscaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

/// One answer of the echoing LLM for `mode` (see kEchoModes).
inline void EchoAnswer(std::string_view mode, const httplib::Request& req, httplib::Response& res) {
  const std::string auth = "Authorization: " + req.get_header_value("Authorization");
  const std::string api_key = "X-Api-Key: " + req.get_header_value("X-Api-Key");
  const std::string target = "target: " + req.target;
  if (mode == "401" || mode == "503" || mode == "429") {
    res.status = std::stoi(std::string(mode));
    if (mode == "429") res.set_header("Retry-After", "3600");
    const std::string& first = mode == "401" ? auth : mode == "503" ? api_key : target;
    res.set_content(EchoedRequest(req, first, kEchoSecretOffset), "text/plain");
  } else if (mode == "html502" || mode == "html") {
    res.status = mode == "html" ? 200 : 502;
    const std::string head = "<html><pre>";
    res.set_content(
        head + EchoedRequest(req, auth, kEchoSecretOffset - head.size()) + "</pre></html>",
        "text/html");
  } else if (mode == "badjson") {
    res.set_content(R"({"echo":")" + api_key + R"("!)" + JsonEscaped(EchoedRequest(req, auth, 0)),
                    "application/json");
  } else if (mode == "invalid") {
    res.set_content(R"({"classification":{"severity":")" +
                        JsonEscaped(EchoedRequest(req, auth, kEchoSecretOffset)) +
                        R"(","category":"x","summary":"x","confidence":0.5}})",
                    "application/json");
  } else {
    res.set_content(R"({"error":{"message":")" +
                        JsonEscaped(EchoedRequest(req, api_key, kEchoSecretOffset)) + R"("}})",
                    "application/json");
  }
}

/// Routes "/<mode>/classify" (POST) and "/<mode>/health" (GET) on `server` to EchoAnswer.
inline void AddEchoRoutes(httplib::Server& server) {
  const auto handler = [](const httplib::Request& req, httplib::Response& res) {
    EchoAnswer(req.matches[1].str(), req, res);
  };
  server.Post(R"(/([a-z0-9]+)/classify)", handler);
  server.Get(R"(/([a-z0-9]+)/health)", handler);
}

}  // namespace alertllm::test
