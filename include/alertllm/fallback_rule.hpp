// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <string_view>

#include "alertllm/alert.hpp"

namespace alertllm {

/// One row of the fallback classifier's table: the rule matches an alert whose name (ASCII
/// lower-cased, with everything but letters and digits dropped: "Node_Down" reads "nodedown")
/// contains one of `keywords` and, if `qualifiers` is not empty, also one of `qualifiers`. A
/// word written "^llm" must start the name rather than appear anywhere in it.
///
/// A plain aggregate of string literals; thread-safety as for any constant.
struct FallbackRule {
  std::string_view name;
  std::array<std::string_view, 6> keywords;
  std::array<std::string_view, 6> qualifiers;
  Severity severity;
  std::string_view category;
  /// What the alert is about, first in the summary ("Node or target down").
  std::string_view what;
  double confidence;
  /// Advice; `{instance}`, `{namespace}`, `{job}`, `{pod}`, `{container}`, `{mountpoint}` are
  /// replaced by the alert's label (clipped) or by a generic phrase when it has none.
  std::array<std::string_view, 3> suggestions;
};

}  // namespace alertllm
