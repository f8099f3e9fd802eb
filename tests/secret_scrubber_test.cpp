// SPDX-License-Identifier: Apache-2.0
// SecretScrubber (src/engine) and detail::MaskUrl: what is taken out of server text and of a
// logged base_url, and what is left alone.
#include <gtest/gtest.h>

#include <string>

#include "alertllm/config.hpp"
#include "alertllm/detail/masked_url.hpp"
#include "alertllm/detail/quote.hpp"
#include "alertllm/env.hpp"
#include "codec/protocol.hpp"
#include "engine/secret_scrubber.hpp"

namespace alertllm {
namespace {

using internal::SecretScrubber;

Config SecretConfig() {
  Config config;
  config.api_key = "sk-TESTSECRET-12345";
  config.extra_headers = {{"X-Api-Key", "xk-EXTRASECRET-999"}, {"X-Short", "abc"}};
  config.base_url = "https://tester:PASS%40SECRET@llm.example/v1?key=QUERYSECRET-777&v=1";
  return config;
}

TEST(SecretScrubberTest, EverySecretOfTheConfigIsReplaced) {
  const SecretScrubber scrubber(SecretConfig());
  EXPECT_EQ(scrubber.Scrub("k=sk-TESTSECRET-12345 x=xk-EXTRASECRET-999 q=QUERYSECRET-777"),
            "k=*** x=*** q=***");
}

TEST(SecretScrubberTest, UserInfoIsReplacedAsWrittenDecodedAndAsBasicCredentials) {
  const SecretScrubber scrubber(SecretConfig());
  // base64("tester:PASS@SECRET"), what libcurl sends for this user-info.
  EXPECT_EQ(scrubber.Scrub("a PASS%40SECRET b PASS@SECRET c dGVzdGVyOlBBU1NAU0VDUkVU d"),
            "a *** b *** c *** d");
}

TEST(SecretScrubberTest, ValuesShorterThanFourBytesAreNotSearched) {
  const SecretScrubber scrubber(SecretConfig());
  EXPECT_EQ(scrubber.Scrub("abc v=1"), "abc v=1");
}

TEST(SecretScrubberTest, BearerTokenIsMaskedWhateverItIs) {
  const SecretScrubber scrubber(std::vector<std::string>{});
  EXPECT_EQ(scrubber.Scrub("authorization: BEARER other-token, next"),
            "authorization: BEARER ***, next");
  EXPECT_EQ(scrubber.Scrub("'Bearer sk-cut-by-a-clip...'"), "'Bearer ***...'");
}

TEST(SecretScrubberTest, PrefixCutByAClipIsMasked) {
  const SecretScrubber scrubber(SecretConfig());
  const std::string body = std::string(52, '.') + "key xk-EXTRASECRET-999 and more";
  const std::string clipped = detail::Quote(body);  // "'....key xk-EXTRA...'"
  ASSERT_NE(clipped.find("xk-EX"), std::string::npos) << clipped;
  const std::string scrubbed = scrubber.Scrub(clipped);
  EXPECT_EQ(scrubbed.find("xk-EX"), std::string::npos) << scrubbed;
  EXPECT_NE(scrubbed.find("key ***..."), std::string::npos) << scrubbed;
}

TEST(SecretScrubberTest, SuffixStartingAnExcerptIsMasked) {
  const SecretScrubber scrubber(SecretConfig());
  EXPECT_EQ(scrubber.Scrub("near 'SECRET-12345\"!' and RET-999"), "near '***\"!' and RET-999");
}

TEST(SecretScrubberTest, BodyWithoutSecretsIsReportedUnchanged) {
  const SecretScrubber scrubber(SecretConfig());
  EXPECT_FALSE(scrubber.ScrubbedBody("<html>upstream down</html>").has_value());
  EXPECT_EQ(scrubber.ScrubbedBody("key sk-TESTSECRET-12345"), "key ***");
}

TEST(SecretScrubberTest, BodyIsScrubbedOfSecretsAndBearerTokensNotOfEdgePieces) {
  const SecretScrubber scrubber(SecretConfig());
  EXPECT_EQ(scrubber.ScrubBody("a: Bearer t0k3n 'xk-EXTRASECRET-999' sk-TEST"),
            "a: Bearer *** '***' sk-TEST");
  EXPECT_EQ(scrubber.Scrub("'sk-TEST"), "'***");
}

TEST(SecretScrubberTest, LongerSecretIsReplacedWhole) {
  const SecretScrubber scrubber(std::vector<std::string>{"abcd", "xxabcdxx"});
  EXPECT_EQ(scrubber.Scrub("1 xxabcdxx 2 abcd"), "1 *** 2 ***");
}

TEST(MaskUrlTest, MasksUserInfoQueryValuesAndFragment) {
  EXPECT_EQ(detail::MaskUrl("https://user:pw@host:8443/v1?key=abc&x&api-version=2#frag"),
            "https://***:***@host:8443/v1?key=***&***&api-version=***#***");
  EXPECT_EQ(detail::MaskUrl("http://token@host/p"), "http://***@host/p");
}

TEST(MaskUrlTest, UrlWithoutSecretsIsUnchanged) {
  EXPECT_EQ(detail::MaskUrl("http://127.0.0.1:8080/v1"), "http://127.0.0.1:8080/v1");
  EXPECT_EQ(detail::MaskUrl("http://host/p?"), "http://host/p?");
}

TEST(MaskUrlTest, AtInThePathIsNotUserInfo) {
  EXPECT_EQ(detail::MaskUrl("http://host/users/@me"), "http://host/users/@me");
}

TEST(MaskUrlTest, EnvErrorQuotesBaseUrlMasked) {
  const Result<Config> config =
      ConfigFromEnv([](std::string_view name) -> std::optional<std::string> {
        if (name == "LLM_BASE_URL") return "ftp://user:PASSWORD1@host/v1?key=QUERYKEY1";
        return std::nullopt;
      });
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "LLM_BASE_URL: 'ftp://***:***@host/v1?key=***' must start with http:// or https://");
}

TEST(JoinUrlTest, QueryOfTheBaseUrlFollowsThePath) {
  EXPECT_EQ(internal::JoinUrl("http://h/v1/?key=k", "/v1/chat/completions"),
            "http://h/v1/chat/completions?key=k");
  EXPECT_EQ(internal::JoinUrl("http://h?key=k", "/classify"), "http://h/classify?key=k");
}

}  // namespace
}  // namespace alertllm
