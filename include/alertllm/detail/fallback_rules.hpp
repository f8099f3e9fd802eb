// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "alertllm/alert.hpp"
#include "alertllm/detail/quote.hpp"
#include "alertllm/fallback_rule.hpp"

// The table of RuleBasedClassifier (fallback.hpp) and the helpers that read an alert against
// it. Not documented API.

namespace alertllm {

namespace detail {

// clang-format off
/// The rules, first match wins: specific names before the broad words that would also match
/// them (an LLM breaker alert before "down", an expired certificate before any certificate,
/// OOM before memory, a full disk before disk space, a failed job before errors).
inline constexpr FallbackRule kFallbackRules[] = {
    {"llm_unavailable", {"^llm", "circuitbreaker"}, {},
     Severity::kWarning, "llm", "LLM classification unavailable or degraded", 0.5,
     {"Check the LLM endpoint's health path and the classifier's logs on {instance}",
      "Watch llm_circuit_breaker_state and llm_client_requests_total{category} to see what fails",
      "Alerts are classified by the fallback rules meanwhile (LLM_FALLBACK=rules); review them"}},
    {"certificate_expired", {"cert", "tls", "ssl", "x509"}, {"expired", "critical"},
     Severity::kCritical, "security", "Certificate expired or about to", 0.55,
     {"Check the certificate's end date: openssl s_client -connect {instance} </dev/null | "
      "openssl x509 -noout -enddate",
      "Renew the certificate now (cert-manager, ACME or your CA) and reload the service",
      "Find out why automatic renewal did not happen before expiry"}},
    {"certificate_expiry", {"cert", "tls", "ssl", "x509"}, {},
     Severity::kWarning, "security", "Certificate expiring soon", 0.55,
     {"Check the certificate's end date: openssl s_client -connect {instance} </dev/null | "
      "openssl x509 -noout -enddate",
      "Renew the certificate before it expires and reload the service",
      "Check that automatic renewal (cert-manager, certbot timer) is running"}},
    {"oom_killed", {"oomkill", "oomdetected", "outofmemory", "^oom"}, {},
     Severity::kCritical, "application", "Process killed for lack of memory", 0.55,
     {"Confirm the OOM kill: kubectl describe pod {pod} -n {namespace} (Last State: OOMKilled), "
      "or dmesg on {instance}",
      "Compare the memory used with the memory limit of {container}; raise the limit if it is "
      "too tight",
      "Look for a leak: memory that grows steadily until the kill"}},
    {"crash_loop", {"crashloop"}, {},
     Severity::kCritical, "application", "Container crash-looping", 0.55,
     {"Read the crashed container's logs: kubectl logs {pod} -n {namespace} -c {container} "
      "--previous",
      "Check exit codes and events: kubectl describe pod {pod} -n {namespace}",
      "Roll back the latest deploy or config change if the crashes started with it"}},
    {"container_restarts", {"restart"}, {},
     Severity::kWarning, "application", "Container restarting", 0.5,
     {"Read the previous container's logs: kubectl logs {pod} -n {namespace} -c {container} "
      "--previous",
      "Check restart reasons and events: kubectl describe pod {pod} -n {namespace}",
      "Check liveness probes and memory limits of {container}"}},
    {"disk_full", {"disk", "filesystem", "persistentvolume", "storage", "pvc", "inode"},
     {"full", "outof", "nospace", "critical", "exhausted"},
     Severity::kCritical, "storage", "Disk or filesystem full", 0.55,
     {"Check disk usage with df -h {mountpoint} and inodes with df -i on {instance}",
      "Find what takes the space: du -xh --max-depth=1 {mountpoint} | sort -h",
      "Free space (rotate logs, drop old data) or grow the volume before writes fail"}},
    {"disk_space", {"disk", "filesystem", "persistentvolume", "storage", "pvc", "inode"}, {},
     Severity::kWarning, "storage", "Disk or filesystem filling up", 0.5,
     {"Check disk usage with df -h {mountpoint} and inodes with df -i on {instance}",
      "Find what grows: du -xh --max-depth=1 {mountpoint} | sort -h",
      "Plan cleanup or more capacity before the filesystem fills"}},
    {"node_down", {"down", "unreachable", "nodenotready", "targetmissing", "absent"}, {},
     Severity::kCritical, "infrastructure", "Node or scrape target down", 0.6,
     {"Check whether {instance} answers: ping it and curl its metrics endpoint",
      "Check the target's state in Prometheus: up{instance=\"{instance}\"} and its last scrape "
      "error",
      "Look for a reboot, network change or maintenance on {instance}"}},
    {"job_failed", {"job", "cron", "batch"}, {"fail", "error"},
     Severity::kWarning, "application", "Job failed", 0.5,
     {"Read the failed run's logs for {job} on {instance}",
      "Check what the run depends on (inputs, credentials, downstream services)",
      "Re-run the job once the cause is fixed"}},
    {"high_cpu", {"cpu", "loadavg", "loadaverage", "highload", "throttl"}, {},
     Severity::kWarning, "performance", "High CPU usage", 0.5,
     {"Find the busiest processes on {instance} with top or pidstat 5",
      "Check whether the load follows traffic (scale out) or one runaway process (restart, fix)",
      "Compare with recent deploys of {job}"}},
    {"high_memory", {"memory", "swap"}, {},
     Severity::kWarning, "performance", "High memory usage", 0.5,
     {"Check memory on {instance} with free -m and the largest processes by RSS (top, then M)",
      "Look for a leak: memory that grows steadily without falling",
      "Raise limits or capacity if the usage is expected"}},
    {"high_latency", {"latency", "slow", "responsetime", "duration"}, {},
     Severity::kWarning, "performance", "High latency", 0.45,
     {"Compare latency with request rate and error rate of {job}",
      "Check downstream dependencies (databases, caches, external APIs) for slowness",
      "Check saturation of {instance}: CPU, memory, connection pools"}},
    {"error_rate", {"error", "5xx", "fail"}, {},
     Severity::kWarning, "application", "High error or failure rate", 0.45,
     {"Read the recent error logs of {job} on {instance}",
      "Check for a recent deploy or config change and roll it back if the errors followed it",
      "Check the dependencies {job} calls for failures"}},
};
// clang-format on

/// What answers when no rule matches.
inline constexpr FallbackRule kDefaultFallbackRule = {
    "default", {}, {}, Severity::kWarning, "general", "Alert", 0.2,
    {"Read the alert's description and check {instance} for the condition it names",
     "Check recent deploys, config changes and maintenance around the alert's start",
     "Classify this alert again once the LLM is back"}};

/// Bytes of one label or annotation value quoted in the summary, the reasoning or a suggestion.
inline constexpr std::size_t kFallbackMaxValueBytes = 200;
/// Bytes of the alert name the rules look at.
inline constexpr std::size_t kFallbackMaxNameBytes = 256;

/// The alert name as the rules read it: ASCII letters lower-cased, digits kept, everything
/// else dropped, at most kFallbackMaxNameBytes of the name looked at.
inline std::string FallbackNameKey(std::string_view name) {
  if (name.size() > kFallbackMaxNameBytes) name = name.substr(0, kFallbackMaxNameBytes);
  std::string key;
  key.reserve(name.size());
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') {
      key += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      key += c;
    }
  }
  return key;
}

/// The first of `words` that `key` contains (or starts with, for a word written "^word"), or
/// an empty view.
constexpr std::string_view FallbackFirstFound(std::string_view key,
                                              const std::array<std::string_view, 6>& words) {
  for (std::string_view word : words) {
    if (word.empty()) continue;
    const bool found = word[0] == '^' ? key.starts_with(word.substr(1))
                                      : key.find(word) != std::string_view::npos;
    if (found) return word;
  }
  return {};
}

/// The severity a rule author's `severity` label names, ASCII case-insensitive: critical
/// (also page, high, error, emergency), warning (warn, medium), info (informational, low,
/// notice) or noise (none). False for anything else.
inline bool FallbackSeverityHint(std::string_view label, Severity& severity) {
  struct Name {
    std::string_view text;
    Severity severity;
  };
  static constexpr Name kNames[] = {
      {"critical", Severity::kCritical}, {"page", Severity::kCritical},
      {"high", Severity::kCritical},     {"error", Severity::kCritical},
      {"emergency", Severity::kCritical}, {"warning", Severity::kWarning},
      {"warn", Severity::kWarning},      {"medium", Severity::kWarning},
      {"info", Severity::kInfo},         {"informational", Severity::kInfo},
      {"low", Severity::kInfo},          {"notice", Severity::kInfo},
      {"noise", Severity::kNoise},       {"none", Severity::kNoise},
  };
  for (const Name& name : kNames) {
    if (label.size() != name.text.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < label.size() && same; ++i) {
      char c = label[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      same = c == name.text[i];
    }
    if (same) {
      severity = name.severity;
      return true;
    }
  }
  return false;
}

/// The value of `key` in `values`, or an empty view.
inline std::string_view FallbackValue(const std::map<std::string, std::string>& values,
                                      std::string_view key) {
  const auto it = values.find(std::string(key));
  return it == values.end() ? std::string_view() : std::string_view(it->second);
}

/// `text` with each `{label}` placeholder replaced by the alert's label, clipped, or by a
/// generic phrase when the alert has no such label.
inline std::string FallbackFill(std::string_view text, const Alert& alert) {
  struct Placeholder {
    std::string_view name;
    std::string_view otherwise;
  };
  static constexpr Placeholder kPlaceholders[] = {
      {"instance", "the affected host"}, {"namespace", "<namespace>"},
      {"job", "the job"},                {"pod", "<pod>"},
      {"container", "<container>"},      {"mountpoint", "<mountpoint>"},
  };
  std::string out;
  while (!text.empty()) {
    const std::size_t open = text.find('{');
    out.append(text.substr(0, open));
    if (open == std::string_view::npos) break;
    text.remove_prefix(open);
    const std::size_t close = text.find('}');
    const std::string_view name =
        close == std::string_view::npos ? std::string_view() : text.substr(1, close - 1);
    const Placeholder* found = nullptr;
    for (const Placeholder& p : kPlaceholders) {
      if (p.name == name) found = &p;
    }
    if (found == nullptr) {
      // Not a placeholder (PromQL braces such as up{...} or {category}): kept as written.
      out += '{';
      text.remove_prefix(1);
      continue;
    }
    const std::string_view value = FallbackValue(alert.labels, found->name);
    out += value.empty() ? std::string(found->otherwise) : Clip(value, kFallbackMaxValueBytes);
    text.remove_prefix(close + 1);
  }
  return out;
}

}  // namespace detail

}  // namespace alertllm
