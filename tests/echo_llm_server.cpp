// SPDX-License-Identifier: Apache-2.0
// The echoing LLM of support/echo_llm_server.hpp as a program, for the apps' end-to-end secret
// test (secret_apps_test.sh): listens on 127.0.0.1, a port the kernel picks, prints
// "listening on http://127.0.0.1:PORT" and serves until killed. Test-only; not installed.
#include <cstdio>

#include "support/echo_llm_server.hpp"

int main() {
  httplib::Server server;
  alertllm::test::AddEchoRoutes(server);
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::fputs("echo_llm_server: cannot bind 127.0.0.1\n", stderr);
    return 1;
  }
  std::printf("listening on http://127.0.0.1:%d\n", port);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
