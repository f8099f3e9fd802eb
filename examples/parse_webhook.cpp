// SPDX-License-Identifier: Apache-2.0
// Parses Alertmanager webhook bodies (files named on the command line, or stdin) and prints
// one line per alert: fingerprint, status, alert name, start and end.
//
//   parse_webhook testdata/alertmanager/alertmanager_webhook_06_HighCPUUsage_grouped_2_firing.json
//
// Exit status: 0 if every body parsed, 1 if any did not (the error names the file and field).
#include <alertllm/webhook.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

namespace {

std::string FormatUtc(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool PrintAlerts(const std::string& name, const std::string& body) {
  const auto alerts = alertllm::ParseAlertmanagerWebhook(body);
  if (!alerts) {
    std::cerr << name << ": " << alerts.error().message << "\n";
    return false;
  }
  for (const alertllm::Alert& a : *alerts) {
    std::printf("%s  %-8s  %-28s  %s  %s\n", a.fingerprint.c_str(),
                std::string(alertllm::ToString(a.status)).c_str(), a.alert_name.c_str(),
                FormatUtc(a.starts_at).c_str(), a.ends_at ? FormatUtc(*a.ends_at).c_str() : "-");
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool ok = true;
  if (argc < 2) {
    const std::string body(std::istreambuf_iterator<char>(std::cin), {});
    return PrintAlerts("<stdin>", body) ? 0 : 1;
  }
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << argv[i] << ": cannot open\n";
      ok = false;
      continue;
    }
    std::ostringstream body;
    body << in.rdbuf();
    ok = PrintAlerts(argv[i], body.str()) && ok;
  }
  return ok ? 0 : 1;
}
