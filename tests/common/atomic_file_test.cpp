// Atomic writes (common/atomic_file.hpp): the target holds the old content or the new, never a part; a writer
// given up on leaves nothing behind; a write the file system refuses part-way is an error naming the file.
#include "common/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t entries(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFileWriter, CommitReplacesTheTargetWithEveryPieceWritten) {
  test_support::TempDir dir;
  write_file_atomically(dir / "f", "old");
  AtomicFileWriter writer(dir / "f");
  writer.write("new ", 4);
  writer.write("content", 7);
  EXPECT_EQ(read(dir / "f"), "old");  // nothing visible before the commit
  writer.commit();
  EXPECT_EQ(read(dir / "f"), "new content");
  EXPECT_EQ(entries(dir.path()), 1u);  // no temporary file left
}

TEST(AtomicFileWriter, AWriterGivenUpOnLeavesTheTargetAndNoTemporaryFile) {
  test_support::TempDir dir;
  write_file_atomically(dir / "f", "old");
  {
    AtomicFileWriter writer(dir / "f");
    writer.write("half", 4);
  }
  EXPECT_EQ(read(dir / "f"), "old");
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(AtomicFileWriter, AWriteTheFileSystemRefusesPartWayIsAnErrorAndTheTargetStays) {
  test_support::TempDir dir;
  write_file_atomically(dir / "f", "old");
  // A child process with a 1 KiB file-size limit: the kernel accepts part of the write, then refuses (EFBIG).
  const pid_t child = fork();
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{1024, 1024};
    setrlimit(RLIMIT_FSIZE, &limit);
    const std::string big(4096, 'x');
    try {
      AtomicFileWriter writer(dir / "f");
      writer.write(big.data(), big.size());
      writer.commit();
    } catch (const IoError& e) {
      _exit(std::string(e.what()).find(".f.tmp.") != std::string::npos ? 0 : 2);
    }
    _exit(1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the refused write was not reported; 2: the error did not name the file";
  EXPECT_EQ(read(dir / "f"), "old");
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(CreateDirectoriesDurably, CreatesEveryMissingLevelAndAcceptsExistingOnes) {
  test_support::TempDir dir;
  create_directories_durably(dir / "a/b/c");
  EXPECT_TRUE(fs::is_directory(dir / "a/b/c"));
  create_directories_durably(dir / "a/b/c");
  create_directories_durably(dir / "a/b/c/");
  write_file_atomically(dir / "a/file", "x");
  EXPECT_THROW(create_directories_durably(dir / "a/file/d"), IoError);
}

}  // namespace
}  // namespace cagcl
