// SPDX-License-Identifier: Apache-2.0
// alertllm-classify: classifies the alerts of Alertmanager webhook bodies, alert arrays or
// NDJSON files with one HttpLlmClient and prints a table or jsonl, in input order.
//
//   alertllm-classify --base-url http://127.0.0.1:8080 testdata/alertmanager/*.json
//   alertllm-classify --format jsonl --fallback rules --concurrency 4 - < alerts.ndjson
//
// `alertllm-classify --help` describes the flags, inputs, output fields and exit codes.
#include <alertllm/client.hpp>
#include <alertllm/env.hpp>
#include <alertllm/errors.hpp>
#include <alertllm/metrics.hpp>
#include <alertllm/version.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "classify_cli.hpp"

namespace {

namespace cli = alertllm::cli;

int UsageError(const std::string& message) {
  std::fprintf(stderr, "alertllm-classify: %s\nTry 'alertllm-classify --help'.\n", message.c_str());
  return cli::kExitUsage;
}

int InputError(const std::string& message) {
  std::fprintf(stderr, "alertllm-classify: %s\n", message.c_str());
  return cli::kExitUsage;
}

std::optional<std::size_t> TerminalColumns(int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return std::nullopt;
  return size.ws_col;
}

// Reads a whole input; "-" is stdin. No value (errno set) if the file cannot be read.
std::optional<std::string> ReadInput(const std::string& name) {
  if (name == "-") {
    std::string text;
    char chunk[65536];
    std::size_t got = 0;
    while ((got = std::fread(chunk, 1, sizeof chunk, stdin)) > 0) text.append(chunk, got);
    if (std::ferror(stdin) != 0) return std::nullopt;
    return text;
  }
  std::ifstream in(name, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(text).str();
}

// Every input read and parsed before the first request: bad input classifies nothing. The
// error is the message to print.
alertllm::Result<std::vector<alertllm::Alert>> ReadAlerts(std::vector<std::string> names) {
  if (names.empty()) names.emplace_back("-");
  std::vector<alertllm::Alert> alerts;
  for (const std::string& name : names) {
    const std::optional<std::string> text = ReadInput(name);
    if (!text) {
      return alertllm::Error{
          alertllm::ErrorCode::kInvalidRequest,
          (name == "-" ? std::string("<stdin>") : name) + ": cannot read: " + std::strerror(errno)};
    }
    alertllm::Result<std::vector<alertllm::Alert>> more = cli::ParseInput(name, *text);
    if (!more) return more.error();
    std::move(more->begin(), more->end(), std::back_inserter(alerts));
  }
  return alerts;
}

// Writes the results as they come, in input order, and the progress bar on stderr.
class Printer {
 public:
  Printer(std::optional<cli::OutputFormat> format, const std::vector<alertllm::Alert>& alerts)
      : alerts_(alerts) {
    const bool stdout_tty = isatty(STDOUT_FILENO) == 1;
    format_ = format.value_or(stdout_tty ? cli::OutputFormat::kTable : cli::OutputFormat::kJsonl);
    progress_ = isatty(STDERR_FILENO) == 1 && alerts.size() > 20;
    layout_ = cli::LayoutTable(alerts, stdout_tty ? TerminalColumns(STDOUT_FILENO) : std::nullopt);
    progress_width_ = TerminalColumns(STDERR_FILENO).value_or(80);
  }

  // Classifies every alert; true if any failed.
  bool Run(alertllm::LlmClient& client, std::size_t chunk_size) {
    if (format_ == cli::OutputFormat::kTable) Line(stdout, cli::FormatTableHeader(layout_));
    bool any_failed = false;
    cli::ClassifyInOrder(
        client, alerts_, chunk_size,
        [&](std::size_t index, const alertllm::Result<alertllm::Classification>& result) {
          any_failed = any_failed || !result.has_value();
          cli::AddTokens(tokens_, result);
          ClearProgress();
          const alertllm::Alert& alert = alerts_[index];
          Line(stdout, format_ == cli::OutputFormat::kTable
                           ? cli::FormatTableRow(layout_, alert, result)
                           : cli::FormatJsonLine(alert, result));
        },
        [this](std::size_t done, std::size_t total) { Progress(done, total); });
    ClearProgress();
    return any_failed;
  }

  // The tokens the LLM reported for the alerts classified so far.
  const alertllm::TokenUsage& tokens() const { return tokens_; }

 private:
  static void Line(std::FILE* stream, const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stream);
    std::fputc('\n', stream);
    std::fflush(stream);
  }

  void Progress(std::size_t done, std::size_t total) {
    if (!progress_) return;
    if (done == total) return ClearProgress();
    const std::string bar = "\r" + cli::FormatProgress(done, total, progress_width_) + "\033[K";
    std::fwrite(bar.data(), 1, bar.size(), stderr);
    std::fflush(stderr);
    progress_shown_ = true;
  }

  void ClearProgress() {
    if (!progress_shown_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    progress_shown_ = false;
  }

  const std::vector<alertllm::Alert>& alerts_;
  cli::OutputFormat format_ = cli::OutputFormat::kJsonl;
  cli::TableLayout layout_;
  bool progress_ = false;
  bool progress_shown_ = false;
  std::size_t progress_width_ = 80;
  alertllm::TokenUsage tokens_;
};

// What --stats and --metrics-out ask for, at exit. False if the metrics file failed.
bool Report(const alertllm::HttpLlmClient& client, const alertllm::TokenUsage& tokens,
            const cli::Options& options, std::ofstream& metrics_file) {
  if (options.stats) {
    const std::string stats = cli::FormatStatsJson(client.GetCircuitBreakerStats(), tokens,
                                                   std::chrono::steady_clock::now());
    std::fprintf(stderr, "%s\n", stats.c_str());
  }
  if (!metrics_file.is_open()) return true;
  metrics_file << alertllm::SerializeMetrics({client.GetCollectable()});
  metrics_file.close();
  if (metrics_file) return true;
  std::fprintf(stderr, "alertllm-classify: %s: write failed\n", options.metrics_out.c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  alertllm::Result<cli::Options> options = cli::ParseArgs(args);
  if (!options) return UsageError(options.error().message);
  if (options->help) {
    std::fputs(cli::kUsage, stdout);
    return cli::kExitOk;
  }
  if (options->version) {
    std::printf("alertllm-classify %s\n", ALERTLLM_VERSION);
    return cli::kExitOk;
  }

  alertllm::Result<alertllm::Config> env = alertllm::ConfigFromEnv();
  if (!env) return UsageError("invalid configuration: " + env.error().message);
  alertllm::Result<alertllm::Config> config = cli::ApplyOptions(*env, *options);
  if (!config) return UsageError("invalid configuration: " + config.error().message);
  const alertllm::Result<std::vector<alertllm::Alert>> alerts = ReadAlerts(options->inputs);
  if (!alerts) return InputError(alerts.error().message);

  // Opened now so that an unwritable path is a usage error, not a surprise after the run.
  std::ofstream metrics_file;
  if (!options->metrics_out.empty()) {
    metrics_file.open(options->metrics_out, std::ios::binary | std::ios::trunc);
    if (!metrics_file) {
      return InputError(options->metrics_out + ": cannot write: " + std::strerror(errno));
    }
  }

  alertllm::HttpLlmClient client(*config);
  Printer printer(options->format, *alerts);
  const bool any_failed = printer.Run(client, cli::ChunkSize(*config));
  if (!Report(client, printer.tokens(), *options, metrics_file)) return cli::kExitUsage;
  return any_failed ? cli::kExitFailed : cli::kExitOk;
} catch (const std::exception& e) {
  std::fprintf(stderr, "alertllm-classify: %s\n", e.what());
  return cli::kExitFailed;
}
