// SPDX-License-Identifier: Apache-2.0
// TLS proven (issue 11 item 5): a real client against a local HTTPS server whose certificate is
// made at test time by a CA made at test time (the openssl CLI), so nothing in the tree is ever
// trusted by accident and no certificate expires in the repository.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "alertllm/client.hpp"
#include "support/local_http_server.hpp"

namespace alertllm {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAnswer =
    R"({"classification":{"severity":"warning","category":"capacity","summary":"disk filling",)"
    R"("confidence":0.9,"reasoning":"r","suggestions":[]},"request_id":"tls-1"})";

Alert DiskFull() {
  Alert alert;
  alert.alert_name = "DiskFull";
  alert.labels = {{"alertname", "DiskFull"}, {"instance", "db-1"}};
  alert.starts_at = std::chrono::sys_days(std::chrono::year(2026) / 1 / 1);
  return alert;
}

// Runs `command` in `dir` with the shell; true if it exited 0. Its output goes to a log file
// that a failing test prints.
bool Shell(const fs::path& dir, const std::string& command) {
  const std::string line = "cd '" + dir.string() + "' && " + command + " >>openssl.log 2>&1";
  return std::system(line.c_str()) == 0;
}

// A CA and a certificate for IP 127.0.0.1 signed by it, in a fresh directory; the problem when
// they could not be made.
std::string MakeCertificates(const fs::path& dir) {
  if (std::system("openssl version >/dev/null 2>&1") != 0) {
    return "the openssl CLI is not installed (Debian package openssl); it makes the test CA";
  }
  std::ofstream(dir / "server.ext") << "subjectAltName=IP:127.0.0.1\n"
                                       "basicConstraints=CA:FALSE\n"
                                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                                       "extendedKeyUsage=serverAuth\n";
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const bool made =
      Shell(dir, "openssl req -x509 " + ec + " -days 2 -subj /CN=alertllm-test-ca " +
                     "-addext basicConstraints=critical,CA:TRUE " +
                     "-addext keyUsage=critical,keyCertSign,cRLSign -keyout ca.key -out ca.crt") &&
      Shell(dir, "openssl req " + ec + " -subj /CN=127.0.0.1 -keyout server.key -out server.csr") &&
      Shell(dir, std::string("openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key ") +
                     "-CAcreateserial -days 2 -extfile server.ext -out server.crt");
  if (made) return {};
  std::ifstream log(dir / "openssl.log");
  std::stringstream text;
  text << log.rdbuf();
  return "openssl failed:\n" + text.str();
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("alertllm_tls_" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    problem_ = new std::string(MakeCertificates(*dir_));
  }

  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete problem_;
  }

  void SetUp() override {
    ASSERT_EQ(*problem_, "");
    https_ = std::make_unique<test::LocalHttpServer>(std::make_unique<httplib::SSLServer>(
        (*dir_ / "server.crt").c_str(), (*dir_ / "server.key").c_str()));
    https_->server().Post("/classify", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kAnswer, "application/json");
    });
    ASSERT_TRUE(https_->Start()) << "the HTTPS server did not start";
  }

  Config HttpsConfig() const {
    Config config;
    config.base_url = "https://127.0.0.1:" + std::to_string(https_->port());
    config.max_retries = 0;
    config.timeout = std::chrono::seconds(5);
    return config;
  }

  static std::string CaFile() { return (*dir_ / "ca.crt").string(); }

  static inline fs::path* dir_ = nullptr;
  static inline std::string* problem_ = nullptr;
  std::unique_ptr<test::LocalHttpServer> https_;
};

TEST_F(TlsTest, DefaultConfigRefusesTheCertificateAsANetworkErrorNamingVerification) {
  HttpLlmClient client(HttpsConfig());
  const Result<Classification> result = client.ClassifyAlert(DiskFull());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kNetworkError) << result.error().message;
  EXPECT_NE(result.error().message.find("TLS certificate verification failed"), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("LLM_CA_FILE"), std::string::npos)
      << result.error().message;
}

TEST_F(TlsTest, CaFileTrustsTheTestCa) {
  Config config = HttpsConfig();
  config.ca_file = CaFile();
  HttpLlmClient client(config);
  const Result<Classification> result = client.ClassifyAlert(DiskFull());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->source, "llm");
  EXPECT_EQ(result->request_id, "tls-1");
}

TEST_F(TlsTest, VerificationOffSucceedsAndWarnsOnceWithTheUrlMasked) {
  Config config = HttpsConfig();
  config.tls_verify = false;
  config.base_url = "https://tester:PASSSECRET-555@127.0.0.1:" + std::to_string(https_->port()) +
                    "?key=QUERYSECRET-777";
  std::ostringstream log;
  {
    auto logger = std::make_shared<spdlog::logger>(
        "tls", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
    logger->set_pattern("%l %v");
    logger->set_level(spdlog::level::trace);
    HttpLlmClient client(config, logger);
    for (int i = 0; i < 3; ++i) {
      Alert alert = DiskFull();
      alert.labels["instance"] = "db-" + std::to_string(i);  // three requests, not the cache
      const Result<Classification> result = client.ClassifyAlert(alert);
      ASSERT_TRUE(result.has_value()) << result.error().message;
      EXPECT_EQ(result->source, "llm");
    }
  }
  const std::string text = log.str();
  std::size_t warnings = 0;
  for (std::size_t at = text.find("warning "); at != std::string::npos;
       at = text.find("warning ", at + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 1u) << text;
  EXPECT_NE(text.find("tls_verify=false"), std::string::npos) << text;
  EXPECT_NE(text.find("https://***:***@127.0.0.1:"), std::string::npos) << text;
  EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
}

}  // namespace
}  // namespace alertllm
