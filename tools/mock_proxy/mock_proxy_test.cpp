// SPDX-License-Identifier: Apache-2.0
// alertllm-mock-proxy (tools/mock_proxy): MockProxy in-process on 127.0.0.1 port 0, driven by
// the real HttpLlmClient over libcurl and by cpp-httplib's client for the admin endpoints; then
// the alertllm-mock-proxy binary itself, started, used and stopped with SIGTERM.
#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "alertllm/client.hpp"
#include "alertllm/errors.hpp"
#include "alertllm/fallback.hpp"
#include "mock_proxy.hpp"

extern char** environ;

namespace alertllm::mock {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

Alert NodeDown() {
  Alert alert;
  alert.alert_name = "NodeDown";
  alert.labels = {{"alertname", "NodeDown"}, {"instance", "node-7"}, {"job", "node"}};
  alert.annotations = {{"summary", "node-7 stopped answering"}};
  alert.starts_at = std::chrono::sys_days(std::chrono::year(2026) / 1 / 1);
  return alert;
}

Config ClientConfig(const std::string& url, Protocol protocol) {
  Config config;
  config.base_url = url;
  config.protocol = protocol;
  config.timeout = seconds(5);
  config.max_retries = 0;
  config.retry_delay = milliseconds(1);
  return config;
}

class MockProxyTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(MockProxyOptions{}); }

  void Start(MockProxyOptions options) {
    options.clock = [this] { return SteadyClock::time_point(SteadyClock::duration(now_.load())); };
    proxy_ = std::make_unique<MockProxy>(std::move(options));
    const auto port = proxy_->Start();
    ASSERT_TRUE(port.has_value()) << port.error().message;
    ASSERT_GT(*port, 0);
    admin_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
  }

  void Advance(SteadyClock::duration d) { now_ += d.count(); }

  Result<Classification> Classify(Protocol protocol, int max_retries = 0) {
    Config config = ClientConfig(proxy_->url(), protocol);
    config.max_retries = max_retries;
    HttpLlmClient client(config);
    return client.ClassifyAlert(NodeDown());
  }

  httplib::Result PostFaults(const std::string& json) {
    return admin_->Post("/admin/faults", json, "application/json");
  }

  // The fake clock of the down window, in steady_clock ticks.
  std::atomic<SteadyClock::rep> now_{SteadyClock::duration(seconds(1000)).count()};
  std::unique_ptr<MockProxy> proxy_;
  std::unique_ptr<httplib::Client> admin_;
};

TEST_F(MockProxyTest, ProxyProtocolAnswersAnLlmClassification) {
  const auto result = Classify(Protocol::kProxy);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->source, "llm");
  EXPECT_EQ(result->severity, Severity::kCritical);
  EXPECT_EQ(result->category, "infrastructure");
  EXPECT_EQ(result->request_id, "mock-1");
  EXPECT_GE(result->confidence, 0.70);
  EXPECT_LE(result->confidence, 0.95);
  EXPECT_NE(result->reasoning.find("NodeDown"), std::string::npos);
  EXPECT_NE(result->reasoning.find("node-7"), std::string::npos);
  EXPECT_FALSE(result->suggestions.empty());
}

TEST_F(MockProxyTest, OpenAIProtocolAnswersAnLlmClassification) {
  const auto result = Classify(Protocol::kOpenAI);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->source, "llm");
  EXPECT_EQ(result->severity, Severity::kCritical);
  EXPECT_EQ(result->request_id, "mock-1");
  EXPECT_GE(result->confidence, 0.70);
}

TEST_F(MockProxyTest, HealthOfBothProtocols) {
  HttpLlmClient proxy(ClientConfig(proxy_->url(), Protocol::kProxy));
  EXPECT_TRUE(proxy.Health().has_value());
  HttpLlmClient openai(ClientConfig(proxy_->url(), Protocol::kOpenAI));
  EXPECT_TRUE(openai.Health().has_value());
  const auto health = admin_->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body, R"({"status":"ok"})");
}

TEST(MockClassifyTest, ConfidenceIsDeterministicPerAlertAndAboveTheFallbacks) {
  Alert other = NodeDown();
  other.labels["instance"] = "node-8";
  const Classification first = MockClassify(NodeDown());
  EXPECT_EQ(MockClassify(NodeDown()).confidence, first.confidence);
  EXPECT_GT(first.confidence, RuleBasedClassifier{}.Classify(NodeDown()).confidence);
  for (const Alert& alert : {NodeDown(), other, Alert{}}) {
    const double confidence = MockClassify(alert).confidence;
    EXPECT_GE(confidence, 0.70);
    EXPECT_LE(confidence, 0.95);
  }
}

TEST_F(MockProxyTest, FailureRateOneIsTheStatusCategory) {
  ASSERT_EQ(PostFaults(R"({"failure_rate":1})")->status, 200);
  const auto result = Classify(Protocol::kProxy, 1);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(ClassifyError(result.error()), "server_error");
  EXPECT_EQ(result.error().http_status, 503);
  EXPECT_EQ(result.error().attempts, 2);
}

TEST_F(MockProxyTest, Status429WithRetryAfterIsRateLimitedWithTheHint) {
  ASSERT_EQ(PostFaults(R"({"failure_rate":1,"status":429,"retry_after":"2"})")->status, 200);
  const auto result = Classify(Protocol::kOpenAI);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(result.error().http_status, 429);
  EXPECT_EQ(result.error().retry_after, seconds(2));
}

TEST_F(MockProxyTest, MalformedIsInvalidResponseInBothProtocols) {
  ASSERT_EQ(PostFaults(R"({"malformed":true})")->status, 200);
  for (const Protocol protocol : {Protocol::kProxy, Protocol::kOpenAI}) {
    const auto result = Classify(protocol);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidResponse) << result.error().message;
  }
}

TEST_F(MockProxyTest, TruncatedIsNetworkError) {
  ASSERT_EQ(PostFaults(R"({"truncated":true})")->status, 200);
  const auto result = Classify(Protocol::kProxy);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNetworkError) << result.error().message;
}

TEST_F(MockProxyTest, DropIsNetworkError) {
  ASSERT_EQ(PostFaults(R"({"drop":true})")->status, 200);
  const auto result = Classify(Protocol::kOpenAI);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNetworkError) << result.error().message;
  EXPECT_EQ(result.error().http_status, 0);
}

TEST_F(MockProxyTest, DownWindowFailsClassifyAndHealthThenHeals) {
  ASSERT_EQ(PostFaults(R"({"down_for_seconds":5,"status":502})")->status, 200);
  HttpLlmClient health(ClientConfig(proxy_->url(), Protocol::kProxy));
  ASSERT_FALSE(health.Health().has_value());
  EXPECT_EQ(health.Health().error().http_status, 502);
  const auto down = Classify(Protocol::kProxy);
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().http_status, 502);
  Advance(seconds(3));
  EXPECT_DOUBLE_EQ(proxy_->GetFaults().down_for_seconds, 2.0);
  Advance(seconds(2));
  EXPECT_TRUE(health.Health().has_value());
  EXPECT_TRUE(Classify(Protocol::kProxy).has_value());
  EXPECT_EQ(proxy_->GetFaults().down_for_seconds, 0.0);
}

TEST_F(MockProxyTest, FailureRateDrawsRepeatForTheSameSeed) {
  auto pattern = [this] {
    EXPECT_EQ(PostFaults(R"({"failure_rate":0.5})")->status, 200);
    std::string seen;
    for (int i = 0; i < 40; ++i) {
      const auto res =
          admin_->Post("/classify", R"({"alert":{"alertname":"X"}})", "application/json");
      seen += res && res->status == 200 ? '.' : 'F';
    }
    return seen;
  };
  const std::string first = pattern();
  EXPECT_EQ(pattern(), first);
  const auto failures = std::count(first.begin(), first.end(), 'F');
  EXPECT_GT(failures, 8) << first;
  EXPECT_LT(failures, 32) << first;
}

TEST_F(MockProxyTest, LatencyIsAddedBeforeAnswering) {
  ASSERT_EQ(PostFaults(R"({"latency_ms":150})")->status, 200);
  const auto start = SteadyClock::now();
  EXPECT_TRUE(Classify(Protocol::kProxy).has_value());
  EXPECT_GE(SteadyClock::now() - start, milliseconds(150));
}

TEST_F(MockProxyTest, AdminEndpointsIgnoreFaults) {
  ASSERT_EQ(PostFaults(R"({"drop":true,"down_for_seconds":60,"latency_ms":600000})")->status, 200);
  const auto faults = admin_->Get("/admin/faults");
  ASSERT_TRUE(faults);
  EXPECT_EQ(faults->status, 200);
  const auto stats = admin_->Get("/admin/stats");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->status, 200);
}

TEST_F(MockProxyTest, AdminFaultsRoundTripAndEmptyObjectClears) {
  const std::string set =
      R"({"down_for_seconds":0.0,"drop":false,"failure_rate":0.25,"latency_ms":10,)"
      R"("malformed":true,"retry_after":"7","status":500,"truncated":false})";
  const auto posted = PostFaults(set);
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200);
  EXPECT_EQ(posted->body, set);
  EXPECT_EQ(admin_->Get("/admin/faults")->body, set);
  EXPECT_EQ(PostFaults("{}")->status, 200);
  EXPECT_EQ(admin_->Get("/admin/faults")->body, FaultsToJson(Faults{}));
}

TEST_F(MockProxyTest, ModeWithoutFailureRateFailsEveryRequest) {
  EXPECT_EQ(PostFaults(R"({"drop":true})")->status, 200);
  EXPECT_EQ(proxy_->GetFaults().failure_rate, 1.0);
  EXPECT_EQ(PostFaults(R"({"drop":true,"failure_rate":0})")->status, 200);
  EXPECT_EQ(proxy_->GetFaults().failure_rate, 0.0);
}

TEST_F(MockProxyTest, InvalidAdminJsonNamesTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"failure_rate":1.5})", "failure_rate"},
      {R"({"failure_rate":"half"})", "failure_rate"},
      {R"({"status":200})", "status"},
      {R"({"status":"503"})", "status"},
      {R"({"latency_ms":-1})", "latency_ms"},
      {R"({"latency_ms":1.5})", "latency_ms"},
      {R"({"retry_after":true})", "retry_after"},
      {R"({"retry_after":"2\r\nX-Injected: 1"})", "retry_after"},
      {R"({"malformed":1})", "malformed"},
      {R"({"truncated":"yes"})", "truncated"},
      {R"({"drop":null})", "drop"},
      {R"({"down_for_seconds":-3})", "down_for_seconds"},
      {R"({"failure_rte":0.5})", "failure_rte"},
  };
  for (const auto& [body, field] : cases) {
    const auto res = PostFaults(body);
    ASSERT_TRUE(res) << body;
    EXPECT_EQ(res->status, 400) << body;
    EXPECT_NE(res->body.find(R"("field":")" + field + '"'), std::string::npos) << res->body;
  }
  for (const std::string body : {"[1]", "{", "\"x\""}) {
    const auto res = PostFaults(body);
    ASSERT_TRUE(res) << body;
    EXPECT_EQ(res->status, 400) << body;
    EXPECT_NE(res->body.find(R"("error")"), std::string::npos) << res->body;
  }
  EXPECT_EQ(admin_->Get("/admin/faults")->body, FaultsToJson(Faults{}));
}

TEST_F(MockProxyTest, StatsCountRequestsAndInjectedFailuresByPath) {
  EXPECT_TRUE(Classify(Protocol::kProxy).has_value());
  ASSERT_EQ(PostFaults(R"({"failure_rate":1})")->status, 200);
  EXPECT_FALSE(Classify(Protocol::kOpenAI).has_value());
  EXPECT_TRUE(admin_->Get("/health"));
  const MockProxyStats stats = proxy_->GetStats();
  EXPECT_EQ(stats.requests, 3u);
  EXPECT_EQ(stats.failures, 1u);
  EXPECT_EQ(stats.answered, 1u);
  EXPECT_EQ(stats.rate_limited, 0u);
  EXPECT_EQ(stats.by_path.at("/classify").requests, 1u);
  EXPECT_EQ(stats.by_path.at("/v1/chat/completions").failures, 1u);
  EXPECT_EQ(stats.by_path.count("/admin/faults"), 0u);
  EXPECT_EQ(admin_->Get("/admin/stats")->body,
            R"({"answered":1,"by_path":{"/classify":{"failures":0,"requests":1},"/health":)"
            R"({"failures":0,"requests":1},"/v1/chat/completions":{"failures":1,"requests":1}},)"
            R"("failures":1,"rate_limited":0,"requests":3})");
}

TEST_F(MockProxyTest, BadBodiesAre400WithAJsonError) {
  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"/classify", ""},
           {"/classify", "not json"},
           {"/classify", R"({"model":"m"})"},
           {"/classify", R"({"alert":{"labels":{"a":1}}})"},
           {"/classify", R"({"alert":{"status":"burning"}})"},
           {"/v1/chat/completions", R"({"messages":[{"role":"user","content":"not json"}]})"},
           {"/v1/chat/completions", R"({"messages":[{"role":"system","content":"x"}]})"},
       }) {
    const auto res = admin_->Post(path, body, "application/json");
    ASSERT_TRUE(res) << body;
    EXPECT_EQ(res->status, 400) << path << " " << body;
    EXPECT_NE(res->body.find(R"("error")"), std::string::npos) << res->body;
  }
}

TEST_F(MockProxyTest, BodyOver1MiBIs413WithAJsonError) {
  const std::string body = R"({"alert":{"alertname":")" + std::string(1024 * 1024, 'x') + "\"}}";
  const auto res = admin_->Post("/classify", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_NE(res->body.find(R"("error")"), std::string::npos) << res->body;
}

TEST_F(MockProxyTest, UnknownPathIs404WithAJsonError) {
  const auto res = admin_->Get("/v2/nothing");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_NE(res->body.find(R"("error")"), std::string::npos) << res->body;
}

TEST(MockProxyOptionsTest, InvalidFaultsAtConstructionThrow) {
  MockProxyOptions options;
  options.faults.status = 99;
  EXPECT_THROW(MockProxy{options}, std::invalid_argument);
}

// The binary: a child process whose stdout is a pipe.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    args.insert(args.begin(), ALERTLLM_MOCK_PROXY_BIN);
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fds[0];
  }

  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }

  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The output up to the first newline, or what came before the timeout or end of output.
  std::string ReadLine(milliseconds timeout = milliseconds(10000)) {
    const auto give_up = SteadyClock::now() + timeout;
    while (buffer_.find('\n') == std::string::npos && SteadyClock::now() < give_up) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char chunk[4096];
      const ssize_t n = read(out_, chunk, sizeof(chunk));
      if (n <= 0) break;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    const auto newline = buffer_.find('\n');
    std::string line = buffer_.substr(0, newline);
    buffer_.erase(0, newline == std::string::npos ? buffer_.size() : newline + 1);
    return line;
  }

  // All output until the child closes it.
  std::string ReadAll() {
    std::string all = buffer_;
    char chunk[4096];
    ssize_t n = 0;
    while ((n = read(out_, chunk, sizeof(chunk))) > 0)
      all.append(chunk, static_cast<std::size_t>(n));
    buffer_.clear();
    return all;
  }

  // The exit code, or -1 if it did not exit normally.
  int Wait() {
    int status = 0;
    if (waitpid(pid_, &status, 0) != pid_) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  void Signal(int signal) const { kill(pid_, signal); }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

TEST(MockProxyBinaryTest, ServesBothProtocolsAndExitsZeroOnSigterm) {
  Child child({"--port", "0", "--quiet"});
  const std::string line = child.ReadLine();
  const std::string prefix = "listening on http://127.0.0.1:";
  ASSERT_TRUE(line.starts_with(prefix)) << line;
  const std::string url = line.substr(std::string("listening on ").size());
  EXPECT_GT(std::stoi(line.substr(prefix.size())), 0);
  // The clients stay connected: shutdown must not wait for them beyond the keep-alive bound.
  std::vector<std::unique_ptr<HttpLlmClient>> clients;
  for (const Protocol protocol : {Protocol::kProxy, Protocol::kOpenAI}) {
    clients.push_back(std::make_unique<HttpLlmClient>(ClientConfig(url, protocol)));
    const auto result = clients.back()->ClassifyAlert(NodeDown());
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->source, "llm");
    EXPECT_TRUE(clients.back()->Health().has_value());
  }
  const auto start = SteadyClock::now();
  child.Signal(SIGTERM);
  EXPECT_EQ(child.Wait(), 0);
  EXPECT_LT(SteadyClock::now() - start, seconds(4));
}

TEST(MockProxyBinaryTest, FlagsSetTheFaultsAndRequestsAreLogged) {
  Child child({"--port=0", "--failure-rate", "1", "--status", "429", "--retry-after", "3",
               "--latency-ms", "1", "--seed", "42"});
  const std::string line = child.ReadLine();
  ASSERT_TRUE(line.starts_with("listening on http://127.0.0.1:")) << line;
  const std::string url = line.substr(std::string("listening on ").size());
  {
    HttpLlmClient client(ClientConfig(url, Protocol::kProxy));
    const auto result = client.ClassifyAlert(NodeDown());
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(result.error().retry_after, seconds(3));
  }
  const auto start = SteadyClock::now();
  child.Signal(SIGINT);
  EXPECT_EQ(child.Wait(), 0);
  EXPECT_LT(SteadyClock::now() - start, seconds(2));
  EXPECT_NE(child.ReadAll().find("POST /classify 429"), std::string::npos);
}

TEST(MockProxyBinaryTest, HelpDescribesEveryFlagAndExitsZero) {
  Child child({"--help"});
  const std::string help = child.ReadAll();
  EXPECT_EQ(child.Wait(), 0);
  for (const char* flag :
       {"--port", "--failure-rate", "--status", "--latency-ms", "--max-in-flight", "--retry-after",
        "--malformed", "--truncated", "--drop", "--down-for-seconds", "--seed", "--quiet", "--help",
        "/classify", "/v1/chat/completions", "/health", "/v1/models", "/admin/faults",
        "/admin/stats"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
}

TEST(MockProxyBinaryTest, BadFlagsExitTwoWithAMessage) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--bogus"},
                                             {"--status", "700"},
                                             {"--failure-rate", "abc"},
                                             {"--failure-rate", "2"},
                                             {"--port"},
                                             {"--drop=yes"},
                                             {"--port", "70000"},
                                             {"--max-in-flight", "1025"}}) {
    Child child(args);
    const std::string out = child.ReadAll();
    EXPECT_EQ(child.Wait(), 2) << args[0];
    EXPECT_NE(out.find("alertllm-mock-proxy: "), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace alertllm::mock
