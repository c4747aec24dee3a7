#pragma once
// Writes that never leave a half-written file under the final name: write a temporary sibling, fsync it through
// the descriptor that wrote it, close it (checked: NFS reports write-back errors there), rename it over the
// target, fsync the directory. A reader sees the old content or the new, never a mix.
#include <cstddef>
#include <filesystem>
#include <string>

namespace cagcl {

// One atomic write in pieces: write() as often as needed, then commit(). Destroyed without commit(), it removes
// its temporary file and the target is untouched.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path target);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // All of `size` bytes, or an IoError naming the temporary file (short writes are continued, EINTR retried).
  void write(const void* data, size_t size);
  // fsync, close, rename over the target, fsync the directory.
  void commit();

 private:
  std::filesystem::path target_, temp_;
  int fd_ = -1;
};

void write_file_atomically(const std::filesystem::path& path, const std::string& content);
// fsync of a file or directory by path; IoError naming the path on failure.
void fsync_path(const std::filesystem::path& path);
// Renames `from` over `to`, then fsyncs the directory, so the new name survives a crash.
void durable_rename(const std::filesystem::path& from, const std::filesystem::path& to);
// create_directories whose new entries survive a crash: the parent of every directory it creates is fsynced.
void create_directories_durably(const std::filesystem::path& path);

}  // namespace cagcl
