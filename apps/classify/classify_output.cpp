// SPDX-License-Identifier: Apache-2.0
// alertllm-classify's output: jsonl lines, the table, the breaker's stats and the progress bar.
#include <alertllm/detail/utf8.hpp>
#include <alertllm/errors.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "classification_json.hpp"
#include "classify_cli.hpp"

namespace alertllm::cli {

namespace {

using OrderedJson = nlohmann::ordered_json;

std::string PadRight(std::string text, std::size_t columns) {
  const std::size_t width = DisplayWidth(text);
  if (width < columns) text.append(columns - width, ' ');
  return text;
}

}  // namespace

std::string FormatJsonLine(const Alert& alert, const Result<Classification>& result) {
  return apps::ResultJsonLine(alert, result);
}

std::size_t DisplayWidth(std::string_view text) noexcept {
  std::size_t width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++width;
  }
  return width;
}

std::string ClipToWidth(std::string_view text, std::size_t max_columns) {
  // Each character as it will be shown, so that the cut can be decided before writing.
  std::vector<std::string_view> shown;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = detail::Utf8SequenceLength(text.substr(i));
    const auto c = static_cast<unsigned char>(text[i]);
    if (length == 0) {
      shown.emplace_back("?");
      ++i;
      continue;
    }
    shown.push_back(c < 0x20 || c == 0x7f ? std::string_view(" ") : text.substr(i, length));
    i += length;
  }
  const bool cut = shown.size() > max_columns;
  const std::size_t keep = cut ? (max_columns == 0 ? 0 : max_columns - 1) : shown.size();
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < keep; ++i) out.append(shown[i]);
  if (cut && max_columns > 0) out += "\u2026";
  return out;
}

TableLayout LayoutTable(const std::vector<Alert>& alerts,
                        std::optional<std::size_t> terminal_columns) {
  TableLayout layout;
  for (const Alert& alert : alerts) {
    layout.fingerprint = std::max(layout.fingerprint, DisplayWidth(alert.fingerprint));
    layout.alert_name = std::max(layout.alert_name, DisplayWidth(alert.alert_name));
  }
  layout.fingerprint = std::min<std::size_t>(layout.fingerprint, 16);
  layout.alert_name = std::min<std::size_t>(layout.alert_name, 40);
  // SEVERITY, CONF and SOURCE are 8, 4 and 8 wide; five gaps of two spaces.
  const std::size_t fixed = layout.fingerprint + layout.alert_name + 8 + 4 + 8 + 5 * 2;
  if (terminal_columns) {
    layout.summary = *terminal_columns > fixed + 20 ? *terminal_columns - fixed : 20;
  }
  return layout;
}

std::string FormatTableHeader(const TableLayout& layout) {
  return PadRight("FINGERPRINT", layout.fingerprint) + "  " +
         PadRight("ALERTNAME", layout.alert_name) + "  SEVERITY  CONF  SOURCE    SUMMARY";
}

std::string FormatTableRow(const TableLayout& layout, const Alert& alert,
                           const Result<Classification>& result) {
  std::string row = PadRight(ClipToWidth(alert.fingerprint, layout.fingerprint),
                             layout.fingerprint) +
                    "  " +
                    PadRight(ClipToWidth(alert.alert_name.empty() ? "-" : alert.alert_name,
                                         layout.alert_name),
                             layout.alert_name) +
                    "  ";
  if (!result) {
    row += "ERROR     -     -         ";
    row += ClipToWidth("ERROR " + std::string(ClassifyError(result.error())) + ": " +
                           result.error().message,
                       layout.summary);
    return row;
  }
  char confidence[16];
  std::snprintf(confidence, sizeof confidence, "%.2f", result->confidence);
  row += PadRight(std::string(ToString(result->severity)), 8) + "  ";
  row += PadRight(confidence, 4) + "  ";
  row += PadRight(ClipToWidth(result->source, 8), 8) + "  ";
  row += ClipToWidth(result->summary, layout.summary);
  return row;
}

std::string FormatStatsJson(const CircuitBreakerStats& stats, const TokenUsage& tokens,
                            std::chrono::steady_clock::time_point now) {
  const auto ago = [now](std::chrono::steady_clock::time_point t) -> OrderedJson {
    if (t == CircuitBreakerStats::kNever) return nullptr;
    return std::chrono::duration<double>(now - t).count();
  };
  OrderedJson json;
  json["state"] = std::string(ToString(stats.state));
  json["failure_count"] = stats.failure_count;
  json["success_count"] = stats.success_count;
  json["consecutive_failures"] = stats.consecutive_failures;
  json["consecutive_successes"] = stats.consecutive_successes;
  json["total_calls"] = stats.total_calls;
  json["failure_rate"] = stats.failure_rate;
  json["slow_call_rate"] = stats.slow_call_rate;
  json["blocked_count"] = stats.blocked_count;
  json["ignored_count"] = stats.ignored_count;
  json["last_failure_seconds_ago"] = ago(stats.last_failure);
  json["last_success_seconds_ago"] = ago(stats.last_success);
  json["last_state_change_seconds_ago"] = ago(stats.last_state_change);
  if (stats.next_retry_at == CircuitBreakerStats::kNever ||
      stats.next_retry_at == std::chrono::steady_clock::time_point::max()) {
    json["next_retry_in_seconds"] = nullptr;
  } else {
    json["next_retry_in_seconds"] =
        std::max(0.0, std::chrono::duration<double>(stats.next_retry_at - now).count());
  }
  OrderedJson& used = json["tokens"];
  used["input"] = tokens.prompt_tokens;
  used["output"] = tokens.completion_tokens;
  used["cached_input"] = tokens.cached_tokens;
  return json.dump();
}

std::string FormatProgress(std::size_t done, std::size_t total, std::size_t width) {
  done = std::min(done, total);
  const std::size_t percent = total == 0 ? 100 : done * 100 / total;
  const std::string counts = "  " + std::to_string(done) + "/" + std::to_string(total) + "  " +
                             std::to_string(percent) + "%";
  const std::size_t room = width > counts.size() + 2 ? width - counts.size() - 2 : 0;
  const std::size_t bar = std::clamp<std::size_t>(room, 10, 50);
  const std::size_t filled = total == 0 ? bar : done * bar / total;
  return "[" + std::string(filled, '#') + std::string(bar - filled, '-') + "]" + counts;
}

}  // namespace alertllm::cli
