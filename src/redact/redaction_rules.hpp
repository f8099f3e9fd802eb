// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <string_view>

namespace alertllm::internal {

// The rules of redaction: a key named in RedactionConfig::keys, the built-in
// value rules, then the user's patterns. The `rule` label values, in this order; the marker a
// match leaves is "[REDACTED:<rule>]".
inline constexpr std::array<std::string_view, 10> kRedactionRules = {
    "key",         "url_credentials", "secret_param", "bearer",      "aws_access_key_id",
    "jwt",         "github_token",    "slack_token",  "private_key", "custom"};

}  // namespace alertllm::internal
