// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "alertllm/result.hpp"

namespace alertllm::webhook {

/// The bearer token a caller of alertllm-webhook must present (`--auth-token-file`,
/// `ALERTLLM_WEBHOOK_TOKEN_FILE`), and the check of one request's `Authorization` header. It
/// knows nothing of the HTTP server, so a new server keeps the same decision.
///
/// The token never leaves this class: no error, message or accessor shows it.
///
/// Thread-safety: immutable after construction; Check() may be called concurrently.
class WebhookAuth {
 public:
  /// What Check() found.
  enum class Verdict {
    kOk,         ///< "Bearer <the token>".
    kMissing,    ///< No Authorization header, or an empty one.
    kNotBearer,  ///< Another scheme (Basic, ...) or no credentials after "Bearer".
    kWrong,      ///< A bearer token that is not this one.
  };

  /// The token read from the file at `path`, whitespace (the trailing newline of an editor or of
  /// `echo`) trimmed at both ends, as Alertmanager trims its `credentials_file`. Errors:
  /// kInvalidConfig naming `source` (the flag or variable that gave the path) and the path — never
  /// the file's content — when the file cannot be read, holds nothing but whitespace, or holds a
  /// byte that no Authorization header can carry (a control character or space inside the
  /// token, or a byte outside ASCII).
  static Result<WebhookAuth> FromFile(const std::string& path, std::string_view source);

  /// `token` as it is; FromFile() is the checked way. For tests.
  explicit WebhookAuth(std::string token) : token_(std::move(token)) {}

  /// Judges one request's Authorization header value ("" when absent): the scheme "Bearer"
  /// in any case (RFC 7235), then the token compared in time that depends on the lengths only,
  /// never on where the first wrong byte is.
  Verdict Check(std::string_view authorization_header) const noexcept;

  /// The 401 message for `verdict`: what is missing or wrong, without quoting what was sent.
  static std::string_view Explain(Verdict verdict) noexcept;

 private:
  std::string token_;
};

}  // namespace alertllm::webhook
