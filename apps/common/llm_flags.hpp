// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <alertllm/config.hpp>

#include "flag_set.hpp"

namespace alertllm::apps {

/// The flags with which every app overrides the LLM_* variables of its config: `--base-url`,
/// `--protocol`, `--model`, `--fallback` and `--timeout`, each parsed as its variable is. A
/// flag not given leaves the variable's value standing. A plain aggregate.
struct LlmFlags {
  std::optional<std::string> base_url;
  std::optional<Protocol> protocol;
  std::optional<std::string> model;
  std::optional<FallbackMode> fallback;
  std::optional<std::chrono::milliseconds> timeout;

  /// Registers the five flags on `flags`, which writes into this object when it parses: keep
  /// the object alive (and in place) until then.
  void Register(FlagSet& flags);

  /// Writes the flags that were given into `config`; validating it is the caller's turn.
  void ApplyTo(Config& config) const;
};

}  // namespace alertllm::apps
