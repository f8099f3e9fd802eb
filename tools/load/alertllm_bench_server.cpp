// SPDX-License-Identifier: Apache-2.0
// alertllm-bench-server: the fixed-answer server of fixed_answer_server.hpp as a process, for
// alertllm-bench to load without an LLM, nginx or the mock proxy. Listens on 127.0.0.1 only.
//
//   alertllm-bench-server [--port N]     (default 0: a free port)
//
// Prints "listening on http://127.0.0.1:PORT" on stdout once it accepts connections, serves
// until SIGINT or SIGTERM, then prints the number of requests answered.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "fixed_answer_server.hpp"

int main(int argc, char** argv) try {
  long port = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char* end = nullptr;
      port = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || port < 0 || port > 65535) {
        std::fprintf(stderr, "alertllm-bench-server: --port: not a port number\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: alertllm-bench-server [--port N]\n");
      return std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0 ? 0 : 2;
    }
  }
  // Block the signals in every thread, then wait for one here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  alertllm::bench::FixedAnswerServer server(static_cast<std::uint16_t>(port));
  std::printf("listening on %s\n", server.Url().c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  std::printf("answered %llu requests\n", static_cast<unsigned long long>(server.Requests()));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "alertllm-bench-server: %s\n", e.what());
  return 1;
}
