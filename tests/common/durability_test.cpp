// The durability half of common/atomic_file.hpp, which a normal run cannot show: what is fsynced, and a close()
// that reports a write-back error (as NFS does). This test binary defines fsync() and close() itself: the
// executable's definitions take precedence over libc's for everything linked into it, so the project's code calls
// these, which record and pass on to libc's (RTLD_NEXT), and fail one close on demand.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

std::atomic<bool> g_recording{false};
std::mutex g_mutex;
std::vector<std::string> g_synced;    // paths of the descriptors fsynced while recording
std::string g_fail_close_containing;  // the next close of a path containing this fails with EIO

std::string path_of(int fd) {
  char buf[4096];
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

template <class F>
F real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int fsync(int fd) {
  static const auto libc_fsync = real<int (*)(int)>("fsync");
  if (g_recording) {
    const std::string path = path_of(fd);
    std::lock_guard<std::mutex> lock(g_mutex);
    g_synced.push_back(path);
  }
  return libc_fsync(fd);
}

extern "C" int close(int fd) {
  static const auto libc_close = real<int (*)(int)>("close");
  bool fail = false;
  if (g_recording) {
    const std::string path = path_of(fd);
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_fail_close_containing.empty() && path.find(g_fail_close_containing) != std::string::npos) {
      fail = true;
      g_fail_close_containing.clear();
    }
  }
  const int result = libc_close(fd);
  if (fail && result == 0) {
    errno = EIO;
    return -1;
  }
  return result;
}

namespace cagcl {
namespace {

namespace fs = std::filesystem;

// Records for the scope; what was recorded is read with synced().
class Recording {
 public:
  Recording() {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_synced.clear();
    g_recording = true;
  }
  ~Recording() {
    g_recording = false;
    std::lock_guard<std::mutex> lock(g_mutex);
    g_fail_close_containing.clear();
  }
  std::vector<std::string> synced() const {
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_synced;
  }
  void fail_next_close_of(const std::string& part) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_fail_close_containing = part;
  }
};

bool contains(const std::vector<std::string>& v, const fs::path& p) {
  for (const auto& s : v)
    if (s == fs::weakly_canonical(p).string()) return true;
  return false;
}

std::string content_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CreateDirectoriesDurably, FsyncsTheParentOfEveryDirectoryItCreates) {
  test_support::TempDir dir;
  Recording recording;
  create_directories_durably(dir / "run/checkpoints");
  const auto synced = recording.synced();
  EXPECT_TRUE(contains(synced, dir.path())) << "the parent of the new run directory";
  EXPECT_TRUE(contains(synced, dir / "run")) << "the parent of the new checkpoints directory";
}

TEST(AtomicFileWriter, FsyncsTheDataBeforeTheRenameAndTheDirectoryAfterIt) {
  test_support::TempDir dir;
  Recording recording;
  write_file_atomically(dir / "LATEST", "step-00000005\n");
  const auto synced = recording.synced();
  ASSERT_EQ(synced.size(), 2u);
  EXPECT_NE(synced[0].find(".LATEST.tmp."), std::string::npos) << synced[0] << ": the data, under its temporary name";
  EXPECT_EQ(synced[1], fs::weakly_canonical(dir.path()).string()) << "then the directory that holds the rename";
}

TEST(AtomicFileWriter, ACloseReportingAWriteBackErrorIsAnErrorAndTheTargetStays) {
  test_support::TempDir dir;
  write_file_atomically(dir / "f", "old");
  {
    Recording recording;
    recording.fail_next_close_of(".f.tmp.");
    try {
      write_file_atomically(dir / "f", "new");
      FAIL() << "expected an IoError";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find("close"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(content_of(dir / "f"), "old");
  size_t left = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++left;
  EXPECT_EQ(left, 1u) << "no temporary file left";
}

}  // namespace
}  // namespace cagcl
