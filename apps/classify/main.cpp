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
#include <iterator>
#include <memory>
#include <optional>
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

// Every input read and parsed before the first request: bad input classifies nothing. The
// error is the message to print.
alertllm::Result<std::vector<alertllm::Alert>> ReadAlerts(std::vector<std::string> names) {
  if (names.empty()) names.emplace_back("-");
  std::vector<alertllm::Alert> alerts;
  for (const std::string& name : names) {
    const alertllm::Result<std::string> text = cli::ReadInput(name);
    if (!text) return text.error();
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

  // Classifies every alert; true if any failed. Stops at the first line stdout does not take
  // (write_error() then holds errno): what follows would be lost, and the LLM is not asked for
  // answers nobody can read.
  bool Run(alertllm::LlmClient& client, std::size_t chunk_size) {
    if (format_ == cli::OutputFormat::kTable && !Line(cli::FormatTableHeader(layout_))) {
      return false;
    }
    bool any_failed = false;
    cli::ClassifyInOrder(
        client, alerts_, chunk_size,
        [&](std::size_t index, const alertllm::Result<alertllm::Classification>& result) {
          any_failed = any_failed || !result.has_value();
          cli::AddTokens(tokens_, result);
          ClearProgress();
          const alertllm::Alert& alert = alerts_[index];
          return Line(format_ == cli::OutputFormat::kTable
                          ? cli::FormatTableRow(layout_, alert, result)
                          : cli::FormatJsonLine(alert, result));
        },
        [this](std::size_t done, std::size_t total) { Progress(done, total); });
    ClearProgress();
    return any_failed;
  }

  // The tokens the LLM reported for the alerts classified so far.
  const alertllm::TokenUsage& tokens() const { return tokens_; }
  // The errno of the first failed write to stdout; 0 if none failed.
  int write_error() const { return write_error_; }

 private:
  // Flushed line by line, so that a consumer sees each result as it comes and a failure (a
  // full disk, a reader gone) shows at once rather than at exit.
  bool Line(const std::string& text) {
    errno = 0;
    const bool written = std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
                         std::fputc('\n', stdout) != EOF && std::fflush(stdout) == 0;
    if (!written) write_error_ = errno != 0 ? errno : EIO;
    return written;
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
  int write_error_ = 0;
};

int OutputError(int error) {
  std::fprintf(stderr, "alertllm-classify: cannot write the output: %s\n", std::strerror(error));
  return cli::kExitFailed;
}

// Writes `text` to stdout and flushes it (buffered output fails only when flushed): 0, or
// the errno of the write that failed.
int WriteStdout(std::string_view text) {
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
      std::fflush(stdout) == 0 && std::ferror(stdout) == 0) {
    return 0;
  }
  return errno != 0 ? errno : EIO;
}

// Closes `file` at scope exit.
struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// What --stats and --metrics-out ask for, at exit. False, with the reason on stderr, if the
// metrics file could not be written.
bool Report(const alertllm::HttpLlmClient& client, const alertllm::TokenUsage& tokens,
            const cli::Options& options, File metrics_file) {
  if (options.stats) {
    const std::string stats = cli::FormatStatsJson(client.GetCircuitBreakerStats(), tokens,
                                                   std::chrono::steady_clock::now());
    std::fprintf(stderr, "%s\n", stats.c_str());
  }
  if (!metrics_file) return true;
  const std::string text = alertllm::SerializeMetrics({client.GetCollectable()});
  errno = 0;
  bool written = std::fwrite(text.data(), 1, text.size(), metrics_file.get()) == text.size() &&
                 std::fflush(metrics_file.get()) == 0;
  int error = written ? 0 : errno;
  // fclose() reports what fflush() could not: a file system that fails on close (NFS).
  if (std::fclose(metrics_file.release()) != 0 && written) {
    written = false;
    error = errno;
  }
  if (written) return true;
  std::fprintf(stderr, "alertllm-classify: %s: cannot write the metrics: %s\n",
               options.metrics_out.c_str(), std::strerror(error != 0 ? error : EIO));
  return false;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  alertllm::Result<cli::Options> options = cli::ParseArgs(args);
  if (!options) return UsageError(options.error().message);
  if (options->help || options->version) {
    const int error = WriteStdout(options->help ? std::string(cli::kUsage)
                                                : "alertllm-classify " ALERTLLM_VERSION "\n");
    return error == 0 ? cli::kExitOk : OutputError(error);
  }

  alertllm::Result<alertllm::Config> env = alertllm::ConfigFromEnv();
  if (!env) return UsageError("invalid configuration: " + env.error().message);
  alertllm::Result<alertllm::Config> config = cli::ApplyOptions(*env, *options);
  if (!config) return UsageError("invalid configuration: " + config.error().message);
  const alertllm::Result<std::vector<alertllm::Alert>> alerts = ReadAlerts(options->inputs);
  if (!alerts) return InputError(alerts.error().message);

  // Opened now so that an unwritable path is a usage error, not a surprise after the run.
  File metrics_file;
  if (!options->metrics_out.empty()) {
    metrics_file.reset(std::fopen(options->metrics_out.c_str(), "wb"));
    if (!metrics_file) {
      return InputError(options->metrics_out + ": cannot write: " + std::strerror(errno));
    }
  }

  alertllm::HttpLlmClient client(*config);
  Printer printer(options->format, *alerts);
  const bool any_failed = printer.Run(client, cli::ChunkSize(*config));
  const int write_error = printer.write_error() != 0 ? printer.write_error() : WriteStdout("");
  const bool reported = Report(client, printer.tokens(), *options, std::move(metrics_file));
  if (write_error != 0) return OutputError(write_error);
  // Every alert was classified: a metrics file that failed is a failed run, not a usage error.
  if (!reported) return cli::kExitFailed;
  return any_failed ? cli::kExitFailed : cli::kExitOk;
} catch (const std::exception& e) {
  std::fprintf(stderr, "alertllm-classify: %s\n", e.what());
  return cli::kExitFailed;
}
