// SPDX-License-Identifier: Apache-2.0
// The proxy's processing_time: a Go duration string ("234ms", "1.5s") or bare seconds.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alertllm/detail/strings.hpp"
#include "codec/codec_util.hpp"
#include "codec/protocol.hpp"
#include "util/duration.hpp"
#include "util/text.hpp"

namespace alertllm::internal {
namespace {

// The one Go duration parser, without a sign, plus bare seconds: "1.5" is "1.5s" (only on its
// own: "1s500" is refused as Go refuses it).
std::optional<std::uint64_t> ParseNanos(std::string_view text) {
  if (text.empty() || !(detail::IsDigit(text.front()) || text.front() == '.')) return std::nullopt;
  const bool bare_seconds = text.find_first_not_of("0123456789.") == std::string_view::npos;
  const DurationParse parsed =
      bare_seconds ? ParseGoDuration(std::string(text) + "s") : ParseGoDuration(text);
  if (!parsed.problem.empty() || parsed.nanos < 0) return std::nullopt;
  return static_cast<std::uint64_t>(parsed.nanos);
}

}  // namespace

Result<std::chrono::microseconds> ParseProcessingTime(std::string_view text) {
  try {
    if (const auto nanos = ParseNanos(text)) {
      return std::chrono::microseconds(static_cast<std::int64_t>(*nanos / 1000));
    }
    return codec::BadResponse("processing_time: " + Quote(text) +
                              " is not a duration such as 234ms, 1.5s or 0.234");
  } catch (...) {
    return Error{ErrorCode::kUnknown, "out of memory"};
  }
}

}  // namespace alertllm::internal
