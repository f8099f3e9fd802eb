// SPDX-License-Identifier: Apache-2.0
// A custom Transport: HttpLlmClient sends every request through the Transport you give it, so
// you can route it through your own HTTP stack, add request signing, or (as here) answer
// without a network. The breaker, retries and decoding stay the client's.
//
//   custom_transport
//
// Prints the classification the canned answer produces. Exit status: 0 on success, 1 if not.
#include <alertllm/client.hpp>
#include <alertllm/transport.hpp>

#include <iostream>
#include <memory>
#include <stop_token>
#include <string>

namespace {

// Answers every request with a fixed proxy-protocol classification, as an LLM proxy would.
class CannedTransport : public alertllm::Transport {
 public:
  alertllm::Result<alertllm::HttpResponse> Send(const alertllm::HttpRequest& request,
                                                std::stop_token /*stop*/) override {
    std::cerr << request.method << " " << request.url << " (" << request.body.size() << " bytes)\n";
    alertllm::HttpResponse response;
    response.status = 200;
    response.headers = {{"content-type", "application/json"}};
    response.body = R"({"classification":{"severity":3,"category":"resource",)"
                    R"("summary":"Disk almost full","confidence":0.9,)"
                    R"("reasoning":"usage above 90%","suggestions":["free space"]},)"
                    R"("request_id":"canned-1","processing_time":"12ms"})";
    return response;
  }
};

}  // namespace

int main() {
  alertllm::Config config;
  config.base_url = "http://127.0.0.1:8080";  // only used to build the request URL here
  alertllm::ClientDependencies dependencies;
  dependencies.transport = std::make_shared<CannedTransport>();
  alertllm::HttpLlmClient client(config, std::move(dependencies));

  alertllm::Alert alert;
  alert.alert_name = "DiskFull";
  alert.labels = {{"alertname", "DiskFull"}, {"device", "/dev/sda1"}};
  const auto result = client.ClassifyAlert(alert);
  if (!result) {
    std::cerr << "failed: " << result.error().message << "\n";
    return 1;
  }
  std::cout << alertllm::ToString(result->severity) << " " << result->category << ": "
            << result->summary << "\n";
  return 0;
}
