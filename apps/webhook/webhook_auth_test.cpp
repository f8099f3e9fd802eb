// SPDX-License-Identifier: Apache-2.0
// The webhook's bearer token (WebhookAuth): the token file, the header check, and the service
// over real HTTP on 127.0.0.1 port 0 with the token on /alerts only or on every path.
#include "webhook_auth.hpp"

#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "alertllm/client.hpp"
#include "support/captures.hpp"
#include "webhook_service.hpp"
#include "webhook_test_fixture.hpp"

namespace alertllm::webhook {
namespace {

using fixture::Json;
using Verdict = WebhookAuth::Verdict;

constexpr const char* kToken = "s3cr3t-webhook-token_42";

// A file in a directory of its own, removed with it.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "alertllm-auth-XXXXXX").string();
    dir_ = mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
    path_ = dir_ + "/token";
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string path_;
};

TEST(WebhookAuthFileTest, TheTrailingNewlineIsTrimmed) {
  const TempFile file(std::string(kToken) + "\n");
  const auto auth = WebhookAuth::FromFile(file.path(), "--auth-token-file");
  ASSERT_TRUE(auth.has_value()) << auth.error().message;
  EXPECT_EQ(auth->Check(std::string("Bearer ") + kToken), Verdict::kOk);
}

TEST(WebhookAuthFileTest, AMissingFileIsAConfigErrorNamingTheSource) {
  const auto auth = WebhookAuth::FromFile("/nonexistent/alertllm/token", "--auth-token-file");
  ASSERT_FALSE(auth.has_value());
  EXPECT_EQ(auth.error().code, ErrorCode::kInvalidConfig);
  EXPECT_NE(auth.error().message.find("--auth-token-file"), std::string::npos);
  EXPECT_NE(auth.error().message.find("/nonexistent/alertllm/token"), std::string::npos);
}

TEST(WebhookAuthFileTest, AnEmptyFileIsAConfigError) {
  for (const char* content : {"", "\n", "  \r\n\t"}) {
    const TempFile file(content);
    const auto auth = WebhookAuth::FromFile(file.path(), "ALERTLLM_WEBHOOK_TOKEN_FILE");
    ASSERT_FALSE(auth.has_value());
    EXPECT_EQ(auth.error().code, ErrorCode::kInvalidConfig);
    EXPECT_NE(auth.error().message.find("ALERTLLM_WEBHOOK_TOKEN_FILE"), std::string::npos);
    EXPECT_NE(auth.error().message.find("is empty"), std::string::npos);
  }
}

TEST(WebhookAuthFileTest, ADirectoryIsAConfigError) {
  const TempFile file(kToken);
  const auto auth = WebhookAuth::FromFile(file.dir(), "--auth-token-file");
  ASSERT_FALSE(auth.has_value());
  EXPECT_NE(auth.error().message.find("cannot be read: Is a directory"), std::string::npos);
}

// Two tokens, or one with a space or control byte inside, cannot be sent in a header: a
// config error, and the content is never quoted in it.
TEST(WebhookAuthFileTest, AnUnusableTokenIsRejectedWithoutQuotingIt) {
  for (const std::string& content :
       {std::string(kToken) + " second", std::string(kToken) + "\nsecond",
        std::string(kToken) + "\x01", std::string(kToken) + "\xc3\xa9"}) {
    const TempFile file(content);
    const auto auth = WebhookAuth::FromFile(file.path(), "--auth-token-file");
    ASSERT_FALSE(auth.has_value());
    EXPECT_EQ(auth.error().code, ErrorCode::kInvalidConfig);
    EXPECT_EQ(auth.error().message.find(kToken), std::string::npos) << auth.error().message;
    EXPECT_EQ(auth.error().message.find("second"), std::string::npos) << auth.error().message;
  }
}

TEST(WebhookAuthCheckTest, JudgesTheHeader) {
  const WebhookAuth auth(kToken);
  EXPECT_EQ(auth.Check(std::string("Bearer ") + kToken), Verdict::kOk);
  EXPECT_EQ(auth.Check(std::string("bearer ") + kToken), Verdict::kOk);
  EXPECT_EQ(auth.Check(std::string(" Bearer  ") + kToken + " "), Verdict::kOk);
  EXPECT_EQ(auth.Check(""), Verdict::kMissing);
  EXPECT_EQ(auth.Check("  "), Verdict::kMissing);
  EXPECT_EQ(auth.Check("Basic dXNlcjpwYXNz"), Verdict::kNotBearer);
  EXPECT_EQ(auth.Check("Bearer"), Verdict::kNotBearer);
  EXPECT_EQ(auth.Check("Bearer "), Verdict::kNotBearer);
  EXPECT_EQ(auth.Check(std::string("Bearer") + kToken), Verdict::kNotBearer);
  EXPECT_EQ(auth.Check(kToken), Verdict::kNotBearer);
}

// Shorter, longer, a prefix, one byte off at the start or the end: all wrong.
TEST(WebhookAuthCheckTest, OnlyTheExactTokenPasses) {
  const WebhookAuth auth(kToken);
  const std::string token = kToken;
  std::string first = token;
  first.front() = 'x';
  std::string last = token;
  last.back() = 'x';
  for (const std::string& given : {token.substr(0, token.size() - 1), token + "x", std::string("s"),
                                   first, last, std::string(token.size(), 'a'), token + token}) {
    EXPECT_EQ(auth.Check("Bearer " + given), Verdict::kWrong) << given;
  }
}

TEST(WebhookAuthCheckTest, ExplanationsNeverQuoteTheToken) {
  for (Verdict v : {Verdict::kMissing, Verdict::kNotBearer, Verdict::kWrong}) {
    EXPECT_FALSE(WebhookAuth::Explain(v).empty());
    EXPECT_EQ(WebhookAuth::Explain(v).find(kToken), std::string_view::npos);
  }
}

class WebhookAuthServiceTest : public fixture::WebhookServiceTest {
 protected:
  void StartWithAuth(bool auth_all, std::optional<int> metrics_port = std::nullopt) {
    Config config;
    config.base_url = llm_.url();
    config.timeout = std::chrono::seconds(5);
    config.max_retries = 0;
    client_ = std::make_shared<HttpLlmClient>(config);
    WebhookServiceOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.metrics_port = metrics_port;
    options.auth = std::make_shared<const WebhookAuth>(kToken);
    options.auth_all = auth_all;
    options.logger = std::make_shared<spdlog::logger>(
        "auth-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_));
    service_ = std::make_unique<WebhookService>(client_, std::move(options));
    ASSERT_TRUE(service_->Start().has_value());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", service_->port());
    http_->set_read_timeout(30, 0);
  }

  httplib::Result PostWith(const std::string& authorization) {
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    return http_->Post("/alerts", headers, Sample(), "application/json");
  }

  httplib::Result GetWith(const std::string& path, const std::string& authorization) {
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    return http_->Get(path, headers);
  }

  static std::string Sample() {
    return test::ReadFile(fixture::CapturesDir() /
                          "alertmanager_webhook_01_HighCPUUsage_firing.json");
  }

  static void Expect401(const httplib::Result& res) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
    const Json body = Json::parse(res->body);
    ASSERT_TRUE(body.at("error").is_string());
    EXPECT_EQ(res->body.find(kToken), std::string::npos);
  }

  std::ostringstream log_;
};

TEST_F(WebhookAuthServiceTest, NoHeaderIs401AndNothingIsClassified) {
  StartWithAuth(false);
  const auto res = PostWith("");
  Expect401(res);
  EXPECT_NE(Json::parse(res->body).at("error").get<std::string>().find("missing"),
            std::string::npos);
  EXPECT_EQ(llm_.calls(), 0);
}

TEST_F(WebhookAuthServiceTest, AWrongTokenIs401AndNothingIsClassified) {
  StartWithAuth(false);
  Expect401(PostWith("Bearer not-the-token"));
  Expect401(PostWith(std::string("Basic ") + kToken));
  EXPECT_EQ(llm_.calls(), 0);
  EXPECT_NE(service_->MetricsText().find("alertllm_webhook_requests_total{code=\"401\"} 2"),
            std::string::npos);
}

TEST_F(WebhookAuthServiceTest, TheRightTokenIsClassified) {
  StartWithAuth(false);
  const auto res = PostWith(std::string("Bearer ") + kToken);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(Json::parse(res->body).at("classifications").size(), 1u);
  EXPECT_EQ(llm_.calls(), 1);
}

// A refused request leaves the client able to send the next one (the unread body is not
// taken for a request: the refused connection is closed).
TEST_F(WebhookAuthServiceTest, TheSameClientIsServedAfterA401) {
  StartWithAuth(false);
  http_->set_keep_alive(true);
  Expect401(PostWith("Bearer wrong"));
  const auto res = PostWith(std::string("Bearer ") + kToken);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(WebhookAuthServiceTest, HealthzAndMetricsStayOpenByDefault) {
  StartWithAuth(false);
  for (const char* path : {"/healthz", "/metrics"}) {
    const auto res = GetWith(path, "");
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
  }
}

TEST_F(WebhookAuthServiceTest, AuthAllProtectsHealthzAndMetrics) {
  StartWithAuth(true);
  for (const char* path : {"/healthz", "/metrics", "/nowhere"}) {
    SCOPED_TRACE(path);
    Expect401(GetWith(path, ""));
    const auto res = GetWith(path, std::string("Bearer ") + kToken);
    ASSERT_TRUE(res);
    EXPECT_NE(res->status, 401);
  }
}

TEST_F(WebhookAuthServiceTest, AuthAllProtectsTheSeparateMetricsListener) {
  StartWithAuth(true, 0);
  httplib::Client metrics("127.0.0.1", service_->metrics_port());
  Expect401(metrics.Get("/metrics"));
  const auto res = metrics.Get("/metrics", {{"Authorization", std::string("Bearer ") + kToken}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(WebhookAuthServiceTest, TheTokenIsInNoOutput) {
  StartWithAuth(false);
  std::string seen;
  for (const std::string& header :
       {std::string(), std::string("Bearer x"), std::string("Bearer ") + kToken}) {
    const auto res = PostWith(header);
    ASSERT_TRUE(res);
    seen += res->body;
  }
  seen += GetWith("/healthz", "")->body;
  seen += GetWith("/metrics", "")->body;
  service_->Stop();  // every log line written, its threads joined
  seen += log_.str();
  EXPECT_NE(log_.str().find("classified"), std::string::npos);
  EXPECT_EQ(seen.find(kToken), std::string::npos);
}

}  // namespace
}  // namespace alertllm::webhook
