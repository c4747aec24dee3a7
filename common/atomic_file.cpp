#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

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

AtomicFileWriter::AtomicFileWriter(std::filesystem::path target) : target_(std::move(target)) {
  const auto dir = target_.has_parent_path() ? target_.parent_path() : std::filesystem::path(".");
  temp_ = dir / ("." + target_.filename().string() + ".tmp." + std::to_string(::getpid()));
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(os_error("open", temp_));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ < 0) return;  // committed
  ::close(fd_);
  std::error_code ignored;
  std::filesystem::remove(temp_, ignored);
}

void AtomicFileWriter::write(const void* data, size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  size_t written = 0;
  while (written < size) {
    const ssize_t n = ::write(fd_, bytes + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError(os_error("write", temp_));
    if (n == 0) throw IoError("cannot write " + temp_.string() + ": the device accepts no more bytes");
    written += static_cast<size_t>(n);
  }
}

void AtomicFileWriter::commit() {
  if (::fsync(fd_) != 0) throw IoError(os_error("fsync", temp_));
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const auto message = os_error("close", temp_);
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
    throw IoError(message);
  }
  try {
    durable_rename(temp_, target_);
  } catch (const IoError&) {
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
    throw;
  }
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  AtomicFileWriter writer(path);
  writer.write(content.data(), content.size());
  writer.commit();
}

void create_directories_durably(const std::filesystem::path& path) {
  if (path.empty()) return;
  std::vector<std::filesystem::path> missing;  // deepest first
  for (auto p = std::filesystem::absolute(path).lexically_normal(); !std::filesystem::is_directory(p);
       p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.root_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) throw IoError(os_error("create directory", *it));
    fsync_path(it->parent_path());
  }
}

}  // namespace cagcl
