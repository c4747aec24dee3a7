#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"

namespace cagcl {
namespace {

std::string os_error(const std::string& action, const std::filesystem::path& path) {
  return "cannot " + action + " " + path.string() + ": " + std::strerror(errno);
}

class FileDescriptor {
 public:
  FileDescriptor(const std::filesystem::path& path, int flags, mode_t mode = 0)
      : fd_(::open(path.c_str(), flags | O_CLOEXEC, mode)) {
    if (fd_ < 0) throw IoError(os_error("open", path));
  }
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

void fsync_path(const std::filesystem::path& path) {
  const bool is_dir = std::filesystem::is_directory(path);
  FileDescriptor fd(path, is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (::fsync(fd.get()) != 0) throw IoError(os_error("fsync", path));
}

void durable_rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) throw IoError(os_error("rename " + from.string() + " to", to));
  fsync_path(to.has_parent_path() ? to.parent_path() : std::filesystem::path("."));
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const auto temp = dir / ("." + path.filename().string() + ".tmp." + std::to_string(::getpid()));
  {
    FileDescriptor fd(temp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    size_t written = 0;
    while (written < content.size()) {
      const ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        const auto message = os_error("write", temp);
        std::filesystem::remove(temp);
        throw IoError(message);
      }
      written += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) throw IoError(os_error("fsync", temp));
  }
  try {
    durable_rename(temp, path);
  } catch (const IoError&) {
    std::filesystem::remove(temp);
    throw;
  }
}

}  // namespace cagcl
