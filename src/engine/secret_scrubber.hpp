// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alertllm/config.hpp"

namespace alertllm::internal {

/// Takes a client's secrets out of text that came back from the server (an error body, a libcurl
/// message, anything an error message quotes): a whole body before any of it is clipped, and
/// every message before it leaves the client or is logged. A server may echo the request's
/// headers and URL; none of these survive:
///
/// - each secret, wherever it occurs, becomes "***": the API key, every extra header's value,
///   the user-info of base_url (whole, user, password, each as written and percent-decoded, and
///   the base64 "user:password" libcurl sends as Basic credentials) and every query value;
/// - the token after "Bearer " (any case), whatever it is, becomes "***";
/// - in a message (Scrub), a piece of 4 or more bytes of a secret at the edge of an excerpt
///   becomes "***": one that ends the text, or ends before "..." (Clip's mark) or a quote, where
///   a clip cut the secret; one that starts the text or follows a quote, where an excerpt began
///   inside it. A body (ScrubBody) has no such edges yet: it is scrubbed before it is cut.
///
/// Values shorter than 4 bytes are not searched for: a value that short protects nothing, and
/// replacing every "1" or "abc" in a message (a query "?v=1") would garble it. They are still
/// masked wherever base_url is logged (detail::MaskUrl).
///
/// Thread-safety: immutable after construction; every member may be called concurrently.
class SecretScrubber {
 public:
  /// The secrets of `config`, as above.
  explicit SecretScrubber(const Config& config);
  /// Exactly `secrets` (those of 4 bytes or more).
  explicit SecretScrubber(std::vector<std::string> secrets);

  /// `message` with every secret, Bearer token and edge piece replaced by "***". For short text:
  /// the edges cost a look at every quote.
  std::string Scrub(std::string_view message) const;
  /// `body` with every secret and Bearer token replaced by "***"; linear in its size, for a
  /// whole response body before an excerpt of it is quoted.
  std::string ScrubBody(std::string_view body) const;
  /// ScrubBody(body), or no value when that would not change a byte.
  std::optional<std::string> ScrubbedBody(std::string_view body) const;

  /// The secrets searched for, longest first.
  const std::vector<std::string>& secrets() const noexcept { return secrets_; }

  /// The shortest secret searched for, and the shortest piece of one masked at an edge.
  static constexpr std::size_t kMinSecretBytes = 4;

 private:
  void ReplaceSecrets(std::string& text) const;
  void MaskEdgePieces(std::string& text) const;

  std::vector<std::string> secrets_;
};

}  // namespace alertllm::internal
