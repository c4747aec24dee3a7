#include "trainer/run_directory_lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.hpp"

namespace cagcl::trainer {

namespace {
std::string holder_of(int fd) {
  char text[256] = {};
  const ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
  std::string holder = n > 0 ? std::string(text, static_cast<size_t>(n)) : std::string("unknown");
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
  return holder;
}
}  // namespace

RunDirectoryLock::RunDirectoryLock(const std::filesystem::path& run_dir) {
  const auto path = run_dir / ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(path.string() + ": cannot open the run lock: " + std::strerror(errno));
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  if (fcntl(fd_, F_SETLK, &lock) != 0) {
    const int error = errno;
    const std::string holder = holder_of(fd_);
    ::close(fd_);
    fd_ = -1;
    if (error == EACCES || error == EAGAIN)
      throw UsageError("--out " + run_dir.string() + ": another job is using this run directory (" + holder +
                       "); wait for it to end, or choose another --out");
    throw IoError(path.string() + ": cannot lock the run directory: " + std::strerror(error));
  }
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  const std::string me = "pid " + std::to_string(getpid()) + " on " + host + "\n";
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
    // The holder's name is only for the message of a second job; the lock itself is held.
  }
}

RunDirectoryLock::~RunDirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace cagcl::trainer
