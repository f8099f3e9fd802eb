// SPDX-License-Identifier: Apache-2.0
// ReadInput (classify_input.cpp): files, pipes and FIFOs read whole, the size limit applied
// while reading, directories and sockets named as such.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "classify_cli.hpp"

namespace alertllm::cli {
namespace {

// A fresh directory under TMPDIR, removed with its content.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "classify-read-XXXXXX");
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string File(const std::string& name, const std::string& content) const {
    const std::string path = (path_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::filesystem::path path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Both ends of a pipe, closed at scope exit.
class Pipe {
 public:
  Pipe() {
    if (::pipe(fds_) != 0) fds_[0] = fds_[1] = -1;
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    CloseWriteEnd();
    if (fds_[0] >= 0) ::close(fds_[0]);
  }
  int read_end() const { return fds_[0]; }
  // The pipe as a path open() accepts, as the shell's /dev/stdin is.
  std::string ReadPath() const { return "/proc/self/fd/" + std::to_string(fds_[0]); }
  bool Write(const std::string& text) const {
    return ::write(fds_[1], text.data(), text.size()) == static_cast<ssize_t>(text.size());
  }
  void CloseWriteEnd() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

TEST(ReadInputTest, ReadsARegularFileWhole) {
  const TempDir dir;
  const std::string path = dir.File("a.json", "[]\n");
  const Result<std::string> text = ReadInput(path);
  ASSERT_TRUE(text.has_value()) << text.error().message;
  EXPECT_EQ(*text, "[]\n");
}

TEST(ReadInputTest, MissingFileGivesTheReason) {
  const TempDir dir;
  const std::string path = (dir.path() / "none.json").string();
  const Result<std::string> text = ReadInput(path);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().message, path + ": cannot read: No such file or directory");
}

TEST(ReadInputTest, DirectoryIsNamedAsADirectory) {
  const TempDir dir;
  const Result<std::string> text = ReadInput(dir.path().string());
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().message, dir.path().string() + " is a directory");
}

TEST(ReadInputTest, SocketIsNamedAsASocket) {
  const TempDir dir;
  const std::string path = (dir.path() / "s.sock").string();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof address.sun_path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  const Result<std::string> text = ReadInput(path);
  ::close(fd);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().message, path + " is a socket, not a file");
}

TEST(ReadInputTest, FileAtTheLimitIsReadAndOneByteMoreIsRefused) {
  const TempDir dir;
  EXPECT_TRUE(ReadInput(dir.File("ten", std::string(10, 'x')), 10).has_value());
  const std::string eleven = dir.File("eleven", std::string(11, 'x'));
  const Result<std::string> text = ReadInput(eleven, 10);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().message, eleven + ": over the limit of 10 bytes");
}

TEST(ReadInputTest, PipeIsReadToItsEnd) {
  Pipe pipe;
  ASSERT_TRUE(pipe.Write(std::string(50, 'p')));
  pipe.CloseWriteEnd();
  const Result<std::string> text = ReadInput(pipe.ReadPath());
  ASSERT_TRUE(text.has_value()) << text.error().message;
  EXPECT_EQ(*text, std::string(50, 'p'));
}

TEST(ReadInputTest, PipeOverTheLimitIsLeftAfterLimitPlusOneBytes) {
  Pipe pipe;
  ASSERT_TRUE(pipe.Write(std::string(300, 'p')));
  pipe.CloseWriteEnd();
  const Result<std::string> text = ReadInput(pipe.ReadPath(), 100);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().message, pipe.ReadPath() + ": over the limit of 100 bytes");
  // What the reader left in the pipe shows how much it took: 101 bytes, not all 300.
  char rest[512];
  EXPECT_EQ(::read(pipe.read_end(), rest, sizeof rest), 199);
}

TEST(ReadInputTest, FifoIsReadToItsEnd) {
  const TempDir dir;
  const std::string path = (dir.path() / "fifo").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // Opening a FIFO for writing waits for its reader, so the writer runs beside ReadInput.
  std::thread writer([&path] { std::ofstream(path, std::ios::binary) << "{\"a\":1}\n"; });
  const Result<std::string> text = ReadInput(path);
  writer.join();
  ASSERT_TRUE(text.has_value()) << text.error().message;
  EXPECT_EQ(*text, "{\"a\":1}\n");
}

}  // namespace
}  // namespace alertllm::cli
