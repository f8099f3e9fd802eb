// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alertllm/alert.hpp"
#include "alertllm/config.hpp"
#include "redact/redaction_rules.hpp"

namespace re2 {
class RE2;
}  // namespace re2

namespace alertllm::internal {

/// Replacements made, by kRedactionRules index.
using RedactionCounts = std::array<std::uint64_t, kRedactionRules.size()>;

/// Takes secrets out of alert text before it leaves the process (Config::redaction): the
/// values of the labels and annotations named in `keys` whole (rule "key"), then every match
/// of the built-in rules and the user's patterns, each replaced by "[REDACTED:<rule>]". The
/// rules are RE2 expressions, so matching is linear in the text whatever the pattern or the
/// input. Where matches of several rules overlap, their union is replaced once, named after
/// the rule whose match starts first (the earlier rule on a tie). Text inside a marker already
/// there is left alone, so redacting twice changes nothing.
///
/// Thread-safe: immutable after construction; RE2 matching is thread-safe.
class Redactor {
 public:
  /// Compiles every rule once. Throws std::invalid_argument naming a pattern RE2 rejects
  /// (Validate() reports it first) and std::bad_alloc.
  explicit Redactor(const RedactionConfig& config);
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  /// False when RedactionConfig::enabled is false or there is nothing to apply.
  bool enabled() const noexcept { return enabled_; }

  /// Whether Redact(alert) would change anything. Allocates nothing.
  bool NeedsWork(const Alert& alert) const;

  /// A redacted copy of `alert` (as Redact() makes it), or nothing when there is nothing to
  /// redact: then nothing is copied or allocated. Adds each replacement to `counts`.
  std::optional<Alert> Redacted(const Alert& alert, RedactionCounts& counts) const;

  /// Redacts `alert` in place: label and annotation values, alert_name (as the `alertname`
  /// label's value) and generator_url. Names, fingerprint, status and times are untouched.
  /// Adds each replacement to `counts`.
  void Redact(Alert& alert, RedactionCounts& counts) const;

  /// Redacts one value of the label or annotation `name` (empty: free text, no key applies).
  void RedactValue(std::string_view name, std::string& value, RedactionCounts& counts) const;

 private:
  struct Rule {
    std::unique_ptr<re2::RE2> re;
    std::size_t index;  // into kRedactionRules
    int group;          // the capture replaced: 0 the whole match, 1 the secret part
  };
  struct Span {
    std::size_t begin;
    std::size_t end;
    std::size_t rule;
  };

  struct Screen;

  bool IsKey(std::string_view name) const noexcept;
  bool ValueNeedsWork(std::string_view name, std::string_view value) const;
  bool Matching(std::string_view value, std::vector<int>* rules) const;
  void RedactText(std::string& text, std::vector<int> rules, RedactionCounts& counts) const;
  // One pass of RedactText; false when it changed nothing.
  bool RedactPass(std::string& text, const std::vector<int>& rules, RedactionCounts& counts) const;
  void Collect(const Rule& rule, std::string_view text, std::vector<Span>& spans) const;

  bool enabled_ = false;
  std::vector<std::string> keys_;  // sorted
  std::vector<Rule> rules_;
  // Every rule in one RE2::Set: one pass over a value says which rules match in it, so a clean
  // value costs one scan and a dirty one a scan per rule that matched. Null when RE2 could not
  // build it; then every value takes every rule's pass: slower, never wrong.
  std::unique_ptr<Screen> screen_;
};

}  // namespace alertllm::internal
