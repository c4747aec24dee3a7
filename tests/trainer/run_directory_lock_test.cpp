// One job per run directory: a second process cannot take RUN/.lock while the first holds it, and can once the
// first lets go (or dies). fcntl locks belong to the process, so the second "job" is a forked child.
#include "trainer/run_directory_lock.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "common/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::trainer {
namespace {

// Exit status of a child that tries to lock `dir`: 0 locked, 2 refused with a UsageError naming the holder.
int lock_in_child(const std::filesystem::path& dir) {
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      RunDirectoryLock lock(dir);
      _exit(0);
    } catch (const UsageError& e) {
      _exit(std::string(e.what()).find("pid " + std::to_string(getppid())) != std::string::npos ? 2 : 3);
    } catch (...) {
      _exit(4);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(RunDirectoryLock, ASecondJobIsRefusedWhileTheFirstHoldsTheRunDirectory) {
  test_support::TempDir dir;
  std::optional<RunDirectoryLock> first;
  first.emplace(dir.path());
  EXPECT_EQ(lock_in_child(dir.path()), 2);
  first.reset();
  EXPECT_EQ(lock_in_child(dir.path()), 0);
  EXPECT_TRUE(std::filesystem::exists(dir / ".lock"));  // left behind, harmless: the lock is the process's
}

}  // namespace
}  // namespace cagcl::trainer
