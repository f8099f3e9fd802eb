// SPDX-License-Identifier: Apache-2.0
// Redaction before anything leaves (README, Security): the built-in rules, the user's patterns,
// and the one pass that replaces what they match.
#include "redact/redactor.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "alertllm/detail/redaction_pattern.hpp"
#include "util/text.hpp"

namespace alertllm::internal {
namespace {

struct BuiltinRule {
  std::string_view name;  // as in kRedactionRules
  std::string_view pattern;
  int group;  // 1: only the first capture is secret (the scheme, host or key word stays)
};

constexpr BuiltinRule kBuiltinRules[] = {
    // Only user:password goes; the scheme and the host tell the model what failed.
    {"url_credentials", R"([A-Za-z][A-Za-z0-9+.\-]*://([^\s/?#@:]+:[^\s/?#]*)@)", 1},
    // password=…, passwd: …, "api_key": "…", ?token=…&: the value up to a delimiter.
    {"secret_param",
     R"((?i)(?:password|passwd|token|secret|api[_-]?key)["']?\s*[=:]\s*["']?([^\s"'&,;<>]+))", 1},
    // The token68 of RFC 6750. Without a digit it must be 20 characters or more, so that prose
    // ("the bearer of bad news") stays readable while a random token is caught either way.
    {"bearer",
     R"((?i:\bbearer)\s+([A-Za-z0-9\-._~+/]*[0-9][A-Za-z0-9\-._~+/]*=*)"
     R"(|[A-Za-z0-9\-._~+/]{20,}=*))",
     1},
    {"aws_access_key_id", R"(\b(?:AKIA|ASIA)[A-Z0-9]{16}\b)", 0},
    {"jwt", R"(\beyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)", 0},
    {"github_token", R"(\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}))", 0},
    {"slack_token", R"(\bxox[abprs]-[A-Za-z0-9\-]{10,})", 0},
    // A block cut off before its END line (a clipped annotation) is redacted to the end.
    {"private_key",
     R"(-----BEGIN[A-Z0-9 ]* PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z0-9 ]* PRIVATE KEY-----|\z))",
     0},
};

constexpr std::size_t kKeyRule = 0;
constexpr std::size_t kCustomRule = kRedactionRules.size() - 1;
constexpr std::string_view kMarkerPrefix = "[REDACTED:";
constexpr std::string_view kKeyMarker = "[REDACTED:key]";

constexpr std::size_t RuleIndex(std::string_view name) {
  for (std::size_t i = 0; i < kRedactionRules.size(); ++i) {
    if (kRedactionRules[i] == name) return i;
  }
  return kRedactionRules.size();
}

static_assert(RuleIndex("key") == kKeyRule && RuleIndex("custom") == kCustomRule);
static_assert(std::all_of(std::begin(kBuiltinRules), std::end(kBuiltinRules),
                          [](const BuiltinRule& r) { return RuleIndex(r.name) < kCustomRule; }));

RE2::Options Quiet() {
  RE2::Options options;
  // RE2 would print a rejected pattern to stderr; Validate() reports it instead.
  options.set_log_errors(false);
  return options;
}

std::unique_ptr<RE2> Compile(std::string_view pattern) {
  auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), Quiet());
  if (!re->ok()) {
    throw std::invalid_argument("redaction pattern " + Quote(pattern) + ": " + Clip(re->error()));
  }
  return re;
}

std::string Marker(std::size_t rule) {
  std::string marker(kMarkerPrefix);
  marker += kRedactionRules[rule];
  marker += ']';
  return marker;
}

// The length of the marker that starts at `at`, or 0 when none does.
std::size_t MarkerAt(std::string_view text, std::size_t at) {
  if (text.compare(at, kMarkerPrefix.size(), kMarkerPrefix) != 0) return 0;
  for (std::string_view rule : kRedactionRules) {
    const std::size_t name_at = at + kMarkerPrefix.size();
    if (text.compare(name_at, rule.size(), rule) == 0 && name_at + rule.size() < text.size() &&
        text[name_at + rule.size()] == ']') {
      return kMarkerPrefix.size() + rule.size() + 1;
    }
  }
  return 0;
}

// The markers already in `text`, in order: what an earlier redaction left. They never overlap
// (their inside holds no '[').
std::vector<std::pair<std::size_t, std::size_t>> Markers(std::string_view text) {
  std::vector<std::pair<std::size_t, std::size_t>> markers;
  for (std::size_t at = text.find(kMarkerPrefix); at != std::string_view::npos;
       at = text.find(kMarkerPrefix, at + 1)) {
    if (const std::size_t length = MarkerAt(text, at); length != 0) {
      markers.emplace_back(at, at + length);
    }
  }
  return markers;
}

// Keeps every marker whole and unredacted: a span's ends move out of the markers they fall in
// (a span that starts at a marker starts after it, one that ends in a marker ends before it),
// and a span left empty is dropped. A secret rule's value ("token=[REDACTED:…]more") thus
// reaches only the text beyond the marker.
template <typename Span>
void ClipToMarkers(std::string_view text, std::vector<Span>& spans) {
  const auto markers = Markers(text);
  if (markers.empty()) return;
  // The marker holding `at` (begin <= at < end), or none.
  const auto holding = [&](std::size_t at) {
    auto it = std::upper_bound(markers.begin(), markers.end(), at,
                               [](std::size_t a, const auto& m) { return a < m.first; });
    return it != markers.begin() && at < std::prev(it)->second ? std::prev(it) : markers.end();
  };
  for (Span& span : spans) {
    for (auto m = holding(span.begin); m != markers.end() && span.begin < span.end;
         m = holding(span.begin)) {
      span.begin = m->second;
    }
    for (auto m = holding(span.end - 1); m != markers.end() && span.begin < span.end;
         m = holding(span.end - 1)) {
      span.end = m->first;
    }
  }
  std::erase_if(spans, [](const Span& span) { return span.begin >= span.end; });
}

}  // namespace

struct Redactor::Screen {
  RE2::Set set{Quiet(), RE2::UNANCHORED};
};

Redactor::Redactor(const RedactionConfig& config) : enabled_(config.enabled) {
  if (!enabled_) return;
  keys_ = config.keys;
  std::sort(keys_.begin(), keys_.end());
  auto screen = std::make_unique<Screen>();
  bool screened = true;
  const auto add = [&](std::string_view pattern, std::size_t index, int group) {
    rules_.push_back({Compile(pattern), index, group});
    screened =
        screened && screen->set.Add(re2::StringPiece(pattern.data(), pattern.size()), nullptr) >= 0;
  };
  if (config.builtin_rules) {
    for (const BuiltinRule& rule : kBuiltinRules) {
      add(rule.pattern, RuleIndex(rule.name), rule.group);
    }
  }
  for (const std::string& pattern : config.patterns) add(pattern, kCustomRule, 0);
  enabled_ = !keys_.empty() || !rules_.empty();
  if (!rules_.empty() && screened && screen->set.Compile()) screen_ = std::move(screen);
}

Redactor::~Redactor() = default;

bool Redactor::IsKey(std::string_view name) const noexcept {
  return !name.empty() &&
         std::binary_search(keys_.begin(), keys_.end(), name,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

// With `rules` null, stops at the first match.
bool Redactor::Matching(std::string_view value, std::vector<int>* rules) const {
  if (rules_.empty()) return false;
  if (screen_) {
    RE2::Set::ErrorInfo error{RE2::Set::kNoError};
    if (screen_->set.Match(re2::StringPiece(value.data(), value.size()), rules, &error)) {
      return true;
    }
    if (error.kind == RE2::Set::kNoError) return false;
  }
  // No screen, or its DFA gave up on this value: every rule takes its pass, which finds
  // nothing to do in a clean value.
  if (rules != nullptr) {
    rules->resize(rules_.size());
    for (std::size_t i = 0; i < rules_.size(); ++i) (*rules)[i] = static_cast<int>(i);
  }
  return true;
}

bool Redactor::ValueNeedsWork(std::string_view name, std::string_view value) const {
  if (value.empty()) return false;
  if (IsKey(name)) return value != kKeyMarker;
  return Matching(value, nullptr);
}

bool Redactor::NeedsWork(const Alert& alert) const {
  if (!enabled_) return false;
  for (const auto* map : {&alert.labels, &alert.annotations}) {
    for (const auto& [name, value] : *map) {
      if (ValueNeedsWork(name, value)) return true;
    }
  }
  return ValueNeedsWork("alertname", alert.alert_name) || ValueNeedsWork({}, alert.generator_url);
}

// Each value is screened once; only an alert with something to redact is copied, and in the
// copy only the values that need it are worked on.
std::optional<Alert> Redactor::Redacted(const Alert& alert, RedactionCounts& counts) const {
  if (!enabled_) return std::nullopt;
  std::vector<std::pair<std::size_t, const std::string*>> dirty;  // (map, name)
  const std::array<const std::map<std::string, std::string>*, 2> maps = {&alert.labels,
                                                                         &alert.annotations};
  for (std::size_t m = 0; m < maps.size(); ++m) {
    for (const auto& [name, value] : *maps[m]) {
      if (ValueNeedsWork(name, value)) dirty.emplace_back(m, &name);
    }
  }
  const bool name_dirty = ValueNeedsWork("alertname", alert.alert_name);
  const bool url_dirty = ValueNeedsWork({}, alert.generator_url);
  if (dirty.empty() && !name_dirty && !url_dirty) return std::nullopt;
  std::optional<Alert> copy(alert);
  const std::array<std::map<std::string, std::string>*, 2> copies = {&copy->labels,
                                                                     &copy->annotations};
  for (const auto& [m, name] : dirty) {
    if (const auto it = copies[m]->find(*name); it != copies[m]->end()) {
      RedactValue(*name, it->second, counts);
    }
  }
  if (name_dirty) RedactValue("alertname", copy->alert_name, counts);
  if (url_dirty) RedactValue({}, copy->generator_url, counts);
  return copy;
}

void Redactor::Redact(Alert& alert, RedactionCounts& counts) const {
  if (std::optional<Alert> redacted = Redacted(alert, counts)) alert = *std::move(redacted);
}

void Redactor::RedactValue(std::string_view name, std::string& value,
                           RedactionCounts& counts) const {
  if (!enabled_ || value.empty()) return;
  if (IsKey(name)) {
    if (value == kKeyMarker) return;
    value = kKeyMarker;
    ++counts[kKeyRule];
    return;
  }
  std::vector<int> rules;
  if (Matching(value, &rules)) RedactText(value, std::move(rules), counts);
}

// Every rule's matches in `text`, in order; an empty one (a user's pattern such as `x*`)
// hides nothing and is skipped.
void Redactor::Collect(const Rule& rule, std::string_view text, std::vector<Span>& spans) const {
  const re2::StringPiece piece(text.data(), text.size());
  re2::StringPiece match[2];
  std::size_t at = 0;
  while (at <= text.size() &&
         rule.re->Match(piece, at, text.size(), RE2::UNANCHORED, match, rule.group + 1)) {
    const re2::StringPiece secret = match[rule.group];
    const auto end = static_cast<std::size_t>(match[0].data() + match[0].size() - text.data());
    if (secret.data() != nullptr && !secret.empty()) {
      const auto begin = static_cast<std::size_t>(secret.data() - text.data());
      spans.push_back({begin, begin + secret.size(), rule.index});
    }
    at = end > at ? end : at + 1;
  }
}

// Only the rules the screen saw match (`rules`, indices into rules_) take their pass. A marker
// can make a match where the text around it did not (a word boundary, or a secret rule's value
// running on past a region another rule ended), so the passes go on until one changes nothing:
// the result is a fixed point, and redacting it again finds nothing. Each further pass leaves
// less text outside the markers, so they end; a typical secret takes two.
void Redactor::RedactText(std::string& text, std::vector<int> rules,
                          RedactionCounts& counts) const {
  while (RedactPass(text, rules, counts) && Matching(text, &rules)) {
  }
}

bool Redactor::RedactPass(std::string& text, const std::vector<int>& rules,
                          RedactionCounts& counts) const {
  std::vector<Span> spans;
  for (int rule : rules) Collect(rules_[static_cast<std::size_t>(rule)], text, spans);
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.rule < b.rule;
  });
  ClipToMarkers(text, spans);
  if (spans.empty()) return false;
  std::string out;
  std::size_t copied = 0;
  for (std::size_t i = 0; i < spans.size();) {
    Span merged = spans[i];
    for (++i; i < spans.size() && spans[i].begin < merged.end; ++i) {
      merged.end = std::max(merged.end, spans[i].end);
    }
    out.append(text, copied, merged.begin - copied);
    out += Marker(merged.rule);
    ++counts[merged.rule];
    copied = merged.end;
  }
  out.append(text, copied, std::string::npos);
  text = std::move(out);
  return true;
}

}  // namespace alertllm::internal

namespace alertllm::detail {

std::string RedactionPatternError(std::string_view pattern) {
  const RE2 re(re2::StringPiece(pattern.data(), pattern.size()), internal::Quiet());
  return re.ok() ? std::string() : re.error();
}

}  // namespace alertllm::detail
