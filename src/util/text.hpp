// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "alertllm/detail/utf8.hpp"

namespace alertllm::internal {

/// The project's one UTF-8 check, shared with the header-only parts.
using alertllm::detail::Utf8SequenceLength;

/// At most `max_bytes` of untrusted text for an error message: cut on a character boundary
/// ("..." marks a cut), with control bytes and invalid UTF-8 replaced by '?', so that a message
/// stays valid UTF-8 and cannot forge log lines.
std::string Clip(std::string_view text, std::size_t max_bytes = 64);

/// `text` without leading and trailing spaces, tabs, CRs and LFs.
std::string_view Trim(std::string_view text) noexcept;

/// `'` + Clip(text) + `'`.
std::string Quote(std::string_view text);

/// The reason in an nlohmann exception's what() ("[json.exception.parse_error.101] parse error
/// at line 1, column 9: syntax error …; last read: '<raw input>'"), without the prefix and the
/// raw input, clipped to 128 bytes.
std::string ShortJsonReason(std::string_view what);

/// Checks untrusted JSON text before nlohmann sees it; the problem, or no value. nlohmann parses
/// without recursion, but copying, comparing or dumping its tree recurses once per level, so no
/// tree deeper than `max_depth` is ever built. Raw NUL bytes are refused because nlohmann takes
/// one for the end of the input and would silently ignore what follows.
std::optional<std::string> CheckJsonStructure(std::string_view text, int max_depth = 64);

}  // namespace alertllm::internal
