// SPDX-License-Identifier: Apache-2.0
// SecretScrubber: what a server may echo of the client's secrets, replaced before it is quoted.
#include "engine/secret_scrubber.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "alertllm/detail/masked_url.hpp"
#include "alertllm/detail/strings.hpp"

namespace alertllm::internal {
namespace {

constexpr std::string_view kMask = "***";
constexpr std::size_t kNpos = std::string_view::npos;
constexpr std::size_t kMin = SecretScrubber::kMinSecretBytes;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char lower = detail::ToLowerAscii(c);
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

// %XX decoded, as libcurl decodes user-info before it sends it and a server decodes a query
// before it echoes it.
std::string PercentDecoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int high = text[i] == '%' && i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
    const int low = high >= 0 ? HexValue(text[i + 2]) : -1;
    if (low < 0) {
      out += text[i];
      continue;
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::string Base64(std::string_view bytes) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      group = (group << 8) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0u);
    }
    for (std::size_t j = 0; j < 4; ++j) {
      out += j <= n ? kAlphabet[(group >> (18 - 6 * j)) & 63] : '=';
    }
  }
  return out;
}

void AddAsWrittenAndDecoded(std::vector<std::string>& out, std::string_view value) {
  out.emplace_back(value);
  out.push_back(PercentDecoded(value));
}

std::vector<std::string> ConfigSecrets(const Config& config) {
  std::vector<std::string> out{config.api_key};
  for (const auto& header : config.extra_headers) out.push_back(header.second);
  const detail::UrlSecretParts url = detail::SplitUrlSecrets(config.base_url);
  if (url.has_userinfo) {
    const std::size_t colon = url.userinfo.find(':');
    const std::string_view user = url.userinfo.substr(0, colon);
    const std::string_view password =
        colon == kNpos ? std::string_view() : url.userinfo.substr(colon + 1);
    AddAsWrittenAndDecoded(out, url.userinfo);
    AddAsWrittenAndDecoded(out, user);
    AddAsWrittenAndDecoded(out, password);
    // What libcurl sends as "Authorization: Basic …" when no api_key header takes its place.
    out.push_back(Base64(PercentDecoded(user) + ":" + PercentDecoded(password)));
  }
  if (url.has_query) {
    detail::ForEachQueryParam(url.query, [&](std::string_view, std::string_view value, bool) {
      AddAsWrittenAndDecoded(out, value);
    });
  }
  return out;
}

void ReplaceAll(std::string& text, std::string_view secret) {
  for (std::size_t at = text.find(secret); at != kNpos; at = text.find(secret, at + kMask.size())) {
    text.replace(at, secret.size(), kMask);
  }
}

std::size_t FindIgnoreCase(std::string_view text, std::string_view lower_needle, std::size_t from) {
  for (std::size_t at = from; at + lower_needle.size() <= text.size(); ++at) {
    std::size_t i = 0;
    while (i < lower_needle.size() && detail::ToLowerAscii(text[at + i]) == lower_needle[i]) ++i;
    if (i == lower_needle.size()) return at;
  }
  return kNpos;
}

bool EndsToken(char c) { return std::string_view(" \t\r\n'\",;\\<>()[]{}").find(c) != kNpos; }

// A server that echoes the Authorization header may cut or alter the key on the way (its own
// clip, a proxy's rewrite): whatever follows "Bearer " goes, not only the key as configured.
void MaskBearerTokens(std::string& text) {
  constexpr std::string_view kBearer = "bearer";
  for (std::size_t at = FindIgnoreCase(text, kBearer, 0); at != kNpos;
       at = FindIgnoreCase(text, kBearer, at + kBearer.size())) {
    std::size_t begin = at + kBearer.size();
    const std::size_t after_word = begin;
    while (begin < text.size() && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
    if (begin == after_word) continue;
    std::size_t end = begin;
    while (end < text.size() && !EndsToken(text[end])) ++end;
    std::string_view token(text.data() + begin, end - begin);
    // Clip's mark after a cut token stays, so a reader still sees that the text was cut.
    if (token.ends_with("...")) token.remove_suffix(3);
    if (token.empty() || token.starts_with(kMask)) continue;
    text.replace(begin, token.size(), kMask);
  }
}

// The longest proper prefix of `secret` of kMin bytes or more that ends at text[end]; 0 if none.
std::size_t PrefixEndingAt(std::string_view text, std::size_t end, std::string_view secret) {
  for (std::size_t k = std::min(secret.size() - 1, end); k >= kMin; --k) {
    if (text[end - k] == secret[0] && text.substr(end - k, k) == secret.substr(0, k)) return k;
  }
  return 0;
}

// The longest proper suffix of `secret` of kMin bytes or more that starts at text[begin].
std::size_t SuffixStartingAt(std::string_view text, std::size_t begin, std::string_view secret) {
  for (std::size_t k = std::min(secret.size() - 1, text.size() - begin); k >= kMin; --k) {
    const std::string_view tail = secret.substr(secret.size() - k);
    if (text[begin] == tail[0] && text.substr(begin, k) == tail) return k;
  }
  return 0;
}

// `text` with each span replaced by kMask; overlapping spans are merged first.
std::string MaskSpans(std::string_view text,
                      std::vector<std::pair<std::size_t, std::size_t>> spans) {
  std::sort(spans.begin(), spans.end());
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  for (std::size_t i = 0; i < spans.size();) {
    std::size_t end = spans[i].second;
    std::size_t j = i + 1;
    while (j < spans.size() && spans[j].first <= end) end = std::max(end, spans[j++].second);
    out.append(text.substr(copied, spans[i].first - copied)).append(kMask);
    copied = end;
    i = j;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace

SecretScrubber::SecretScrubber(const Config& config) : SecretScrubber(ConfigSecrets(config)) {}

SecretScrubber::SecretScrubber(std::vector<std::string> secrets) {
  std::erase_if(secrets, [](const std::string& s) { return s.size() < kMinSecretBytes; });
  // Longest first: a secret that contains another is replaced whole, not around the shorter.
  std::sort(secrets.begin(), secrets.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  secrets.erase(std::unique(secrets.begin(), secrets.end()), secrets.end());
  secrets_ = std::move(secrets);
}

void SecretScrubber::ReplaceSecrets(std::string& text) const {
  for (const std::string& secret : secrets_) ReplaceAll(text, secret);
  MaskBearerTokens(text);
}

std::string SecretScrubber::Scrub(std::string_view message) const {
  std::string out(message);
  ReplaceSecrets(out);
  MaskEdgePieces(out);
  return out;
}

std::string SecretScrubber::ScrubBody(std::string_view body) const {
  std::string out(body);
  ReplaceSecrets(out);
  return out;
}

std::optional<std::string> SecretScrubber::ScrubbedBody(std::string_view body) const {
  std::string out = ScrubBody(body);
  if (out == body) return std::nullopt;
  return out;
}

// Where a clip ends an excerpt ("...", a closing quote, the end) or an excerpt starts (the
// start, an opening quote), a secret may have been cut: the piece left is masked too.
void SecretScrubber::MaskEdgePieces(std::string& text) const {
  if (secrets_.empty()) return;
  std::vector<std::size_t> ends{text.size()};
  std::vector<std::size_t> begins{0};
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\'' || text[i] == '"') {
      ends.push_back(i);
      begins.push_back(i + 1);
    } else if (text.compare(i, 3, "...") == 0) {
      ends.push_back(i);
    }
  }
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  for (const std::string& secret : secrets_) {
    for (const std::size_t end : ends) {
      if (const std::size_t k = PrefixEndingAt(text, end, secret)) spans.emplace_back(end - k, end);
    }
    for (const std::size_t begin : begins) {
      if (begin >= text.size()) continue;
      if (const std::size_t k = SuffixStartingAt(text, begin, secret)) {
        spans.emplace_back(begin, begin + k);
      }
    }
  }
  if (!spans.empty()) text = MaskSpans(text, std::move(spans));
}

}  // namespace alertllm::internal
