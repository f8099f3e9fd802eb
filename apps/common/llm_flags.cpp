// SPDX-License-Identifier: Apache-2.0
#include "llm_flags.hpp"

namespace alertllm::apps {

void LlmFlags::Register(FlagSet& flags) {
  flags.String("--base-url", &base_url);
  flags.ProtocolFlag("--protocol", &protocol);
  flags.String("--model", &model);
  flags.FallbackFlag("--fallback", &fallback);
  flags.Duration("--timeout", &timeout);
}

void LlmFlags::ApplyTo(Config& config) const {
  if (base_url) config.base_url = *base_url;
  if (protocol) config.protocol = *protocol;
  if (model) config.model = *model;
  if (fallback) config.fallback = *fallback;
  if (timeout) config.timeout = *timeout;
}

}  // namespace alertllm::apps
