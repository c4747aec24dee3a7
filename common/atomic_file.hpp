#pragma once
// Writes that never leave a half-written file under the final name: write a temporary sibling, fsync it,
// rename it over the target, fsync the directory. A reader sees the old content or the new, never a mix.
#include <filesystem>
#include <string>

namespace cagcl {

void write_file_atomically(const std::filesystem::path& path, const std::string& content);
// fsync of a file or directory by path; IoError naming the path on failure.
void fsync_path(const std::filesystem::path& path);
// Renames `from` over `to`, then fsyncs the directory, so the new name survives a crash.
void durable_rename(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace cagcl
