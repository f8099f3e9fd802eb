// SPDX-License-Identifier: Apache-2.0
#include "classify_cli.hpp"

#include <alertllm/detail/utf8.hpp>
#include <alertllm/env.hpp>
#include <alertllm/errors.hpp>
#include <alertllm/webhook.hpp>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <iterator>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

namespace alertllm::cli {

const char* const kUsage =
    R"(Usage: alertllm-classify [OPTIONS] [FILE...]

Classifies Prometheus Alertmanager alerts with an LLM (one alertllm::HttpLlmClient: circuit
breaker, retries, optional rule-based fallback) and prints one result per alert, in input
order.

Input: each FILE ("-" or no FILE: stdin) holds one of
  - an Alertmanager webhook body: {"version":"4","alerts":[...],...}
  - a JSON array of alerts in Alertmanager's shape: [{"status":...,"labels":{...},
    "annotations":{...},"startsAt":...,"endsAt":...,"fingerprint":...,"generatorURL":...}]
  - one alert object
  - NDJSON: one alert object or one webhook body per line (blank lines are skipped)
The format is detected from the first non-space character: '[' is an array; '{' is one
object, or NDJSON when the first line is a whole object and more lines follow. An alert needs
status, labels and startsAt; a missing fingerprint is computed from the labels.

Options:
  --format table|jsonl     output format (default: table if stdout is a terminal, else jsonl)
  --concurrency N          worker threads sharing the one client, 1..256 (default 1)
  --base-url URL           LLM proxy or OpenAI-compatible server (overrides LLM_BASE_URL)
  --protocol proxy|openai  wire protocol (overrides LLM_PROTOCOL)
  --model NAME             model name sent (overrides LLM_MODEL)
  --fallback none|rules    answer with the rule-based classifier when the LLM cannot
                           (overrides LLM_FALLBACK)
  --timeout DURATION       per HTTP attempt, Go syntax: 30s, 1m30s, 500ms (overrides
                           LLM_TIMEOUT; LLM_CALL_TIMEOUT still bounds each alert)
  --max-retries N          retries after the first attempt, 0..100 (overrides LLM_MAX_RETRIES)
  --stats                  print the circuit breaker's stats as one JSON object on stderr at exit
  --metrics-out FILE       write the client's metrics (Prometheus text format) to FILE at exit
  --version                print the version
  -h, --help               print this text
Flags take their value as the next argument or after '=' (--format=jsonl). Every other
setting comes from the LLM_* environment variables (see the README).

Output, jsonl: one JSON object per alert, in input order, keys in this order:
  fingerprint      string   Alertmanager's fingerprint (computed from the labels if absent)
  alertname        string   the alertname label ("" if none)
  ok               bool     true when the LLM or the fallback answered
  source           string   "llm" or "fallback"; null on failure
  severity         string   "noise", "info", "warning" or "critical"; null on failure
  confidence       number   0..1; null on failure
  category         string   null on failure
  summary          string   null on failure
  attempts         number   HTTP requests sent for the alert
  fallback_reason  string   only when source is "fallback": "<error category>: <message>"
  error            object   only on failure: {"category":"<error category>","message":"..."}
Error categories: circuit_breaker_open, rate_limit, server_error, client_error, timeout,
network_error, invalid_request, invalid_response, cancelled, invalid_config, unknown_error.

Output, table: FINGERPRINT ALERTNAME SEVERITY CONF SOURCE SUMMARY, the summary clipped to the
terminal width (to 60 columns when stdout is not a terminal); a failure shows ERROR as its
severity and "ERROR <category>: <message>" as its summary. A progress bar is drawn on stderr
when stderr is a terminal and there are more than 20 alerts.

Exit status:
  0  every alert got a result (from the LLM or the fallback)
  1  at least one alert failed
  2  usage error: bad flag, invalid configuration, unreadable file or bad input (nothing is
     classified)
)";

namespace {

using OrderedJson = nlohmann::ordered_json;

// Files larger than this are refused; the library's 4 MiB default is for one webhook request.
constexpr std::size_t kMaxInputBytes = std::size_t{256} * 1024 * 1024;

Error Invalid(std::string message) { return Error{ErrorCode::kInvalidConfig, std::move(message)}; }

Result<int> ParseInt(std::string_view flag, std::string_view text, int min, int max) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return Invalid(std::string(flag) + ": '" + std::string(text) + "' is not a number in " +
                   std::to_string(min) + ".." + std::to_string(max));
  }
  return value;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimBlank(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

// Where a problem is: 0 means "not known" for either part.
struct Location {
  std::size_t line = 0;
  std::size_t column = 0;
};

struct DocumentError {
  Location where;
  std::string message;
};

Location LocationOf(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  Location where{1, 1};
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++where.line;
      where.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) {
      ++where.column;
    }
  }
  return where;
}

// Validates JSON without building a tree and notes what the document's top level is, so that
// malformed input is reported with its own line and column (not those of a wrapped copy).
class JsonScanner final : public nlohmann::json_sax<nlohmann::json> {
 public:
  enum class Top { kNone, kObject, kArray, kScalar };

  bool null() override { return Scalar("null"); }
  bool boolean(bool /*value*/) override { return Scalar("boolean"); }
  bool number_integer(number_integer_t /*value*/) override { return Scalar("number"); }
  bool number_unsigned(number_unsigned_t /*value*/) override { return Scalar("number"); }
  bool number_float(number_float_t /*value*/, const string_t& /*text*/) override {
    return Scalar("number");
  }
  bool string(string_t& /*value*/) override { return Scalar("string"); }
  bool binary(binary_t& /*value*/) override { return Scalar("binary"); }
  bool start_object(std::size_t /*elements*/) override {
    if (depth_++ == 0) top_ = Top::kObject;
    return true;
  }
  bool key(string_t& name) override {
    if (depth_ == 1 && name == "alerts") has_alerts_ = true;
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t /*elements*/) override {
    if (depth_++ == 0) top_ = Top::kArray;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) override {
    error_position_ = position;
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 9: <reason>;
    // last read: '<input>'": keep the reason, never the raw input.
    std::string_view what = error.what();
    if (const auto colon = what.find(": "); colon != std::string_view::npos) {
      what.remove_prefix(colon + 2);
    }
    if (const auto last = what.find("; last read"); last != std::string_view::npos) {
      what = what.substr(0, last);
    }
    reason_ = ClipToWidth(what, 160);
    return false;
  }

  Top top() const { return top_; }
  bool has_alerts() const { return has_alerts_; }
  const char* scalar_type() const { return scalar_type_; }
  std::size_t error_position() const { return error_position_; }
  const std::string& reason() const { return reason_; }

 private:
  bool Scalar(const char* type) {
    if (depth_ == 0) {
      top_ = Top::kScalar;
      scalar_type_ = type;
    }
    return true;
  }

  Top top_ = Top::kNone;
  int depth_ = 0;
  bool has_alerts_ = false;
  const char* scalar_type_ = "";
  std::size_t error_position_ = 0;
  std::string reason_;
};

// `message` without a leading `prefix`, and with `replacement` in its place.
std::string Replace(std::string message, std::string_view prefix, std::string_view replacement) {
  if (message.starts_with(prefix)) message.replace(0, prefix.size(), replacement);
  return message;
}

// One JSON document: a webhook body, one alert or an array of alerts. Appends its alerts to
// `out`; the problem, or no value.
std::optional<DocumentError> ParseDocument(std::string_view text, std::vector<Alert>& out) {
  JsonScanner scanner;
  const bool valid = nlohmann::json::sax_parse(text.begin(), text.end(), &scanner);
  if (!valid) {
    // nlohmann counts the bytes read, the offending one included.
    const std::size_t offset = scanner.error_position() == 0 ? 0 : scanner.error_position() - 1;
    return DocumentError{LocationOf(text, offset), "malformed JSON: " + scanner.reason()};
  }
  if (scanner.top() != JsonScanner::Top::kObject && scanner.top() != JsonScanner::Top::kArray) {
    return DocumentError{{}, std::string("expected a JSON object or array, got ") +
                                 scanner.scalar_type()};
  }
  Result<std::vector<Alert>> alerts = std::vector<Alert>{};
  if (scanner.top() == JsonScanner::Top::kObject && scanner.has_alerts()) {
    alerts = ParseAlertmanagerWebhook(text, kMaxInputBytes);
    if (!alerts) return DocumentError{{}, alerts.error().message};
  } else if (scanner.top() == JsonScanner::Top::kObject) {
    // The library reads alerts only inside an envelope; its paths then start "alerts[0]".
    std::string body = R"({"version":"4","alerts":[)";
    body.append(text);
    body += "]}";
    alerts = ParseAlertmanagerWebhook(body, kMaxInputBytes + body.size() - text.size());
    if (!alerts) {
      std::string message = Replace(alerts.error().message, "alerts[0].", "");
      return DocumentError{{}, Replace(std::move(message), "alerts[0]", "alert")};
    }
  } else {
    std::string body = R"({"version":"4","alerts":)";
    body.append(text);
    body += "}";
    alerts = ParseAlertmanagerWebhook(body, kMaxInputBytes + body.size() - text.size());
    if (!alerts) return DocumentError{{}, Replace(alerts.error().message, "alerts[", "[")};
  }
  std::move(alerts->begin(), alerts->end(), std::back_inserter(out));
  return std::nullopt;
}

std::string Located(std::string_view name, Location where, const std::string& message) {
  std::string out(name);
  if (where.line != 0) out += ':' + std::to_string(where.line);
  if (where.column != 0) out += ':' + std::to_string(where.column);
  out += ": ";
  out += message;
  return out;
}

std::string PadRight(std::string text, std::size_t columns) {
  const std::size_t width = DisplayWidth(text);
  if (width < columns) text.append(columns - width, ' ');
  return text;
}

}  // namespace

Result<Options> ParseArgs(const std::vector<std::string_view>& args) {
  Options options;
  bool flags_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (flags_done || arg == "-" || !arg.starts_with("-")) {
      options.inputs.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      options.help = true;
      continue;
    }
    if (arg == "--version") {
      options.version = true;
      continue;
    }
    if (arg == "--stats") {
      options.stats = true;
      continue;
    }
    std::string_view flag = arg;
    std::string_view value;
    if (const auto equals = arg.find('='); equals != std::string_view::npos) {
      flag = arg.substr(0, equals);
      value = arg.substr(equals + 1);
    } else {
      static constexpr std::string_view kValued[] = {
          "--format",   "--concurrency", "--metrics-out", "--base-url", "--protocol",
          "--model",    "--fallback",    "--timeout",     "--max-retries"};
      if (std::find(std::begin(kValued), std::end(kValued), flag) == std::end(kValued)) {
        return Invalid("unknown option " + std::string(arg));
      }
      if (i + 1 >= args.size()) return Invalid(std::string(flag) + ": missing value");
      value = args[++i];
    }
    const std::string shown = "'" + std::string(value) + "'";
    if (flag == "--format") {
      if (value == "table") {
        options.format = OutputFormat::kTable;
      } else if (value == "jsonl") {
        options.format = OutputFormat::kJsonl;
      } else {
        return Invalid("--format: " + shown + " is not table or jsonl");
      }
    } else if (flag == "--concurrency") {
      auto n = ParseInt(flag, value, 1, 256);
      if (!n) return n.error();
      options.concurrency = *n;
    } else if (flag == "--metrics-out") {
      if (value.empty()) return Invalid("--metrics-out: missing file name");
      options.metrics_out = value;
    } else if (flag == "--base-url") {
      options.base_url = std::string(value);
    } else if (flag == "--protocol") {
      if (value == "proxy") {
        options.protocol = Protocol::kProxy;
      } else if (value == "openai") {
        options.protocol = Protocol::kOpenAI;
      } else {
        return Invalid("--protocol: " + shown + " is not proxy or openai");
      }
    } else if (flag == "--model") {
      options.model = std::string(value);
    } else if (flag == "--fallback") {
      if (value == "none") {
        options.fallback = FallbackMode::kNone;
      } else if (value == "rules") {
        options.fallback = FallbackMode::kRules;
      } else {
        return Invalid("--fallback: " + shown + " is not none or rules");
      }
    } else if (flag == "--timeout") {
      const auto duration = ParseDuration(value);
      if (!duration) return Invalid("--timeout: " + duration.error().message);
      options.timeout = std::chrono::ceil<std::chrono::milliseconds>(*duration);
    } else if (flag == "--max-retries") {
      auto n = ParseInt(flag, value, 0, 100);
      if (!n) return n.error();
      options.max_retries = *n;
    } else {
      return Invalid("unknown option " + std::string(flag));
    }
  }
  return options;
}

Result<Config> ApplyOptions(Config base, const Options& options) {
  if (options.base_url) base.base_url = *options.base_url;
  if (options.protocol) base.protocol = *options.protocol;
  if (options.model) base.model = *options.model;
  if (options.fallback) base.fallback = *options.fallback;
  if (options.timeout) base.timeout = *options.timeout;
  if (options.max_retries) base.max_retries = *options.max_retries;
  if (auto valid = Validate(base); !valid) return valid.error();
  return base;
}

std::string_view ToString(InputFormat format) noexcept {
  switch (format) {
    case InputFormat::kObject: return "object";
    case InputFormat::kArray: return "array";
    case InputFormat::kNdjson: return "ndjson";
    case InputFormat::kEmpty: return "empty";
    case InputFormat::kUnknown: return "unknown";
  }
  return "unknown";
}

InputFormat DetectInputFormat(std::string_view text) noexcept {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::size_t start = 0;
  while (start < text.size() && IsBlank(text[start])) ++start;
  if (start == text.size()) return InputFormat::kEmpty;
  if (text[start] == '[') return InputFormat::kArray;
  if (text[start] != '{') return InputFormat::kUnknown;
  const std::size_t end = text.find('\n', start);
  if (end == std::string_view::npos) return InputFormat::kObject;
  const std::string_view first_line = TrimBlank(text.substr(start, end - start));
  const bool more_lines = !TrimBlank(text.substr(end)).empty();
  return first_line.ends_with('}') && more_lines ? InputFormat::kNdjson : InputFormat::kObject;
}

Result<std::vector<Alert>> ParseInput(std::string_view name, std::string_view text) {
  const std::string shown = name == "-" ? std::string("<stdin>") : std::string(name);
  if (text.size() > kMaxInputBytes) {
    return Error{ErrorCode::kInvalidRequest,
                 shown + ": " + std::to_string(text.size()) + " bytes, over the limit of " +
                     std::to_string(kMaxInputBytes)};
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  switch (DetectInputFormat(text)) {
    case InputFormat::kEmpty:
      return Error{ErrorCode::kInvalidRequest, shown + ": empty input"};
    case InputFormat::kUnknown: {
      std::size_t start = 0;
      while (start < text.size() && IsBlank(text[start])) ++start;
      return Error{ErrorCode::kInvalidRequest,
                   Located(shown, LocationOf(text, start),
                           "not JSON: expected '{' (an object or NDJSON) or '[' (an array)")};
    }
    case InputFormat::kObject:
    case InputFormat::kArray: {
      std::vector<Alert> alerts;
      if (auto error = ParseDocument(text, alerts)) {
        return Error{ErrorCode::kInvalidRequest, Located(shown, error->where, error->message)};
      }
      return alerts;
    }
    case InputFormat::kNdjson:
      break;
  }
  std::vector<Alert> all;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (TrimBlank(line).empty()) continue;
    if (auto error = ParseDocument(line, all)) {
      const Location where{line_number, error->where.column};
      return Error{ErrorCode::kInvalidRequest, Located(shown, where, error->message)};
    }
  }
  return all;
}

void ClassifyInOrder(LlmClient& client, const std::vector<Alert>& alerts, int concurrency,
                     const ResultCallback& on_result, const ProgressCallback& on_progress,
                     std::chrono::milliseconds progress_interval) {
  const std::size_t total = alerts.size();
  std::vector<std::optional<Result<Classification>>> results(total);
  std::mutex mutex;
  std::condition_variable ready;
  std::size_t done = 0;
  std::size_t next = 0;

  const auto work = [&] {
    for (;;) {
      std::size_t index = 0;
      {
        const std::lock_guard lock(mutex);
        if (next == total) return;
        index = next++;
      }
      Result<Classification> result = client.ClassifyAlert(alerts[index]);
      {
        const std::lock_guard lock(mutex);
        results[index] = std::move(result);
        ++done;
      }
      ready.notify_one();
    }
  };
  const std::size_t workers =
      std::min(total, static_cast<std::size_t>(std::max(concurrency, 1)));
  std::vector<std::jthread> pool;
  pool.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) pool.emplace_back(work);

  auto next_progress = std::chrono::steady_clock::now();
  std::size_t emitted = 0;
  std::vector<Result<Classification>> batch;
  while (emitted < total) {
    std::size_t done_now = 0;
    batch.clear();
    {
      std::unique_lock lock(mutex);
      ready.wait_until(lock, next_progress, [&] { return results[emitted].has_value(); });
      for (std::size_t i = emitted; i < total && results[i].has_value(); ++i) {
        batch.push_back(std::move(*results[i]));
        results[i].reset();
      }
      done_now = done;
    }
    // The callbacks run unlocked, so slow output never holds up the workers.
    for (const Result<Classification>& result : batch) on_result(emitted++, result);
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_progress) {
      if (on_progress) on_progress(done_now, total);
      next_progress = now + progress_interval;
    }
  }
  if (on_progress) on_progress(total, total);
}

std::string FormatJsonLine(const Alert& alert, const Result<Classification>& result) {
  OrderedJson line;
  line["fingerprint"] = alert.fingerprint;
  line["alertname"] = alert.alert_name;
  line["ok"] = result.has_value();
  if (result) {
    line["source"] = result->source;
    line["severity"] = std::string(ToString(result->severity));
    line["confidence"] = result->confidence;
    line["category"] = result->category;
    line["summary"] = result->summary;
    line["attempts"] = result->attempts;
    if (!result->fallback_reason.empty()) line["fallback_reason"] = result->fallback_reason;
  } else {
    for (const char* key : {"source", "severity", "confidence", "category", "summary"}) {
      line[key] = nullptr;
    }
    line["attempts"] = result.error().attempts;
    line["error"] = OrderedJson{{"category", std::string(ClassifyError(result.error()))},
                                {"message", result.error().message}};
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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

std::string FormatStatsJson(const CircuitBreakerStats& stats,
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
