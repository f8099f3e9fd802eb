// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "alertllm/alert.hpp"
#include "alertllm/detail/fallback_rules.hpp"
#include "alertllm/detail/quote.hpp"
#include "alertllm/fallback_rule.hpp"

namespace alertllm {

/// Classifies an alert without an LLM, from a fixed table of rules on the alert's name
/// (`detail::kFallbackRules`: node or target down, disk full or filling, OOM kills, crash loops
/// and restarts, high CPU, memory, latency or error rate, failed jobs, certificate expiry, LLM
/// breaker alerts), its labels, annotations and status. HttpLlmClient answers with it when the
/// LLM cannot and `Config::fallback` is FallbackMode::kRules.
///
/// The answer: severity from, in order, the status (a resolved alert is kInfo with a summary
/// starting "Resolved: "), the `severity` label set by the rule's author (critical, warning,
/// info, noise and common synonyms), the matching rule; category, summary, reasoning (naming
/// the rule) and up to four suggestions (the rule's, plus the `runbook_url` annotation when
/// present); confidence at most 0.6 (0.2 when no rule matches: warning, category "general");
/// `source` "fallback", `attempts` 0, `fallback_reason` empty (the client sets it). Every
/// label or annotation value quoted is clipped to 200 bytes of valid UTF-8 (then "..."; control
/// bytes shown as '?', as detail::Clip does), so the summary stays under 1 KiB whatever the
/// alert holds.
///
/// Thread-safe: stateless; Classify() may be called concurrently. Deterministic: the same alert
/// always gets the same answer.
class RuleBasedClassifier {
 public:
  /// Classifies `alert`. Deterministic; throws nothing but std::bad_alloc.
  Classification Classify(const Alert& alert) const {
    std::string_view name = detail::FallbackValue(alert.labels, "alertname");
    if (name.empty()) name = alert.alert_name;
    const Match match = FindRule(detail::FallbackNameKey(name));
    const std::string shown_name = name.empty() ? std::string("(unnamed)") : Clip(name);

    Classification out;
    out.category = std::string(match.rule->category);
    out.confidence = match.rule->confidence;
    out.source = "fallback";
    out.attempts = 0;
    out.reasoning = Reasoning(match, shown_name);
    out.severity = JudgeSeverity(alert, *match.rule, out.reasoning);
    out.reasoning += ". The LLM was not consulted.";
    out.summary = Summary(alert, *match.rule, shown_name);
    out.suggestions = Suggestions(alert, *match.rule, shown_name);
    return out;
  }

 private:
  struct Match {
    const FallbackRule* rule;
    std::string_view keyword;  // empty for the default rule
  };

  static std::string Clip(std::string_view value) {
    return detail::Clip(value, detail::kFallbackMaxValueBytes);
  }

  static Match FindRule(std::string_view key) {
    for (const FallbackRule& candidate : detail::kFallbackRules) {
      const std::string_view found = detail::FallbackFirstFound(key, candidate.keywords);
      if (found.empty()) continue;
      if (!candidate.qualifiers[0].empty() &&
          detail::FallbackFirstFound(key, candidate.qualifiers).empty()) {
        continue;
      }
      return Match{&candidate, found};
    }
    return Match{&detail::kDefaultFallbackRule, {}};
  }

  static std::string Reasoning(const Match& match, const std::string& shown_name) {
    std::string why = "Rule-based fallback, rule " + std::string(match.rule->name) + ": ";
    if (match.keyword.empty()) return why + "no rule matches the alert name '" + shown_name + "'";
    const bool prefix = match.keyword[0] == '^';
    return why + "the alert name '" + shown_name + (prefix ? "' starts with '" : "' contains '") +
           std::string(match.keyword.substr(prefix ? 1 : 0)) + "'";
  }

  // The severity from the status, else the author's label, else the rule; says why in `why`.
  static Severity JudgeSeverity(const Alert& alert, const FallbackRule& rule, std::string& why) {
    const std::string_view label = detail::FallbackValue(alert.labels, "severity");
    Severity hinted = Severity::kWarning;
    if (alert.status == AlertStatus::kResolved) {
      why += "; severity info because the alert is resolved";
      return Severity::kInfo;
    }
    if (!label.empty() && detail::FallbackSeverityHint(label, hinted)) {
      why += "; severity " + std::string(ToString(hinted)) + " from the label severity='" +
             Clip(label) + "'";
      return hinted;
    }
    why += "; severity " + std::string(ToString(rule.severity)) + " from the rule";
    if (!label.empty()) why += " (label severity='" + Clip(label) + "' not recognised)";
    return rule.severity;
  }

  static std::string Summary(const Alert& alert, const FallbackRule& rule,
                             const std::string& shown_name) {
    std::string summary = alert.status == AlertStatus::kResolved ? "Resolved: " : "";
    summary += std::string(rule.what) + ": " + shown_name;
    if (const std::string_view v = detail::FallbackValue(alert.labels, "instance"); !v.empty()) {
      summary += " on " + Clip(v);
    }
    if (const std::string_view v = detail::FallbackValue(alert.labels, "namespace"); !v.empty()) {
      summary += " in " + Clip(v);
    }
    if (const std::string_view v = detail::FallbackValue(alert.annotations, "summary");
        !v.empty()) {
      summary += " (" + Clip(v) + ")";
    }
    return summary;
  }

  static std::vector<std::string> Suggestions(const Alert& alert, const FallbackRule& rule,
                                              const std::string& shown_name) {
    std::vector<std::string> out;
    if (alert.status == AlertStatus::kResolved) {
      out.push_back("No action needed now: confirm " + shown_name + " stays resolved");
      out.push_back("If it fired without a known cause, review it: " +
                    detail::FallbackFill(rule.suggestions[0], alert));
    } else {
      for (std::string_view text : rule.suggestions) {
        if (!text.empty()) out.push_back(detail::FallbackFill(text, alert));
      }
    }
    if (const std::string_view v = detail::FallbackValue(alert.annotations, "runbook_url");
        !v.empty()) {
      out.push_back("Follow the runbook: " + Clip(v));
    }
    return out;
  }
};

}  // namespace alertllm
