// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace alertllm::detail {

/// RE2's error for a RedactionConfig pattern ("missing ): ab(c"), or empty when it compiles.
/// Compiled into libalertllm (which links RE2), so validate.hpp calls it only where the
/// library is linked (ALERTLLM_LINKS_LIBRARY, set by the alertllm::alertllm target): the
/// header-only alertllm::core cannot redact, so it has no pattern to check.
///
/// Thread-safe; allocates.
std::string RedactionPatternError(std::string_view pattern);

}  // namespace alertllm::detail
