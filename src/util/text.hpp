// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "alertllm/detail/quote.hpp"
#include "alertllm/detail/strings.hpp"
#include "alertllm/detail/utf8.hpp"

namespace alertllm::internal {

/// The project's one UTF-8 check, shared with the header-only parts.
using alertllm::detail::Utf8SequenceLength;

/// The one clip and quote helpers (alertllm/detail/quote.hpp), under the names src/ calls.
using alertllm::detail::Clip;
using alertllm::detail::Quote;

/// `text` without leading and trailing spaces, tabs, CRs and LFs (detail::TrimSpace).
constexpr std::string_view Trim(std::string_view text) noexcept {
  return alertllm::detail::TrimSpace(text);
}

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
