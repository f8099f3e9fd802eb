// SPDX-License-Identifier: Apache-2.0
// alertllm-classify's command line: the --help text, the flags and how they apply to Config.
#include <alertllm/errors.hpp>

#include <optional>
#include <string>
#include <utility>

#include "classify_cli.hpp"
#include "flag_set.hpp"

namespace alertllm::cli {

const char* const kUsage =
    R"(Usage: alertllm-classify [OPTIONS] [FILE...]

Classifies Prometheus Alertmanager alerts with an LLM (one alertllm::HttpLlmClient: circuit
breaker, retries, optional rule-based fallback) and prints one result per alert, in input
order. Repeated alerts (same fingerprint and status) cost one LLM request: the repeats are
answered from the client's cache (unless --no-cache).

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
  --concurrency N          most LLM requests in flight, 1..1024 (overrides LLM_MAX_IN_FLIGHT,
                           default 16)
  --no-cache               ask the LLM for every alert, repeats too (LLM_CACHE_ENABLED=false)
  --base-url URL           LLM proxy or OpenAI-compatible server (overrides LLM_BASE_URL)
  --protocol proxy|openai  wire protocol (overrides LLM_PROTOCOL)
  --model NAME             model name sent (overrides LLM_MODEL)
  --fallback none|rules    answer with the rule-based classifier when the LLM cannot
                           (overrides LLM_FALLBACK)
  --timeout DURATION       per HTTP attempt, Go syntax: 30s, 1m30s, 500ms (overrides
                           LLM_TIMEOUT; LLM_CALL_TIMEOUT still bounds each alert)
  --max-retries N          retries after the first attempt (429s aside), 0..100 (overrides
                           LLM_MAX_RETRIES)
  --stats                  print the circuit breaker's stats and the tokens used as one JSON
                           object on stderr at exit
  --metrics-out FILE       write the client's metrics (Prometheus text format) to FILE at exit
  --version                print the version
  -h, --help               print this text
Flags take their value as the next argument or after '=' (--format=jsonl). Every other
setting comes from the LLM_* environment variables (see the README).

Output, jsonl: one JSON object per alert, in input order, keys in this order:
  fingerprint      string   Alertmanager's fingerprint (computed from the labels if absent)
  alertname        string   the alertname label ("" if none)
  ok               bool     true when the LLM or the fallback answered
  source           string   "llm", "cache" (a repeat) or "fallback"; null on failure
  severity         string   "noise", "info", "warning" or "critical"; null on failure
  severity_adjusted bool    true when LLM_SEVERITY_FLOOR=label raised the severity to the
                            alert's own severity label; null on failure
  confidence       number   0..1; null on failure
  category         string   null on failure
  summary          string   null on failure
  attempts         number   HTTP requests sent for the alert (0 from the cache)
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
  1  at least one alert failed, or the output or the --metrics-out file could not be written
     (the run stops at the first failed write to stdout and sends no further request)
  2  usage error: bad flag, invalid configuration, unreadable file or bad input (nothing is
     classified)
)";

namespace {

std::optional<std::string> ParseFormat(std::string_view value, std::optional<OutputFormat>& out) {
  if (value == "table") {
    out = OutputFormat::kTable;
  } else if (value == "jsonl") {
    out = OutputFormat::kJsonl;
  } else {
    return "is not table or jsonl";
  }
  return std::nullopt;
}

}  // namespace

Result<Options> ParseArgs(const std::vector<std::string_view>& args) {
  Options options;
  apps::FlagSet flags;
  flags.Switch("-h", &options.help);
  flags.Switch("--help", &options.help);
  flags.Switch("--version", &options.version);
  flags.Switch("--stats", &options.stats);
  flags.Value("--format",
              [&options](std::string_view value) { return ParseFormat(value, options.format); });
  flags.Int("--concurrency", &options.max_in_flight, 1, 1024);
  flags.Switch("--no-cache", &options.no_cache);
  flags.Value("--metrics-out", [&options](std::string_view value) -> std::optional<std::string> {
    if (value.empty()) return "is not a file name";
    options.metrics_out = value;
    return std::nullopt;
  });
  options.llm.Register(flags);
  flags.Int("--max-retries", &options.max_retries, 0, 100);
  Result<std::vector<std::string>> inputs = flags.Parse(args, /*positional_allowed=*/true);
  if (!inputs) return inputs.error();
  options.inputs = std::move(*inputs);
  return options;
}

Result<Config> ApplyOptions(Config base, const Options& options) {
  options.llm.ApplyTo(base);
  if (options.max_retries) base.max_retries = *options.max_retries;
  if (options.max_in_flight) base.concurrency.max_in_flight = *options.max_in_flight;
  if (options.no_cache) base.cache.enabled = false;
  if (auto valid = Validate(base); !valid) return valid.error();
  return base;
}

}  // namespace alertllm::cli
