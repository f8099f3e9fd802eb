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
  std::fprintf(stderr, "alertllm-classify: %s\nTry 'alertllm-classify --help'.\n",
               message.c_str());
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

void Write(std::FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
}

}  // namespace

int main(int argc, char** argv) try {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  alertllm::Result<cli::Options> parsed = cli::ParseArgs(args);
  if (!parsed) return UsageError(parsed.error().message);
  cli::Options& options = *parsed;
  if (options.help) {
    std::fputs(cli::kUsage, stdout);
    return cli::kExitOk;
  }
  if (options.version) {
    std::printf("alertllm-classify %s\n", ALERTLLM_VERSION);
    return cli::kExitOk;
  }

  alertllm::Result<alertllm::Config> env = alertllm::ConfigFromEnv();
  if (!env) return UsageError("invalid configuration: " + env.error().message);
  alertllm::Result<alertllm::Config> config = cli::ApplyOptions(*env, options);
  if (!config) return UsageError("invalid configuration: " + config.error().message);

  // Every input is read and parsed before the first request: bad input classifies nothing.
  if (options.inputs.empty()) options.inputs.emplace_back("-");
  std::vector<alertllm::Alert> alerts;
  for (const std::string& name : options.inputs) {
    const std::optional<std::string> text = ReadInput(name);
    if (!text) {
      return InputError((name == "-" ? std::string("<stdin>") : name) +
                        ": cannot read: " + std::strerror(errno));
    }
    alertllm::Result<std::vector<alertllm::Alert>> more = cli::ParseInput(name, *text);
    if (!more) return InputError(more.error().message);
    std::move(more->begin(), more->end(), std::back_inserter(alerts));
  }

  // Opened now so that an unwritable path is a usage error, not a surprise after the run.
  std::ofstream metrics_file;
  if (!options.metrics_out.empty()) {
    metrics_file.open(options.metrics_out, std::ios::binary | std::ios::trunc);
    if (!metrics_file) {
      return InputError(options.metrics_out + ": cannot write: " + std::strerror(errno));
    }
  }

  const bool stdout_tty = isatty(STDOUT_FILENO) == 1;
  const cli::OutputFormat format =
      options.format.value_or(stdout_tty ? cli::OutputFormat::kTable : cli::OutputFormat::kJsonl);
  const bool progress = isatty(STDERR_FILENO) == 1 && alerts.size() > 20;
  const cli::TableLayout layout =
      cli::LayoutTable(alerts, stdout_tty ? TerminalColumns(STDOUT_FILENO) : std::nullopt);
  const std::size_t progress_width = TerminalColumns(STDERR_FILENO).value_or(80);

  alertllm::HttpLlmClient client(*config);

  bool progress_shown = false;
  const auto clear_progress = [&] {
    if (!progress_shown) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    progress_shown = false;
  };
  if (format == cli::OutputFormat::kTable) {
    Write(stdout, cli::FormatTableHeader(layout) + "\n");
    std::fflush(stdout);
  }
  bool any_failed = false;
  cli::ClassifyInOrder(
      client, alerts, options.concurrency,
      [&](std::size_t index, const alertllm::Result<alertllm::Classification>& result) {
        any_failed = any_failed || !result.has_value();
        clear_progress();
        const alertllm::Alert& alert = alerts[index];
        Write(stdout, (format == cli::OutputFormat::kTable
                           ? cli::FormatTableRow(layout, alert, result)
                           : cli::FormatJsonLine(alert, result)) +
                          "\n");
        std::fflush(stdout);
      },
      [&](std::size_t done, std::size_t total) {
        if (!progress) return;
        if (done == total) {
          clear_progress();
          return;
        }
        Write(stderr, "\r" + cli::FormatProgress(done, total, progress_width) + "\033[K");
        std::fflush(stderr);
        progress_shown = true;
      });
  clear_progress();

  if (options.stats) {
    Write(stderr, cli::FormatStatsJson(client.GetCircuitBreakerStats(),
                                       std::chrono::steady_clock::now()) +
                      "\n");
  }
  if (metrics_file.is_open()) {
    metrics_file << alertllm::SerializeMetrics({client.GetCollectable()});
    metrics_file.close();
    if (!metrics_file) {
      std::fprintf(stderr, "alertllm-classify: %s: write failed\n", options.metrics_out.c_str());
      return cli::kExitUsage;
    }
  }
  return any_failed ? cli::kExitFailed : cli::kExitOk;
} catch (const std::exception& e) {
  std::fprintf(stderr, "alertllm-classify: %s\n", e.what());
  return cli::kExitFailed;
}
