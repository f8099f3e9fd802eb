// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "alertllm/detail/utf8.hpp"

namespace alertllm::detail {

/// How much of an untrusted value an error message or a log line shows by default.
inline constexpr std::size_t kMaxQuotedBytes = 64;

/// The project's one way to show untrusted text in a message, a log line or a fallback answer:
/// at most the first `max_bytes` bytes of `text`, cut on a UTF-8 character boundary and
/// followed by "..." when cut, with every control byte (DEL included) and every byte of invalid
/// UTF-8 replaced by '?'. The result is valid UTF-8 on one line, so a value can neither break
/// the encoding of what embeds it nor forge a log line.
///
/// Pure; thread-safe; allocates the result.
inline std::string Clip(std::string_view text, std::size_t max_bytes = kMaxQuotedBytes) {
  std::string out;
  out.reserve((text.size() < max_bytes ? text.size() : max_bytes) + 3);
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = Utf8SequenceLength(text.substr(i));
    const std::size_t width = length == 0 ? 1 : length;
    if (i + width > max_bytes) break;
    const auto byte = static_cast<unsigned char>(text[i]);
    if (length == 0 || byte < 0x20 || byte == 0x7f) {
      out += '?';
    } else {
      out.append(text.substr(i, width));
    }
    i += width;
  }
  if (i < text.size()) out += "...";
  return out;
}

/// `'` + Clip(text, max_bytes) + `'`: "'abc'", "'aaaa...'".
///
/// Pure; thread-safe; allocates the result.
inline std::string Quote(std::string_view text, std::size_t max_bytes = kMaxQuotedBytes) {
  return "'" + Clip(text, max_bytes) + "'";
}

}  // namespace alertllm::detail
