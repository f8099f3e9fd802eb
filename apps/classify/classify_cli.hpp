// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <alertllm/alert.hpp>
#include <alertllm/circuit_breaker.hpp>
#include <alertllm/client.hpp>
#include <alertllm/config.hpp>
#include <alertllm/result.hpp>

#include "llm_flags.hpp"

// The testable part of alertllm-classify: command-line parsing, input detection and parsing,
// the classification loop and output formatting. main.cpp does the I/O around it.
namespace alertllm::cli {

/// The usage text `--help` prints: every flag, the input formats, the jsonl fields and the
/// exit codes.
extern const char* const kUsage;

/// Exit codes of alertllm-classify.
inline constexpr int kExitOk = 0;      ///< Every alert got a result (from the LLM or the fallback).
inline constexpr int kExitFailed = 1;  ///< At least one alert got an error.
inline constexpr int kExitUsage = 2;   ///< Bad flags, configuration or input; nothing classified.

enum class OutputFormat { kTable, kJsonl };

/// What the command line asks for. A plain aggregate.
struct Options {
  /// Files to read, in order; "-" is stdin. Empty: stdin.
  std::vector<std::string> inputs;
  /// No value: table if stdout is a terminal, else jsonl.
  std::optional<OutputFormat> format;
  /// --concurrency: config.concurrency.max_in_flight; no value: the config's.
  std::optional<int> max_in_flight;
  /// --no-cache: config.cache.enabled = false.
  bool no_cache = false;
  bool stats = false;
  /// Empty: no metrics file.
  std::string metrics_out;
  /// --base-url, --protocol, --model, --fallback, --timeout.
  apps::LlmFlags llm;
  std::optional<int> max_retries;
  bool help = false;
  bool version = false;
};

/// Parses the arguments after the program name. Flags take their value as the next argument
/// or after '=' (`--format=jsonl`); "--" ends the flags. Errors: kInvalidConfig naming the flag
/// and what is wrong with it ("--concurrency: 'x' is not a number in 1..1024").
///
/// Thread-safe; pure.
Result<Options> ParseArgs(const std::vector<std::string_view>& args);

/// `base` (from ConfigFromEnv()) with the flags of `options` applied, then validated: errors
/// are Validate()'s kInvalidConfig.
///
/// Thread-safe; pure.
Result<Config> ApplyOptions(Config base, const Options& options);

/// The most bytes one input may hold. The library's 4 MiB default is for one webhook request;
/// a file of alerts may be larger.
inline constexpr std::size_t kMaxInputBytes = std::size_t{256} * 1024 * 1024;

/// The whole content of input `name` ("-" is stdin; a pipe, a FIFO or /dev/stdin reads as
/// well), read in chunks so that an input over `max_bytes` is refused after `max_bytes` + 1
/// bytes rather than read whole.
///
/// Errors: kInvalidRequest, the message starting with the name as ParseInput() shows it:
/// "x.json is a directory", "x.sock is a socket, not a file", "x.json: cannot read: <reason>",
/// "<stdin>: over the limit of <max_bytes> bytes".
///
/// Thread-safe for distinct names (stdin is one stream).
Result<std::string> ReadInput(std::string_view name, std::size_t max_bytes = kMaxInputBytes);

/// How an input's text is laid out, judged from its first non-space character and its lines.
enum class InputFormat {
  kObject,   ///< One JSON object: a webhook body (it has `alerts`) or one alert.
  kArray,    ///< A JSON array of alerts.
  kNdjson,   ///< One JSON object per line (an alert or a webhook body), at least two lines.
  kEmpty,    ///< Nothing but white space.
  kUnknown,  ///< Starts with something other than '{' or '['.
};

/// "object", "array", "ndjson", "empty" or "unknown".
std::string_view ToString(InputFormat format) noexcept;

/// `[` → kArray. `{` → kNdjson when the first non-blank line is a whole object on its own (it
/// ends with `}`) and another non-blank line follows, else kObject. A UTF-8 byte order mark
/// is skipped.
///
/// Thread-safe; pure.
InputFormat DetectInputFormat(std::string_view text) noexcept;

/// The alerts of one input, in order. `name` is the file name shown in errors ("-" reads as
/// "<stdin>"). Alerts are parsed by ParseAlertmanagerWebhook (a bare alert or an array is
/// wrapped in a webhook envelope), so the rules are the library's.
///
/// Errors: kInvalidRequest, the message starting with the name, and for NDJSON the line:
/// "alerts.json: alerts[2].startsAt: '…' is not an RFC 3339 timestamp",
/// "in.ndjson:7: status: missing", "x.json:3:14: malformed JSON: …" (line and column of the
/// JSON error), "x.json: empty input".
///
/// Thread-safe; pure.
Result<std::vector<Alert>> ParseInput(std::string_view name, std::string_view text);

/// Called with each alert's index and result, in input order. Returns false to stop the run
/// (the output cannot be written): see ClassifyInOrder().
using ResultCallback = std::function<bool(std::size_t index, const Result<Classification>&)>;
/// Called with the number of results so far and the total, at most every `progress_interval`.
using ProgressCallback = std::function<void(std::size_t done, std::size_t total)>;

/// Alerts per ClassifyAlerts() call in ClassifyInOrder() for `config`: 4 × max_in_flight (at
/// least 1), so each call keeps the client's slots busy and the first results print early.
std::size_t ChunkSize(const Config& config) noexcept;

/// Classifies `alerts` with `client`, `chunk_size` (at least 1) at a time in input order, one
/// LlmClient::ClassifyAlerts() call per chunk on a worker thread (the client's cache dedupes
/// repeats across chunks), and calls `on_result` for each alert in input order, from the
/// calling thread, as soon as its chunk is done — while the next chunk, and only the next, is
/// classified. `on_progress` (may be empty) is called from the calling thread too, at most
/// once per `progress_interval`, and once at the end. A client that throws fails its chunk's
/// alerts.
///
/// When `on_result` returns false the run stops: no further result or progress is delivered,
/// the chunk in flight is cancelled (CallOptions::stop_token) and no later chunk is sent; the
/// call returns false once the worker has ended. True when every result was delivered.
///
/// Thread-safety: `client` must be thread-safe (every LlmClient is).
bool ClassifyInOrder(LlmClient& client, const std::vector<Alert>& alerts, std::size_t chunk_size,
                     const ResultCallback& on_result, const ProgressCallback& on_progress = {},
                     std::chrono::milliseconds progress_interval = std::chrono::milliseconds(100));

/// One jsonl line (without the newline): keys in this order — fingerprint, alertname, ok,
/// source, severity, confidence, category, summary, attempts, then fallback_reason when the
/// fallback answered, or error {category, message} on failure. On failure source, severity,
/// confidence, category and summary are null and attempts is the requests sent. Strings are
/// valid UTF-8 (invalid bytes replaced by U+FFFD).
///
/// Thread-safe; pure.
std::string FormatJsonLine(const Alert& alert, const Result<Classification>& result);

/// Terminal columns `text` takes, counting one per code point (wide characters count one).
std::size_t DisplayWidth(std::string_view text) noexcept;

/// `text` on one line in at most `max_columns` columns (code points): cut on a character
/// boundary with "…" as the last column when it does not fit; control characters become
/// spaces and invalid UTF-8 bytes '?'.
///
/// Thread-safe; pure.
std::string ClipToWidth(std::string_view text, std::size_t max_columns);

/// Column widths of the table.
struct TableLayout {
  std::size_t fingerprint = 11;
  std::size_t alert_name = 9;
  std::size_t summary = 60;
};

/// The layout for `alerts`: the fingerprint and alert name columns as wide as their longest
/// value (capped at 16 and 40); the summary fills `terminal_columns` (at least 20), or takes 60
/// columns when there is no terminal width.
TableLayout LayoutTable(const std::vector<Alert>& alerts,
                        std::optional<std::size_t> terminal_columns);

/// "FINGERPRINT  ALERTNAME  SEVERITY  CONF  SOURCE    SUMMARY" padded to `layout`.
std::string FormatTableHeader(const TableLayout& layout);

/// One table row (no newline). A failure shows ERROR as its severity and "ERROR <category>:
/// <message>" as its summary; CONF and SOURCE are "-".
std::string FormatTableRow(const TableLayout& layout, const Alert& alert,
                           const Result<Classification>& result);

/// Adds what `result` cost to `tokens`: the usage of an answer the LLM gave for this alert
/// (source "llm"). A cache hit or a repeat carries the usage of a request already counted, and
/// a failure or a fallback answer reports none, so the totals are the tokens actually spent.
///
/// Pure; not thread-safe for one `tokens`.
void AddTokens(TokenUsage& tokens, const Result<Classification>& result) noexcept;

/// The breaker's stats as one JSON object: state, the window's counts and rates, blocked and
/// ignored totals, the time points as seconds relative to `now` (null when never), and last
/// `tokens` as {"input","output","cached_input"} (AddTokens() over every result).
std::string FormatStatsJson(const CircuitBreakerStats& stats, const TokenUsage& tokens,
                            std::chrono::steady_clock::time_point now);

/// A progress line for a terminal `width` columns wide: "[#####-----]  12/30  40%".
std::string FormatProgress(std::size_t done, std::size_t total, std::size_t width);

}  // namespace alertllm::cli
