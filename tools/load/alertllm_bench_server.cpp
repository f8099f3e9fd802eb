// SPDX-License-Identifier: Apache-2.0
// alertllm-bench-server: the fixed-answer server of fixed_answer_server.hpp as a process, for
// alertllm-bench to load without an LLM, nginx or the mock proxy. Listens on 127.0.0.1 only.
// See kUsage.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>

#include "fixed_answer_server.hpp"

namespace {

constexpr const char* kUsage =
    "Usage: alertllm-bench-server [--port N] [--latency-ms L] [--max-in-flight Q]\n"
    "\n"
    "Answers every classify request (both protocols) with one fixed classification, on one\n"
    "epoll thread. Prints \"listening on http://127.0.0.1:PORT\" once it accepts connections,\n"
    "serves until SIGINT or SIGTERM, then prints \"answered N requests\" (N counts every\n"
    "answer, 429s included), followed by \", M rate-limited\" when the quota refused M.\n"
    "\n"
    "  --port N            port on 127.0.0.1 (default 0: a free port)\n"
    "  --latency-ms L      hold every classify answer L ms, 0..600000 (default 0)\n"
    "  --max-in-flight Q   provider-style quota: at most Q classify answers held at once; one\n"
    "                      more is answered at once with 429, Retry-After: 1 and\n"
    "                      {\"error\":{\"type\":\"rate_limit_exceeded\",...}} (default 0: no\n"
    "                      quota; only bites with --latency-ms)\n"
    "  -h, --help          this text\n"
    "\n"
    "Exit status: 0 after a signal, 2 on usage errors.\n";

// Parses `text` as an integer in min..max into `out`; false when it is not one.
bool ParseInt(const char* text, long min, long max, long& out) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < min || value > max) return false;
  out = value;
  return true;
}

int UsageError(const char* message) {
  std::fprintf(stderr, "alertllm-bench-server: %s\n\n%s", message, kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) try {
  long port = 0;
  long latency_ms = 0;
  long max_in_flight = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) return UsageError("missing value after a flag");
    const char* value = argv[++i];
    if (arg == "--port") {
      if (!ParseInt(value, 0, 65535, port)) return UsageError("--port: not a port number");
    } else if (arg == "--latency-ms") {
      if (!ParseInt(value, 0, 600000, latency_ms))
        return UsageError("--latency-ms: not in 0..600000");
    } else if (arg == "--max-in-flight") {
      if (!ParseInt(value, 0, 1000000, max_in_flight)) {
        return UsageError("--max-in-flight: not a count ≥ 0");
      }
    } else {
      return UsageError("unknown option");
    }
  }
  // Block the signals in every thread, then wait for one here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  alertllm::bench::FixedAnswerServer server(
      static_cast<std::uint16_t>(port),
      {static_cast<int>(latency_ms), static_cast<int>(max_in_flight)});
  std::printf("listening on %s\n", server.Url().c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  std::printf("answered %llu requests", static_cast<unsigned long long>(server.Requests()));
  if (server.RateLimited() > 0) {
    std::printf(", %llu rate-limited", static_cast<unsigned long long>(server.RateLimited()));
  }
  std::printf("\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "alertllm-bench-server: %s\n", e.what());
  return 1;
}
