// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "alertllm/alert.hpp"
#include "alertllm/result.hpp"
#include "codec/protocol.hpp"

// What every DecodeClassifyResponse result must satisfy, whatever the input: shared by the
// proxy and openai response fuzzers, which abort() when it does not hold.
namespace alertllm::fuzz {

inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

inline void Check(bool invariant) {
  if (!invariant) std::abort();
}

// Valid UTF-8 (RFC 3629) with no byte below 0x20: what an error message must be.
inline bool IsCleanUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x20) return false;
    std::size_t length = 1;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (length > 1) {
      if (i + length > text.size()) return false;
      const auto second = static_cast<unsigned char>(text[i + 1]);
      if (second < low || second > high) return false;
      for (std::size_t k = 2; k < length; ++k) {
        if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
      }
    }
    i += length;
  }
  return true;
}

inline void CheckDecoded(const Result<Classification>& result) {
  if (result) {
    const Classification& c = *result;
    const int severity = static_cast<int>(c.severity);
    Check(severity >= 1 && severity <= 4);
    Check(std::isfinite(c.confidence) && c.confidence >= 0.0 && c.confidence <= 1.0);
    Check(!c.category.empty() && !c.summary.empty());
    Check(c.source == "llm");
    Check(c.attempts == 0);
    Check(c.processing_time >= std::chrono::microseconds::zero());
    if (c.usage) {
      // Counts are capped at 2^32 so that the metrics' sums of them cannot overflow.
      constexpr std::int64_t kMaxTokens = std::int64_t{1} << 32;
      const TokenUsage& u = *c.usage;
      Check(u.prompt_tokens >= 0 && u.prompt_tokens <= kMaxTokens);
      Check(u.completion_tokens >= 0 && u.completion_tokens <= kMaxTokens);
      Check(u.cached_tokens >= 0 && u.cached_tokens <= u.prompt_tokens);
    }
  } else {
    Check(result.error().code == ErrorCode::kInvalidResponse);
    Check(!result.error().message.empty());
    // Short: a clipped excerpt, never the body.
    Check(result.error().message.size() <= 512);
    Check(IsCleanUtf8(result.error().message));
  }
}

// The same bytes as a processing_time on their own.
inline void CheckProcessingTime(std::string_view text) {
  auto parsed = internal::ParseProcessingTime(text);
  if (parsed) {
    Check(*parsed >= std::chrono::microseconds::zero());
  } else {
    Check(parsed.error().code == ErrorCode::kInvalidResponse);
    Check(IsCleanUtf8(parsed.error().message));
  }
}

}  // namespace alertllm::fuzz
