// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace alertllm::test {

/// testdata/ of the source tree, the one copy of every shared fixture.
inline std::filesystem::path TestdataDir() { return ALERTLLM_TESTDATA_DIR; }

/// The real Alertmanager webhook captures (testdata/alertmanager/alertmanager_webhook_*.json),
/// sorted by name so that tests see them in the same order everywhere.
inline std::vector<std::filesystem::path> CaptureFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(TestdataDir() / "alertmanager")) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("alertmanager_webhook_") && name.ends_with(".json")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// A file's bytes, as they are (binary mode); empty if it cannot be read.
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

/// The first capture whose file name starts with `prefix` ("alertmanager_webhook_05_"), or
/// an empty string if there is none.
inline std::string ReadCapture(std::string_view prefix) {
  for (const auto& path : CaptureFiles()) {
    if (path.filename().string().starts_with(prefix)) return ReadFile(path);
  }
  return {};
}

}  // namespace alertllm::test
