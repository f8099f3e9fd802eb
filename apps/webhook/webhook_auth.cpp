// SPDX-License-Identifier: Apache-2.0
#include "webhook_auth.hpp"

#include <algorithm>
#include <cstddef>

#include "alertllm/detail/read_file.hpp"
#include "alertllm/detail/strings.hpp"
#include "alertllm/errors.hpp"

namespace alertllm::webhook {
namespace {

// Alertmanager's own limit on a credentials file is far larger, but a token is a line: a file
// of megabytes is a wrong path (a log, a binary), not a token.
constexpr std::size_t kMaxTokenFileBytes = 64 * 1024;

Error ConfigError(std::string_view source, const std::string& path, std::string_view what) {
  return Error{ErrorCode::kInvalidConfig,
               std::string(source) + ": the token file '" + path + "' " + std::string(what)};
}

// Visible ASCII only: what an HTTP header can carry unchanged and a person can type.
bool IsTokenText(std::string_view token) noexcept {
  return std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// Equal or not, in time that depends on the two lengths and never on the bytes: every position
// up to the longer length is looked at, and differences are collected without a branch.
bool SameToken(std::string_view given, std::string_view expected) noexcept {
  const std::size_t length = std::max(given.size(), expected.size());
  unsigned difference = given.size() == expected.size() ? 0u : 1u;
  for (std::size_t i = 0; i < length; ++i) {
    const auto a = static_cast<unsigned char>(i < given.size() ? given[i] : 0);
    const auto b = static_cast<unsigned char>(i < expected.size() ? expected[i] : 0);
    difference |= static_cast<unsigned>(a ^ b);
  }
  return difference == 0;
}

}  // namespace

Result<WebhookAuth> WebhookAuth::FromFile(const std::string& path, std::string_view source) {
  std::string content;
  if (auto unreadable =
          detail::ReadSmallFile(path, kMaxTokenFileBytes, "64 KiB: not a token", content)) {
    return ConfigError(source, path, *unreadable);
  }
  const std::string_view token = detail::TrimSpace(content);
  if (token.empty()) return ConfigError(source, path, "is empty");
  if (!IsTokenText(token)) {
    return ConfigError(source, path,
                       "must hold one token of visible ASCII characters (no spaces or control "
                       "characters inside it)");
  }
  return WebhookAuth(std::string(token));
}

WebhookAuth::Verdict WebhookAuth::Check(std::string_view authorization_header) const noexcept {
  const std::string_view value = detail::TrimOws(authorization_header);
  if (value.empty()) return Verdict::kMissing;
  constexpr std::string_view kScheme = "Bearer";
  if (value.size() <= kScheme.size() || value[kScheme.size()] != ' ' ||
      !detail::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return Verdict::kNotBearer;
  }
  const std::string_view credentials = detail::TrimOws(value.substr(kScheme.size() + 1));
  if (credentials.empty()) return Verdict::kNotBearer;
  return SameToken(credentials, token_) ? Verdict::kOk : Verdict::kWrong;
}

std::string_view WebhookAuth::Explain(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::kOk:
      return "authorized";
    case Verdict::kMissing:
      return "missing Authorization header: send 'Authorization: Bearer <token>'";
    case Verdict::kNotBearer:
      return "the Authorization header is not 'Bearer <token>'";
    case Verdict::kWrong:
      return "the bearer token is not the one configured";
  }
  return "unauthorized";
}

}  // namespace alertllm::webhook
